using System.Globalization;
using Coffre.Domain.Apps;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>
/// Connected apps (<see cref="CallerKind.App"/>): an app of the catalogue acting for the person who connected it, within the
/// scopes recorded in the vault at the person's consent. Pure, like the rest of the evaluator.
/// </summary>
public sealed partial class AccessEvaluator
{
    /// <summary>
    /// An app caller on a vault, in order: another vault than the one of its token (<see cref="Caller.AppVaultId"/>) →
    /// NotPermitted; the catalogue's standing: suspended → <see cref="DenialReason.AppSuspended"/>, unknown or unchecked →
    /// NotRegistered; a vault not active → VaultNotActive; the vault's own record of a connection for this app id: none →
    /// NoBasis, only ended ones → BasisExpired; then ReadVault; ListDocuments (a read scope needed; per document as
    /// ReadDocument); ReadDocument with <c>documents.read:{class}</c>, or <c>profile.read:{section}</c> for a profile type;
    /// CreateDocument with <c>documents.write:{class}</c> / <c>profile.write:{section}</c> (<see cref="AppDocumentGate"/>:
    /// never private, masked or hidden items → <see cref="DenialReason.MaskedFromApps"/>; out of the consented scopes →
    /// <see cref="DenialReason.OutsideAppConsent"/>); everything else NotPermitted. Basis <see cref="LegalBasis.ConnectedApp"/>,
    /// the sentence naming the app and the scope used.
    /// </summary>
    private static AccessDecision DecideApp(VaultAccessState vault, Caller caller, VaultAction action, DocumentFacts? document, DateTimeOffset now)
    {
        if (AppGate(vault, caller, out var connection) is { } refused)
        {
            return refused;
        }
        switch (action)
        {
            case VaultAction.ReadVault:
                return AllowApp(connection, "the vault's summary");
            case VaultAction.ListDocuments when document is null:
                return connection.Scopes.Any(s => s.Kind is AppScopeKind.ReadDocuments or AppScopeKind.ReadProfile)
                    ? AllowApp(connection, "listing what its read scopes cover")
                    : D.OutsideAppConsent;
            case VaultAction.ListDocuments:
            case VaultAction.ReadDocument:
                return AppDocumentGate(connection, document, write: false);
            case VaultAction.CreateDocument:
                return AppDocumentGate(connection, document, write: true);
            default:
                return D.AppNotPermitted;
        }
    }

    /// <summary>
    /// What every app decision checks first; null when the app may go on, with its live connection narrowed to the scopes
    /// the catalogue still declares for the app (<see cref="Caller.AppScopes"/>: none when unknown).
    /// </summary>
    private static AccessDecision? AppGate(VaultAccessState vault, Caller caller, out AppConnection connection)
    {
        connection = null!;
        if (AppRules.AppIdOf(caller) is not { } appId || caller.AppVaultId != vault.VaultId)
        {
            return D.AppOtherVault;
        }
        switch (caller.Standing)
        {
            case DirectoryStanding.Active:
                break;
            case DirectoryStanding.Suspended:
                return D.AppSuspended;
            default:
                return D.AppNotRegistered;
        }
        if (vault.Status != VaultStatus.Active)
        {
            return D.VaultUnavailable;
        }
        var ended = false;
        var connections = vault.AppConnections;
        for (var i = connections.Count - 1; i >= 0; i--)
        {
            if (connections[i].AppId != appId)
            {
                continue;
            }
            if (connections[i].IsActive)
            {
                var declared = caller.AppScopes ?? [];
                connection = connections[i] with { Scopes = [.. connections[i].Scopes.Where(declared.Contains)] };
                return null;
            }
            ended = true;
        }
        return ended ? D.AppDisconnected : D.AppNotConnected;
    }

    /// <summary>One document or profile entry an app reads, lists or deposits.</summary>
    private static AccessDecision AppDocumentGate(AppConnection connection, DocumentFacts? document, bool write)
    {
        if (document is null)
        {
            return D.DocumentRequired;
        }
        if (document.Deleted)
        {
            return D.DocumentDeleted;
        }
        if (document.Private || document.Visibility.MaskedFromProfessionals || document.Visibility.InvisibleToPatient
            || document.Visibility.InvisibleToRepresentatives)
        {
            return D.MaskedFromApps;
        }
        var scope = ProfileSections.FromTypeCode(document.TypeCode) is { } section
            ? new AppScope(write ? AppScopeKind.WriteProfile : AppScopeKind.ReadProfile, ProfileSections.Name(section))
            : new AppScope(write ? AppScopeKind.WriteDocuments : AppScopeKind.ReadDocuments, document.ClassCode);
        return connection.Allows(scope.Kind, scope.Target) ? AllowApp(connection, scope.ToString()) : D.OutsideAppConsent;
    }

    /// <summary>
    /// The agenda for an app, or null when the caller is not one: <see cref="AgendaUse.Read"/> with <c>agenda.read</c> (or
    /// <c>agenda.write</c>), Participate and Manage with <c>agenda.write</c>, else OutsideAppConsent (after <see cref="AppGate"/>).
    /// </summary>
    private static AccessDecision? DecideAppAgenda(VaultAccessState vault, Caller caller, AgendaUse use)
    {
        if (caller.Kind != CallerKind.App)
        {
            return null;
        }
        if (AppGate(vault, caller, out var connection) is { } refused)
        {
            return refused;
        }
        if (connection.Allows(AppScopeKind.WriteAgenda, null))
        {
            return AllowApp(connection, "agenda.write");
        }
        return use == AgendaUse.Read && connection.Allows(AppScopeKind.ReadAgenda, null) ? AllowApp(connection, "agenda.read") : D.OutsideAppConsent;
    }

    /// <summary>
    /// Connecting an app (the consent screen's Allow): the person themself only, on their active vault (as
    /// <see cref="VaultAction.ManageConnectedApps"/> for the owner). A parent or tutor does not connect an app for the person
    /// they represent — the app's token would name the person's vault, signed in by someone else — but sees and
    /// disconnects the person's apps (ManageConnectedApps); anyone else as ManageConnectedApps decides.
    /// </summary>
    public AccessDecision DecideConnectApp(VaultAccessState vault, Caller caller, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind == CallerKind.Patient && caller.VaultId != vault.VaultId)
        {
            var decision = Decide(vault, caller, VaultAction.ManageConnectedApps, null, now);
            return decision.Allowed ? D.ConnectByThePersonOnly : decision;
        }
        return Decide(vault, caller, VaultAction.ManageConnectedApps, null, now);
    }

    /// <summary>Browsing the catalogue of connected apps: anyone signed in (directory-admin operators also see suspended apps, see <see cref="AdministersApps"/>); anonymous → NotAuthenticated.</summary>
    public static AccessDecision DecideAppCatalogue(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Kind == CallerKind.Anonymous ? D.NotAuthenticated : D.AllowAppCatalogue;
    }

    /// <summary>
    /// Whether the caller sees the catalogue as its administrators do (suspended apps, redirect URIs, suspension reasons):
    /// directory-admin operators only (<see cref="OperatorAction.Directory"/>), not every operator.
    /// </summary>
    public static bool AdministersApps(Caller caller) => DecideOperator(caller, OperatorAction.Directory).Allowed;

    private static AccessDecision AllowApp(AppConnection connection, string used) => AccessDecision.Allow(LegalBasis.ConnectedApp, string.Create(CultureInfo.InvariantCulture,
        $"Allowed: the app {connection.AppId}, connected by the person on {connection.ConnectedAt:yyyy-MM-dd}, acts within their consent ({used}; consented scopes: {AppRules.Format(connection.Scopes)})."));

    private static partial class D
    {
        public static readonly AccessDecision AllowAppCatalogue = AccessDecision.Allow(LegalBasis.None,
            "Allowed: the catalogue of connected apps is open to anyone signed in.");
        public static readonly AccessDecision AppOtherVault = AccessDecision.Deny(DenialReason.NotPermitted,
            "A connected app acts only on the vault of the person who connected it.");
        public static readonly AccessDecision AppSuspended = AccessDecision.Deny(DenialReason.AppSuspended,
            "This app is suspended from Coffre's catalogue: no vault is open to it until an operator reinstates it.");
        public static readonly AccessDecision AppNotRegistered = AccessDecision.Deny(DenialReason.NotRegistered,
            "This app is not in Coffre's catalogue of connected apps.");
        public static readonly AccessDecision AppNotConnected = AccessDecision.Deny(DenialReason.NoBasis,
            "The person has not connected this app to their vault.");
        public static readonly AccessDecision AppDisconnected = AccessDecision.Deny(DenialReason.BasisExpired,
            "The person disconnected this app from their vault; they can connect it again.");
        public static readonly AccessDecision MaskedFromApps = AccessDecision.Deny(DenialReason.MaskedFromApps,
            "Connected apps never see private documents nor anything masked or hidden, whatever their scopes.");
        public static readonly AccessDecision OutsideAppConsent = AccessDecision.Deny(DenialReason.OutsideAppConsent,
            "The person did not consent to this app doing this: it is outside the scopes they allowed.");
        public static readonly AccessDecision AppNotPermitted = AccessDecision.Deny(DenialReason.NotPermitted,
            "A connected app reads and deposits documents, profile sections and the agenda within the person's consent only; the access history, " +
            "access, carers, sharing, export, messaging, break-glass, representatives and connected apps stay with the person.");
        public static readonly AccessDecision ConnectByThePersonOnly = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the person connects an app to their own vault (signed in, on the consent screen); a parent or tutor sees and disconnects their apps.");
    }
}
