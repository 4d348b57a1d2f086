using System.Globalization;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>
/// Carers (aidants) and the review of break-glass sessions. A carer is another person with a Coffre account (a patient
/// caller, named by their own vault id from the token) to whom the person delegated chosen document classes and actions
/// until a date (<see cref="CarerDelegation"/>). Pure, like the rest of the evaluator.
/// </summary>
public sealed partial class AccessEvaluator
{
    /// <summary>The profession code of a physician (médecin), the one that reviews an establishment's break-glass sessions.</summary>
    public const string PhysicianProfession = "10";

    /// <summary>
    /// A carer's decision on the vault, or null when <paramref name="callerVault"/> holds no delegation here at all (the
    /// caller then has no role). Called only for a patient caller who is neither the owner nor a representative.
    /// </summary>
    private static AccessDecision? DecideCarer(VaultAccessState vault, string? callerVault, VaultAction action, DocumentFacts? document, DateTimeOffset now)
    {
        if (callerVault is null)
        {
            return null;
        }
        if (FindDelegation(vault, callerVault, now, out var ended) is not { } delegation)
        {
            return ended ? D.CarerDelegationEnded : null;
        }
        if (vault.Status != VaultStatus.Active)
        {
            return D.VaultUnavailable;
        }

        switch (action)
        {
            case VaultAction.ReadVault:
                return AllowCarer(delegation);
            case VaultAction.ListDocuments when document is null:
                return (delegation.Actions & CarerActions.Read) != 0 ? AllowCarer(delegation) : D.CarerCannotRead;
            case VaultAction.ListDocuments:
            case VaultAction.ReadDocument:
                return (delegation.Actions & CarerActions.Read) == 0 ? D.CarerCannotRead : CarerDocumentGate(delegation, document, now);
            case VaultAction.CreateDocument:
                return (delegation.Actions & CarerActions.Deposit) == 0 ? D.CarerCannotDeposit : CarerDocumentGate(delegation, document, now);
            case VaultAction.ManageCarers:
                return D.CarerEndsOwnOnly;
            case VaultAction.BreakGlass:
                return D.RepresentativeNoBreakGlass;
            default:
                return D.CarerNotDelegated;
        }
    }

    /// <summary>A document a carer reads, lists or deposits: in the delegated classes, never private nor hidden from the person or representatives.</summary>
    private static AccessDecision CarerDocumentGate(CarerDelegation delegation, DocumentFacts? document, DateTimeOffset now) => document switch
    {
        null => D.DocumentRequired,
        { Deleted: true } => D.DocumentDeleted,
        { Private: true } => D.CarerNoPrivate,
        { Visibility.InvisibleToRepresentatives: true } => D.HiddenFromRepresentatives,
        { Visibility.InvisibleToPatient: true } => D.HiddenFromPatient,
        _ when delegation.Consent.Scope.ClassCodes is { } classes && !classes.Contains(document.ClassCode) => D.CarerOutsideClasses,
        _ => AllowCarer(delegation),
    };

    /// <summary>
    /// The caller's active delegation (the first, there is at most one live per carer), else null and whether one ended or expired.
    /// A delegation a representative issued lasts only while their representation does (<see cref="IsEffectiveRepresentative"/>):
    /// it counts as ended once that authority ends (a parent's at the person's majority, or a removed representation).
    /// </summary>
    private static CarerDelegation? FindDelegation(VaultAccessState vault, string carerVault, DateTimeOffset now, out bool ended)
    {
        ended = false;
        var delegations = vault.CarerDelegations;
        for (var i = 0; i < delegations.Count; i++)
        {
            var d = delegations[i];
            if (d.CarerVaultId != carerVault)
            {
                continue;
            }
            var issuerGone = d.IssuerVaultId is { } issuer && issuer != vault.VaultId && !IsEffectiveRepresentative(vault, issuer, now);
            if (d.IsActive(now) && !issuerGone)
            {
                return d;
            }
            ended |= issuerGone || d.EndedAt is not null || d.Consent.ExpiresAt <= now;
        }
        return null;
    }

    /// <summary>The agenda for a carer: null when the caller is not one (a representative or anyone else is decided as before).</summary>
    private static AccessDecision? DecideCarerAgenda(VaultAccessState vault, Caller caller, DateTimeOffset now)
    {
        if (caller.Kind != CallerKind.Patient || caller.VaultId is not { } callerVault || callerVault == vault.VaultId
            || IsEffectiveRepresentative(vault, callerVault, now))
        {
            return null;
        }
        if (FindDelegation(vault, callerVault, now, out var ended) is not { } delegation)
        {
            return ended ? D.CarerDelegationEnded : null;
        }
        return vault.Status != VaultStatus.Active ? D.VaultUnavailable
            : (delegation.Actions & CarerActions.ManageAppointments) != 0 ? AllowCarer(delegation)
            : D.CarerCannotManageAppointments;
    }

    /// <summary>
    /// Ending a carer delegation (<paramref name="delegation"/> of this vault): the carer it names ends their own (basis
    /// Carer, whatever its state); anyone else as <see cref="VaultAction.ManageCarers"/> (the owner, a parent or tutor).
    /// </summary>
    public AccessDecision DecideEndCarerDelegation(VaultAccessState vault, Caller caller, CarerDelegation delegation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(delegation);
        return caller.Kind == CallerKind.Patient && caller.VaultId == delegation.CarerVaultId && caller.VaultId != vault.VaultId
            && vault.Status != VaultStatus.Closed
            ? D.AllowCarerEndsOwn
            : Decide(vault, caller, VaultAction.ManageCarers, null, now);
    }

    /// <summary>
    /// An establishment's list of break-glass sessions its professionals opened (who, when, why, the person's review; no
    /// document content): its referent physician — a physician (profession 10) in good standing, acting for the establishment
    /// (token FINESS, membership checked by the API) whose membership there is an admin one (<paramref name="adminOfEstablishment"/>,
    /// read from the directory by the caller of this rule). Support operators read it too. Anyone else NotPermitted.
    /// </summary>
    public static AccessDecision DecideBreakGlassListing(Caller caller, string finess, bool adminOfEstablishment)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsOperator)
        {
            return DecideOperator(caller, OperatorAction.VaultSupport);
        }
        if (ProfessionalStanding(caller) is { } standing)
        {
            return standing;
        }
        return caller.Kind == CallerKind.Anonymous ? D.NotAuthenticated
            : caller.Kind == CallerKind.Professional && caller.EstablishmentFiness == finess && adminOfEstablishment
                && caller.ProfessionCode == PhysicianProfession ? D.AllowBreakGlassListing
            : D.BreakGlassListingByReferentPhysician;
    }

    /// <summary>
    /// Recording a carer delegation for a person far from digital tools (consent on paper or witnessed orally): a social or
    /// médico-social professional who is an active referent of the person (as <see cref="VaultAction.ManageReferents"/>: standing,
    /// blocks, sector, mandate), basis Referent. The person and their representatives invite in the app instead; others NotPermitted.
    /// </summary>
    public AccessDecision DecideRecordCarerDelegation(VaultAccessState vault, Caller caller, DateTimeOffset now)
    {
        if (caller.Kind != CallerKind.Professional)
        {
            return caller.Kind == CallerKind.Anonymous ? D.NotAuthenticated : D.CarerRecordedByReferents;
        }
        var referent = Decide(vault, caller, VaultAction.ManageReferents, null, now);
        return referent.Allowed ? D.AllowReferentRecordsCarer : referent;
    }

    /// <summary>
    /// Flagging a break-glass session for review: the person, a parent or tutor (as <see cref="VaultAction.ReviewBreakGlass"/>);
    /// never an operator (who resolves cases, and does not raise them for the person).
    /// </summary>
    public AccessDecision DecideFlagBreakGlass(VaultAccessState vault, Caller caller, DateTimeOffset now) =>
        caller.IsOperator ? D.FlagByThePerson : Decide(vault, caller, VaultAction.ReviewBreakGlass, null, now);

    /// <summary>Recording a break-glass review's outcome: support operators only (as ReviewBreakGlass on the vault); the person flags, never resolves.</summary>
    public AccessDecision DecideResolveBreakGlassReview(VaultAccessState vault, Caller caller, DateTimeOffset now) =>
        caller.IsOperator ? Decide(vault, caller, VaultAction.ReviewBreakGlass, null, now)
        : caller.Kind == CallerKind.Anonymous ? D.NotAuthenticated
        : D.ReviewResolvedByOperators;

    private static AccessDecision AllowCarer(CarerDelegation delegation) => AccessDecision.Allow(LegalBasis.Carer, string.Create(CultureInfo.InvariantCulture,
        $"You act as this person's carer within their delegation: classes {CarerRules.DescribeClasses(delegation.Consent.Scope)}, actions {CarerRules.Describe(delegation.Actions)}, until {delegation.Consent.ExpiresAt:yyyy-MM-dd HH:mm} UTC."));

    private static partial class D
    {
        public static readonly AccessDecision CarerDelegationEnded = AccessDecision.Deny(DenialReason.BasisExpired,
            "Your delegation as this person's carer has ended or expired; the person can invite you again.");
        public static readonly AccessDecision CarerCannotRead = AccessDecision.Deny(DenialReason.OutsideDelegation,
            "The person did not delegate reading their documents to you (READ).");
        public static readonly AccessDecision CarerCannotDeposit = AccessDecision.Deny(DenialReason.OutsideDelegation,
            "The person did not delegate depositing documents to you (DEPOSIT).");
        public static readonly AccessDecision CarerCannotManageAppointments = AccessDecision.Deny(DenialReason.OutsideDelegation,
            "The person did not delegate managing their appointments to you (MANAGE_APPOINTMENTS).");
        public static readonly AccessDecision CarerOutsideClasses = AccessDecision.Deny(DenialReason.OutsideScope,
            "This document's class is not among the classes the person delegated to you.");
        public static readonly AccessDecision CarerNoPrivate = AccessDecision.Deny(DenialReason.Private,
            "The person keeps this document private; a carer never sees or adds private documents.");
        public static readonly AccessDecision CarerEndsOwnOnly = AccessDecision.Deny(DenialReason.OutsideDelegation,
            "A carer only ends their own delegation; the person and their legal representatives manage carers.");
        public static readonly AccessDecision CarerNotDelegated = AccessDecision.Deny(DenialReason.OutsideDelegation,
            "A carer reads, deposits and manages appointments within their delegation only; the access history, access, carers, sharing, export, " +
            "break-glass review and messaging stay with the person and their legal representatives.");
        public static readonly AccessDecision AllowCarerEndsOwn = AccessDecision.Allow(LegalBasis.Carer,
            "Allowed: a carer ends their own delegation.");
        public static readonly AccessDecision AllowOperatorBreakGlassReview = AccessDecision.Allow(LegalBasis.Operator,
            "Allowed: service operator with the support role, recording the outcome of a break-glass review the person asked for.");
        public static readonly AccessDecision BreakGlassReviewNotOnVault = AccessDecision.Deny(DenialReason.NotPermitted,
            "Professionals review break-glass sessions through their establishment's list (its referent physician), not on the person's vault.");
        public static readonly AccessDecision AllowReferentRecordsCarer = AccessDecision.Allow(LegalBasis.Referent,
            "Allowed: a social referent records a carer delegation with the person's consent on paper or witnessed orally.");
        public static readonly AccessDecision CarerRecordedByReferents = AccessDecision.Deny(DenialReason.NotPermitted,
            "Delegations with a paper or witnessed consent are recorded by the person's social referent; the person invites carers in the app.");
        public static readonly AccessDecision FlagByThePerson = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the person (or a parent or tutor) flags a break-glass session they do not recognise; operators resolve the cases.");
        public static readonly AccessDecision ReviewResolvedByOperators = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only a service operator with the support role records the outcome of a break-glass review.");
        public static readonly AccessDecision AllowBreakGlassListing = AccessDecision.Allow(LegalBasis.BreakGlass,
            "Allowed: the establishment's referent physician (an admin member who is a physician, acting for it) reviews its break-glass sessions: who, when, why; no document content.");
        public static readonly AccessDecision BreakGlassListingByReferentPhysician = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the establishment's referent physician (an admin member who is a physician, acting for it) and support operators see its break-glass sessions.");
    }
}
