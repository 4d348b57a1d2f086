using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>
/// The one access evaluator of Coffre. Pure: no I/O, no clock (time comes as <c>now</c>), no allocation on the
/// common paths (decisions are shared immutable instances), safe to call per document when listing.
/// </summary>
/// <remarks>
/// Deny by default. Every decision carries a <see cref="LegalBasis"/> (allowed) or a <see cref="DenialReason"/>
/// (denied) and a plain English sentence with no personal data. Rules, in order:
/// <list type="number">
/// <item>Anonymous caller → <see cref="DenialReason.NotAuthenticated"/>.</item>
/// <item>Vault status. Closed (by the person, by their opposition, or merged): only patient callers' (owner,
/// representatives) <see cref="VaultAction.ReadVault"/>, <see cref="VaultAction.ReadHistory"/> and
/// <see cref="VaultAction.VerifyHistory"/>, and an operator's ManageLifecycle, MergeVaults, ManageRepresentatives and
/// VerifyHistory go on to the rules below; everything else <see cref="DenialReason.VaultNotActive"/>. Pending: referents, grantees, representatives and operators
/// proceed as normal (social workers open and feed vaults before activation); the owner, not yet activated, may only
/// ReadVault and ManageLifecycle (activate or oppose), else VaultNotActive — except while the person's opposition window
/// is open (<see cref="VaultAccessState.OppositionWindowEndsAt"/> after now: they were sent an activation code and may still
/// oppose): then CreateDocument, UpdateDocument, ManageAccess and ManageReferents by an establishment, or by a professional
/// who is not an active referent (holding the person's recorded consent), → VaultNotActive, with a sentence giving the
/// window's end (nothing is deposited or granted by others in a vault the person may still refuse). Any other status:
/// VaultNotActive.</item>
/// <item>Operator: only ReadVault (status, summary), ManageLifecycle, ManageIdentity, ManageRepresentatives (from civil
/// status or a court decision), MergeVaults and VerifyHistory (the chain's integrity), basis <see cref="LegalBasis.Operator"/>;
/// never documents or the history's content (<see cref="DenialReason.NotPermitted"/>); and only with the support role
/// (<see cref="DecideOperator"/>, <see cref="OperatorAction.VaultSupport"/>), else <see cref="DenialReason.OperatorRoleMissing"/>.</item>
/// <item>Patient callers never ManageIdentity, ManageRepresentatives or MergeVaults (operators', and for identity active
/// referents', NotPermitted) nor LeaveMandate (NoBasis); VerifyHistory is decided as ReadHistory.</item>
/// <item>Owner (patient caller whose vault id is the vault's): every other action except BreakGlass (NotPermitted), basis
/// <see cref="LegalBasis.Owner"/>. On a document (ReadDocument, UpdateDocument, DeleteDocument, and ListDocuments
/// asked per document): a deleted one → <see cref="DenialReason.DocumentDeleted"/>; an InvisibleToPatient one →
/// <see cref="DenialReason.HiddenFromPatient"/> (acting on a document one may not see would reveal it).
/// ListDocuments without a document is vault-level and allowed; the grain filters each document with ReadDocument.</item>
/// <item>Legal representative (patient caller named by a representation of this vault). None active: one whose
/// <c>Until</c> has passed → <see cref="DenialReason.BasisExpired"/>; one not yet started → NoBasis; a PARENT one of a
/// person who is 18 (<see cref="VaultAccessState.BirthDate"/>, UTC date of <c>now</c>) counts as none, and when no other
/// is active → BasisExpired with a sentence saying parental authority ended at the person's majority. Parent or
/// tutor: as the owner, basis <see cref="LegalBasis.LegalRepresentative"/>, but on a document
/// InvisibleToRepresentatives → <see cref="DenialReason.HiddenFromRepresentatives"/> and InvisibleToPatient →
/// HiddenFromPatient. Curator: only ReadVault, ListDocuments, ReadDocument, CreateDocument, ReadHistory (else
/// NotPermitted), and only once the person's consent is recorded (else <see cref="DenialReason.ConsentRequired"/>).
/// Representatives never BreakGlass. Several representations: the widest active one counts.</item>
/// <item>Carer (patient caller named by a <see cref="CarerDelegation"/> and no representation; rules in
/// <c>AccessEvaluator.Carers.cs</c>): only on an active vault, only within an active delegation (ended or expired →
/// BasisExpired): ReadVault; ListDocuments and ReadDocument with READ and the document's class in the delegation
/// (else <see cref="DenialReason.OutsideDelegation"/> / OutsideScope); CreateDocument with DEPOSIT, class in scope;
/// the agenda's Manage with MANAGE_APPOINTMENTS (<see cref="DecideAgenda"/>); ending their own delegation
/// (<see cref="DecideEndCarerDelegation"/>); never private documents nor ones hidden from the patient or from
/// representatives; everything else (history, access, carers, sharing, export, break-glass and its review, messaging as
/// the person) OutsideDelegation. Basis <see cref="LegalBasis.Carer"/>, the sentence naming the classes, actions and end.</item>
/// <item>ManageCarers: the owner, a parent or tutor (as any owner action); a carer only ends their own delegation.
/// ReviewBreakGlass: the owner, a parent or tutor (see and flag their sessions: <see cref="DecideFlagBreakGlass"/>); a support
/// operator (records a review's outcome: <see cref="DecideResolveBreakGlassReview"/>); professionals review through their establishment's listing (<see cref="DecideBreakGlassListing"/>), never on the
/// vault (NotPermitted).</item>
/// <item>Professional (RPPS and profession code required, else NotAuthenticated):
/// <list type="bullet">
/// <item>the directory's standing, first (<see cref="ProfessionalStanding"/>): suspended → <see cref="DenialReason.Suspended"/>;
/// unknown to the directory, or not checked against it → <see cref="DenialReason.NotRegistered"/>;</item>
/// <item>blocked by the person → <see cref="DenialReason.Blocked"/>, first, whatever other basis;</item>
/// <item>ContactPerson by one the person blocked from messaging (<see cref="VaultAccessState.MessagingBlocks"/>, <c>rpps:…</c>;
/// for an establishment's system <c>finess:…</c>) → <see cref="DenialReason.MessagingBlocked"/>, whatever basis (documents stay open);</item>
/// <item>profession not in the matrix → <see cref="DenialReason.ProfessionNotHabilitated"/>;</item>
/// <item>LeaveMandate: a professional who is (or was) a referent of this person ends their own mandate (basis Referent),
/// before blocks; anyone else NoBasis;</item>
/// <item>ManageAccess, ManageRepresentatives, ManageLifecycle, ReadHistory (and VerifyHistory), DeleteDocument,
/// MergeVaults → NotPermitted; ManageIdentity: an active referent (basis Referent), else NotPermitted;</item>
/// <item>ManageReferents: only a Social or MedicoSocial professional who is an active referent (basis Referent);
/// a referent whose mandate expired or was revoked → BasisExpired; otherwise NotPermitted;</item>
/// <item>BreakGlass: allowed (basis BreakGlass) when the matrix lets the profession break the glass and the vault is
/// Active or Pending; else ProfessionNotHabilitated. The grain records the session and checks the reason text;</item>
/// <item>ReadDocument, UpdateDocument, CreateDocument, and ListDocuments per document, need the document; none → NotPermitted;</item>
/// <item>basis, in order: (a) Author — ReadDocument, UpdateDocument (and per-document listing) of a document whose
/// author (Professional or Referent) has the caller's RPPS: allowed, masked or not, matrix not consulted (deleted →
/// DocumentDeleted, private → Private still apply); UpdateDocument by anyone else → NotPermitted.
/// (b) an active Grant naming the caller's RPPS whose scope covers the document → Grant;
/// (c) an active Referent with the caller's RPPS whose consent scope covers the document → Referent;
/// (d) the care team (<see cref="HabilitationMatrix.CareTeam"/>, data of the matrix, off when absent): the caller acts for
/// an establishment (the token's FINESS, which the API keeps only while the membership is active) that holds an active
/// Grant covering the document (source <c>establishment-grant</c>) or is named by an active Referent mandate whose
/// consent scope covers it (source <c>accompaniment</c>) → <see cref="LegalBasis.CareTeam"/>, with a sentence naming
/// the establishment and the relation; only for the matrix's care-team actions (read: ReadVault, ListDocuments,
/// ReadDocument; create: CreateDocument), else NotPermitted; a source the matrix does not list opens nothing;
/// (e) an active BreakGlassSession for the RPPS → BreakGlass, for ReadVault, ListDocuments and ReadDocument only
/// (CreateDocument → NotPermitted);</item>
/// <item>no basis: an active one that does not cover the document → <see cref="DenialReason.OutsideScope"/>; else
/// one expired or revoked → <see cref="DenialReason.BasisExpired"/>; else <see cref="DenialReason.NoBasis"/>
/// (a basis not yet started says so in the sentence);</item>
/// <item>ReadVault and ListDocuments without a document: any basis → allowed;</item>
/// <item>on a document, in order: deleted → DocumentDeleted; Private → <see cref="DenialReason.Private"/>
/// (professionals never see nor create private items); MaskedFromProfessionals (reads only) →
/// <see cref="DenialReason.MaskedFromProfessionals"/> unless a covering treating-physician grant to the caller's RPPS
/// (never for the care team); basis BreakGlass and
/// type outside the matrix's emergency scope → <see cref="DenialReason.OutsideEmergencyScope"/>; the matrix must
/// allow Read (ReadDocument, ListDocuments) or Create (CreateDocument) for profession × typeCode, else
/// ProfessionNotHabilitated.</item>
/// </list></item>
/// <item>Establishment system (client credentials, its one FINESS; none → NotAuthenticated):
/// <list type="bullet">
/// <item>on the bulk feed path (the caller carries <see cref="Caller.FeedCategory"/>, its category from the directory):
/// only CreateDocument (else NotPermitted), with a document (else NotPermitted); a private one → Private; a type outside
/// the matrix's feed scope for the category (<see cref="HabilitationMatrix.AllowsFeed"/>) → OutsideScope; else allowed,
/// basis <see cref="LegalBasis.Feed"/> — no grant needed (the person's opposition, which closes the vault, is their
/// refusal: rule 2). Masking is the sender's to ask (MASQUE_PS) and the minor's secrecy the vault's to check;</item>
/// <item>otherwise only ReadVault, ListDocuments, ReadDocument and CreateDocument (else NotPermitted), each needing an
/// active grant to its FINESS covering the document (none → OutsideScope, BasisExpired or NoBasis as for
/// professionals); never private documents, nor masked ones for reading.</item>
/// </list>
/// Who may use the feed at all is <see cref="DecideFeed"/>; who reads its counters <see cref="DecideFeedStatistics"/>.</item>
/// <item>Connected app (<see cref="CallerKind.App"/>, rules in <c>AccessEvaluator.Apps.cs</c>): only on the vault of its
/// token (<see cref="Caller.AppVaultId"/>, else NotPermitted), only while the catalogue says it is active (suspended →
/// <see cref="DenialReason.AppSuspended"/>, unknown → NotRegistered), only on an active vault, only through a live connection
/// for its app id in the vault's own state (none → NoBasis, disconnected → BasisExpired), and only within the scopes recorded
/// there, never its token's: ReadVault; ListDocuments and ReadDocument with <c>documents.read:{class}</c> (a <c>PROFILE-*</c>
/// type: <c>profile.read:{section}</c>); CreateDocument with <c>documents.write:{class}</c> / <c>profile.write:{section}</c>;
/// the agenda with <c>agenda.read</c> / <c>agenda.write</c> (<see cref="DecideAgenda"/>); never a private item nor one
/// carrying any masking flag (<see cref="DenialReason.MaskedFromApps"/>); outside the scopes →
/// <see cref="DenialReason.OutsideAppConsent"/>; everything else (history, access, carers, sharing, export, messaging,
/// break-glass, representatives, apps) NotPermitted. Basis <see cref="LegalBasis.ConnectedApp"/>, the sentence naming the app
/// and the scope used. Connecting an app is the person's own act (<see cref="DecideConnectApp"/>).</item>
/// <item>ShareDocuments (share links, <see cref="DecideSharing"/>): the owner and a parent or tutor only, as for any owner
/// action (a pending owner: VaultNotActive); a curator, a carer, any other patient caller, professionals, establishments
/// and operators → NotPermitted with a sentence saying who may share. Each shared document is then decided as ReadDocument for
/// the one sharing (and again, for them, at every opening).</item>
/// <item>ExportVault (<see cref="ExportGate"/>, before the caller-kind rules): the owner and an active parent or tutor go on
/// to rules 4 and 5; a curator, professionals, establishments' systems and operators → NotPermitted, each with its sentence; a carer → the carer rules (OutsideDelegation).</item>
/// <item>Anything else (a patient caller with no role, an unknown caller kind or action) → NotPermitted.</item>
/// </list>
/// Profile sections are document types (<c>PROFILE-TREATMENTS</c>…, category health, class 11): a medical profile entry is
/// decided by these same rules as a document of its section's type, and only its removal has a rule of its own
/// (<see cref="DecideProfileRemoval"/>, <c>AccessEvaluator.Profile.cs</c>).
/// </remarks>
public sealed partial class AccessEvaluator(HabilitationMatrix matrix)
{
    public HabilitationMatrix Matrix { get; } = matrix ?? throw new ArgumentNullException(nameof(matrix));

    /// <summary>
    /// What <paramref name="caller"/> may do on <paramref name="vault"/> (the API's <c>Vault.capabilities</c>): one
    /// decision per action, and for <see cref="VaultAction.CreateDocument"/> one per document type of the matrix until
    /// one allows — about 40 decisions, so computed only when asked for.
    /// </summary>
    public List<VaultAction> Capabilities(VaultAccessState vault, Caller caller, DateTimeOffset now)
    {
        var capabilities = new List<VaultAction>();
        foreach (var action in Enum.GetValues<VaultAction>())
        {
            var allowed = action == VaultAction.CreateDocument
                ? Matrix.DocumentTypes.Any(t => Decide(vault, caller, action, ProbeDocument(t), now).Allowed)
                : Decide(vault, caller, action, null, now).Allowed;
            if (allowed)
            {
                capabilities.Add(action);
            }
        }
        return capabilities;
    }

    private static DocumentFacts ProbeDocument(DocumentTypeInfo type) =>
        new("probe", type.ClassCodes[0], type.TypeCode, Visibility.Normal, false, new Author(AuthorKind.System, "probe"));

    /// <summary>Decides whether <paramref name="caller"/> may do <paramref name="action"/> on <paramref name="vault"/>
    /// (and on <paramref name="document"/> for document actions) at <paramref name="now"/>.</summary>
    public AccessDecision Decide(VaultAccessState vault, Caller caller, VaultAction action, DocumentFacts? document, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentNullException.ThrowIfNull(caller);

        // 1. Authentication.
        if (caller.Kind == CallerKind.Anonymous)
        {
            return D.NotAuthenticated;
        }

        // 2. Vault lifecycle.
        switch (vault.Status)
        {
            case VaultStatus.Active:
                break;
            case VaultStatus.Pending:
                if (InOppositionWindow(vault, caller, action, now) is { } window)
                {
                    return window;
                }

                break;
            case VaultStatus.Closed:
                if (!(caller.IsOperator && OperatorActsOnInactiveVault(action))
                    && !(caller.Kind == CallerKind.Patient && action is VaultAction.ReadVault or VaultAction.ReadHistory or VaultAction.VerifyHistory))
                {
                    return D.VaultClosed;
                }

                break;
            default:
                return D.VaultUnavailable;
        }

        if (!IsKnown(action))
        {
            return D.NotPermitted;
        }

        if (action == VaultAction.ShareDocuments)
        {
            return DecideSharing(vault, caller, now);
        }

        // The whole vault leaves only with the person or who acts as them (AccessEvaluator.Export.cs).
        if (action == VaultAction.ExportVault && ExportGate(vault, caller, now) is { } exportRefused)
        {
            return exportRefused;
        }

        return caller.Kind switch
        {
            // 3.
            CallerKind.Operator => DecideOperatorOnVault(caller, action),
            // 4. and 5. (verifying the history's chain asks what reading it asks)
            CallerKind.Patient => action is VaultAction.ManageRepresentatives or VaultAction.ManageIdentity or VaultAction.MergeVaults
                ? OperatorsOnly(action)
                : action == VaultAction.LeaveMandate ? D.NoMandateToLeave
                : DecidePatient(vault, caller, action == VaultAction.VerifyHistory ? VaultAction.ReadHistory : action, document, now),
            // 6.
            CallerKind.Professional => DecideProfessional(vault, caller, action == VaultAction.VerifyHistory ? VaultAction.ReadHistory : action, document, now),
            // 6b.
            CallerKind.Establishment => DecideEstablishment(vault, caller, action, document, now),
            // 6d. (AccessEvaluator.Apps.cs)
            CallerKind.App => DecideApp(vault, caller, action, document, now),
            // 7.
            _ => D.NotPermitted,
        };
    }

    /// <summary>
    /// The one decision for operator actions (on a vault or outside one): an operator whose roles include the one the
    /// action needs (support: <see cref="OperatorAction.VaultSupport"/>, <see cref="OperatorAction.Statistics"/>;
    /// rollout: <see cref="OperatorAction.Opposition"/>, <see cref="OperatorAction.Campaigns"/>; directory admin:
    /// <see cref="OperatorAction.Directory"/>) is allowed (basis Operator); one without it → OperatorRoleMissing;
    /// anyone else → NotAuthenticated (anonymous) or NotPermitted.
    /// </summary>
    public static AccessDecision DecideOperator(Caller caller, OperatorAction action)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind == CallerKind.Anonymous)
        {
            return D.NotAuthenticated;
        }
        if (!caller.IsOperator)
        {
            return D.OperatorsOnly;
        }
        return action switch
        {
            OperatorAction.VaultSupport => (caller.OperatorRoles & OperatorRoles.Support) != 0 ? D.AllowOperator : D.NeedsSupport,
            OperatorAction.Statistics => (caller.OperatorRoles & OperatorRoles.Support) != 0 ? D.AllowOperatorStatistics : D.NeedsSupport,
            OperatorAction.Opposition or OperatorAction.Campaigns => (caller.OperatorRoles & OperatorRoles.Rollout) != 0 ? D.AllowOperatorRollout : D.NeedsRollout,
            OperatorAction.Directory => (caller.OperatorRoles & OperatorRoles.DirectoryAdmin) != 0 ? D.AllowOperatorDirectory : D.NeedsDirectoryAdmin,
            _ => D.NotPermitted,
        };
    }

    /// <summary>
    /// Looking a person up by NIR (which vault, if any, is theirs): support operators, professionals in good
    /// standing in the directory, and an establishment's system on the feed path (the vault they find then decides
    /// what they may do in it).
    /// </summary>
    public static AccessDecision DecideNirLookup(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Kind switch
        {
            CallerKind.Anonymous => D.NotAuthenticated,
            CallerKind.Operator => DecideOperator(caller, OperatorAction.VaultSupport),
            CallerKind.Professional => ProfessionalStanding(caller) ?? D.AllowNirLookup,
            CallerKind.Establishment when caller is { FeedCategory: not null, EstablishmentFiness: not null } => D.AllowFeedLookup,
            _ => D.NirLookupByOperatorsAndProfessionals,
        };
    }

    /// <summary>
    /// Using the bulk feed (<c>POST /feeds/documents</c>): an establishment's system whose establishment the directory
    /// knows (<see cref="Caller.FeedCategory"/> set from it, else NotRegistered) and whose category has a feed scope in
    /// the matrix (else OutsideScope), basis Feed; anyone else → NotAuthenticated (anonymous) or NotPermitted. Each
    /// document is then decided by its vault (<see cref="Decide"/>).
    /// </summary>
    public AccessDecision DecideFeed(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Kind switch
        {
            CallerKind.Anonymous => D.NotAuthenticated,
            CallerKind.Establishment when string.IsNullOrEmpty(caller.EstablishmentFiness) => D.ProfessionalIdentityIncomplete,
            CallerKind.Establishment when caller.FeedCategory is null => D.FeedEstablishmentNotRegistered,
            CallerKind.Establishment when Matrix.FeedScopeOf(caller.FeedCategory) is null => D.FeedCategoryFeedsNothing,
            CallerKind.Establishment => D.AllowFeed,
            _ => D.FeedByEstablishmentsOnly,
        };
    }

    /// <summary>
    /// An establishment's feed counters: its own system (same FINESS, basis Feed) and support operators
    /// (<see cref="OperatorAction.Statistics"/>); anyone else NotPermitted (anonymous NotAuthenticated).
    /// </summary>
    public static AccessDecision DecideFeedStatistics(Caller caller, string finess)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Kind switch
        {
            CallerKind.Anonymous => D.NotAuthenticated,
            CallerKind.Operator => DecideOperator(caller, OperatorAction.Statistics),
            CallerKind.Establishment when caller.EstablishmentFiness == finess => D.AllowOwnFeedStatistics,
            _ => D.FeedStatisticsNotYours,
        };
    }

    /// <summary>
    /// Searching the directory's public entries (name, profession, establishments, town): any signed-in caller — a
    /// person, a professional in good standing, an establishment's system, an operator (any role). Anonymous →
    /// NotAuthenticated. Who also sees suspended professionals: <see cref="DirectorySearchShowsSuspended"/>.
    /// </summary>
    public static AccessDecision DecideDirectorySearch(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Kind switch
        {
            CallerKind.Anonymous => D.NotAuthenticated,
            CallerKind.Professional => ProfessionalStanding(caller) ?? D.AllowDirectorySearch,
            CallerKind.Operator => D.AllowDirectorySearchOperator,
            _ => D.AllowDirectorySearch,
        };
    }

    /// <summary>Suspended professionals appear in a directory search (with their status) for operators only.</summary>
    public static bool DirectorySearchShowsSuspended(Caller caller) => caller is { Kind: CallerKind.Operator };

    /// <summary>
    /// A professional's full directory record (private fields, history): directory-admin operators, and the
    /// professional themself (basis Owner).
    /// </summary>
    public static AccessDecision DecideDirectoryRecord(Caller caller, string rpps)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.IsOperator ? DecideOperator(caller, OperatorAction.Directory)
            : caller.Kind == CallerKind.Professional && caller.Rpps == rpps ? D.AllowOwnDirectoryRecord
            : caller.Kind == CallerKind.Anonymous ? D.NotAuthenticated
            : D.DirectoryRecordNotYours;
    }

    /// <summary>
    /// Registering staff for an establishment: directory-admin operators, and a professional in good standing acting for
    /// this establishment whose membership there is an admin one (<paramref name="adminOfEstablishment"/>, read from the
    /// directory by the caller of this rule).
    /// </summary>
    public static AccessDecision DecideStaffRegistration(Caller caller, string finess, bool adminOfEstablishment)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsOperator)
        {
            return DecideOperator(caller, OperatorAction.Directory);
        }
        if (ProfessionalStanding(caller) is { } standing)
        {
            return standing;
        }
        return caller.Kind == CallerKind.Professional && caller.EstablishmentFiness == finess && adminOfEstablishment
            ? D.AllowEstablishmentAdmin
            : caller.Kind == CallerKind.Anonymous ? D.NotAuthenticated : D.StaffByAdmins;
    }

    /// <summary>
    /// A professional caller's standing in the directory: null when active; else the denial (suspended, or unknown
    /// to the directory / never checked against it). Null for other kinds of caller.
    /// </summary>
    public static AccessDecision? ProfessionalStanding(Caller caller) => caller.Kind != CallerKind.Professional ? null : caller.Standing switch
    {
        DirectoryStanding.Active => null,
        DirectoryStanding.Suspended => D.Suspended,
        _ => D.NotRegistered,
    };

    private static bool IsKnown(VaultAction action) => action is >= VaultAction.ReadVault and <= VaultAction.ManageConnectedApps;

    /// <summary>What an operator may do on a closed vault: its lifecycle, merges, representatives, and checking its history's chain.</summary>
    private static bool OperatorActsOnInactiveVault(VaultAction action) =>
        action is VaultAction.ManageLifecycle or VaultAction.MergeVaults or VaultAction.ManageRepresentatives or VaultAction.VerifyHistory;

    /// <summary>
    /// 3. Operators (support role) see a vault's status and manage its lifecycle, record its identity, legal
    /// representatives and merges from civil status or a court decision, and check its history's chain; nothing else.
    /// </summary>
    private static AccessDecision DecideOperatorOnVault(Caller caller, VaultAction action)
    {
        if (action is not (VaultAction.ReadVault or VaultAction.ManageLifecycle or VaultAction.ManageIdentity or VaultAction.ManageRepresentatives
            or VaultAction.MergeVaults or VaultAction.VerifyHistory or VaultAction.ReviewBreakGlass))
        {
            return D.OperatorLimited;
        }
        if (DecideOperator(caller, OperatorAction.VaultSupport) is { Allowed: false } missing)
        {
            return missing;
        }
        if (action == VaultAction.ReviewBreakGlass)
        {
            return D.AllowOperatorBreakGlassReview;
        }
        return action is VaultAction.ReadVault or VaultAction.ManageLifecycle ? D.AllowOperator : D.AllowOperatorRecords;
    }

    private static AccessDecision OperatorsOnly(VaultAction action) => action switch
    {
        VaultAction.ManageRepresentatives => D.RepresentativesByOperators,
        VaultAction.MergeVaults => D.MergesByOperators,
        _ => D.IdentityByOperatorsOrReferents,
    };

    /// <summary>Actions on one document: ReadDocument, UpdateDocument, DeleteDocument, and ListDocuments asked per document.</summary>
    private static bool IsDocumentRead(VaultAction action, DocumentFacts? document) =>
        action is VaultAction.ReadDocument or VaultAction.UpdateDocument or VaultAction.DeleteDocument
        || (action == VaultAction.ListDocuments && document is not null);

    private static AccessDecision DecidePatient(VaultAccessState vault, Caller caller, VaultAction action, DocumentFacts? document, DateTimeOffset now)
    {
        var callerVault = caller.VaultId;

        // 4. Owner.
        if (callerVault == vault.VaultId)
        {
            if (action == VaultAction.BreakGlass)
            {
                return D.OwnerNoBreakGlass;
            }

            if (vault.Status == VaultStatus.Pending && action is not (VaultAction.ReadVault or VaultAction.ManageLifecycle))
            {
                return D.OwnerPending;
            }

            return IsDocumentRead(action, document) && PersonDocumentGate(document, representative: false) is { } hidden
                ? hidden
                : D.AllowOwner;
        }

        // 5. Legal representative: the widest active representation counts.
        LegalRepresentative? best = null;
        var expired = false;
        var notYet = false;
        var adult = false;
        var representatives = vault.Representatives;
        for (var i = 0; i < representatives.Count; i++)
        {
            var r = representatives[i];
            if (r.RepresentativeVaultId != callerVault)
            {
                continue;
            }

            if (r.Kind == RepresentationKind.Parent && IsAdult(vault, now))
            {
                adult = true;
                continue;
            }

            if (r.IsActive(now))
            {
                if (best is null || Rank(r, now) > Rank(best, now))
                {
                    best = r;
                }
            }
            else if (r.Until is { } until && until <= now)
            {
                expired = true;
            }
            else
            {
                notYet = true;
            }
        }

        if (best is null)
        {
            // 5b. A carer within the person's delegation (AccessEvaluator.Carers.cs): a parent whose authority ended at the
            // person's majority is their carer only through a delegation the adult person grants themself.
            return DecideCarer(vault, callerVault, action, document, now)
                ?? (adult ? ParentalAuthorityEnded : expired ? D.RepresentationExpired : notYet ? D.RepresentationNotStarted : D.NoRole);
        }

        if (action == VaultAction.BreakGlass)
        {
            return D.RepresentativeNoBreakGlass;
        }

        if (best.Kind == RepresentationKind.Curator)
        {
            if (action is not (VaultAction.ReadVault or VaultAction.ListDocuments or VaultAction.ReadDocument
                or VaultAction.CreateDocument or VaultAction.ReadHistory or VaultAction.ContactPerson))
            {
                return D.CuratorLimited;
            }

            if (best.PersonConsentedAt is not { } consented || consented > now)
            {
                return D.CuratorConsentRequired;
            }
        }
        else if (best.Kind is not (RepresentationKind.Parent or RepresentationKind.Tutor))
        {
            return D.NotPermitted;
        }

        return IsDocumentRead(action, document) && PersonDocumentGate(document, representative: true) is { } refused
            ? refused
            : D.AllowRepresentative;
    }

    /// <summary>
    /// What stops the person (or a representative) from a document: none given, deleted, hidden from
    /// representatives (representatives only), hidden from the patient. Null when nothing does.
    /// </summary>
    private static AccessDecision? PersonDocumentGate(DocumentFacts? document, bool representative) => document switch
    {
        null => D.DocumentRequired,
        { Deleted: true } => D.DocumentDeleted,
        { Visibility.InvisibleToRepresentatives: true } when representative => D.HiddenFromRepresentatives,
        { Visibility.InvisibleToPatient: true } => D.HiddenFromPatient,
        _ => null,
    };

    /// <summary>Parent and tutor act as the owner; a curator with the person's consent comes next; without, last.</summary>
    private static int Rank(LegalRepresentative r, DateTimeOffset now) => r.Kind switch
    {
        RepresentationKind.Parent or RepresentationKind.Tutor => 2,
        RepresentationKind.Curator when r.PersonConsentedAt is { } at && at <= now => 1,
        _ => 0,
    };

    private AccessDecision DecideProfessional(VaultAccessState vault, Caller caller, VaultAction action, DocumentFacts? document, DateTimeOffset now)
    {
        if (ProfessionalStanding(caller) is { } standing)
        {
            return standing;
        }

        var rpps = caller.Rpps;
        var profession = caller.ProfessionCode;
        if (string.IsNullOrEmpty(rpps) || string.IsNullOrEmpty(profession))
        {
            return D.ProfessionalIdentityIncomplete;
        }

        // A referent may always end their own mandate (blocked or not).
        if (action == VaultAction.LeaveMandate)
        {
            return vault.Referents.Any(r => r.Rpps == rpps) ? D.AllowLeaveMandate : D.NoMandateToLeave;
        }

        // Blocked: first, whatever other basis.
        var blocks = vault.Blocks;
        for (var i = 0; i < blocks.Count; i++)
        {
            if (blocks[i].Rpps == rpps)
            {
                return D.Blocked;
            }
        }

        if (action == VaultAction.ContactPerson && IsMessagingBlocked(vault, "rpps:" + rpps))
        {
            return D.MessagingBlocked;
        }

        if (!Matrix.TryGetProfession(profession, out var info))
        {
            return D.UnknownProfession;
        }

        switch (action)
        {
            case VaultAction.ManageAccess:
            case VaultAction.ManageRepresentatives:
            case VaultAction.ManageLifecycle:
            case VaultAction.ReadHistory:
                return D.ProfessionalNeverManages;
            case VaultAction.DeleteDocument:
                return D.OnlyOwnerDeletes;
            case VaultAction.ManageIdentity:
                return vault.Referents.Any(r => r.Rpps == rpps && r.IsActive(now)) ? D.AllowReferentIdentity : D.IdentityByOperatorsOrReferents;
            case VaultAction.MergeVaults:
                return D.MergesByOperators;
            case VaultAction.ReviewBreakGlass:
                return D.BreakGlassReviewNotOnVault;
            case VaultAction.ManageReferents:
                return info.Sector is ProfessionSector.Social or ProfessionSector.MedicoSocial
                    ? ManageReferents(vault, rpps, now)
                    : D.ManageReferentsNotAllowed;
            case VaultAction.BreakGlass:
                return info.CanBreakGlass && vault.Status is VaultStatus.Active or VaultStatus.Pending
                    ? D.AllowBreakGlassOpen
                    : info.CanBreakGlass ? D.VaultUnavailable : D.NotEligibleForBreakGlass;
            case VaultAction.ReadVault:
            case VaultAction.ListDocuments:
            case VaultAction.ReadDocument:
            case VaultAction.CreateDocument:
            case VaultAction.UpdateDocument:
            case VaultAction.ContactPerson:
                break;
            default:
                return D.NotPermitted;
        }

        var create = action == VaultAction.CreateDocument;
        var onDocument = create || IsDocumentRead(action, document);
        if (onDocument && document is null)
        {
            return D.DocumentRequired;
        }

        // (a) Author: sees (and updates) their own documents, masked or not; the matrix is not consulted.
        if (document is not null && !create && IsAuthor(document.Author, rpps))
        {
            return document.Deleted ? D.DocumentDeleted : document.Private ? D.Private : D.AllowAuthor;
        }

        if (action == VaultAction.UpdateDocument)
        {
            return D.OnlyAuthorUpdates;
        }

        // (b) grants, (c) referents, (d) break-glass sessions.
        var grant = false;
        var treating = false;
        var activeOutOfScope = false;
        var expired = false;
        var notYet = false;
        var careTeamActionClosed = false;

        var grants = vault.Grants;
        for (var i = 0; i < grants.Count; i++)
        {
            var g = grants[i];
            // A grant to the caller's establishment is a care-team source (below), not a personal grant.
            if (g.GranteeKind != GranteeKind.Professional || !g.Names(caller))
            {
                continue;
            }

            if (g.IsActive(now))
            {
                if (document is null || g.Scope.Covers(document.ClassCode, document.TypeCode))
                {
                    grant = true;
                    treating |= g.TreatingPhysician;
                }
                else
                {
                    activeOutOfScope = true;
                }
            }
            else if (g.RevokedAt is not null || (g.ExpiresAt is { } expires && expires <= now))
            {
                expired = true;
            }
            else
            {
                notYet = true;
            }
        }

        var referent = false;
        if (!grant)
        {
            var referents = vault.Referents;
            for (var i = 0; i < referents.Count; i++)
            {
                var r = referents[i];
                if (r.Rpps != rpps)
                {
                    continue;
                }

                if (r.IsActive(now))
                {
                    if (document is null || r.Consent.Scope.Covers(document.ClassCode, document.TypeCode))
                    {
                        referent = true;
                        break;
                    }

                    activeOutOfScope = true;
                }
                else if (r.RevokedAt is not null || r.Consent.ExpiresAt <= now)
                {
                    expired = true;
                }
                else
                {
                    notYet = true;
                }
            }
        }

        // (d) the care team: a member acting for an establishment the person gave access to or that accompanies them.
        AccessDecision? careTeam = null;
        if (!grant && !referent && Matrix.CareTeam.IsOn && caller.EstablishmentFiness is { } finess)
        {
            var found = CareTeamOf(vault, finess, document, now);
            activeOutOfScope |= found.OutOfScope;
            expired |= found.Expired;
            if (found.Basis is { } candidate)
            {
                if (Matrix.CareTeam.Opens(create))
                {
                    careTeam = candidate;
                }
                else
                {
                    careTeamActionClosed = true;
                }
            }
        }

        var breakGlass = false;
        if (!grant && !referent && careTeam is null)
        {
            var sessions = vault.BreakGlassSessions;
            for (var i = 0; i < sessions.Count; i++)
            {
                var s = sessions[i];
                if (s.Rpps != rpps)
                {
                    continue;
                }

                if (s.IsActive(now))
                {
                    breakGlass = true;
                    break;
                }

                if (s.ExpiresAt <= now)
                {
                    expired = true;
                }
                else
                {
                    notYet = true;
                }
            }
        }

        LegalBasis basis;
        if (grant)
        {
            basis = LegalBasis.Grant;
        }
        else if (referent)
        {
            basis = LegalBasis.Referent;
        }
        else if (careTeam is not null)
        {
            basis = LegalBasis.CareTeam;
        }
        else if (breakGlass && !create && action != VaultAction.ContactPerson)
        {
            basis = LegalBasis.BreakGlass;
        }
        else
        {
            return careTeamActionClosed ? D.CareTeamActionClosed
                : activeOutOfScope ? D.OutsideScope
                : breakGlass && action == VaultAction.ContactPerson ? D.BreakGlassNoContact
                : breakGlass ? D.BreakGlassReadOnly
                : expired ? D.BasisExpired
                : notYet ? D.BasisNotStarted
                : D.NoBasis;
        }

        if (document is null)
        {
            // ReadVault, or ListDocuments asked for the vault: any basis will do; the grain filters per document.
            return careTeam ?? Allow(basis);
        }

        if (document.Deleted)
        {
            return D.DocumentDeleted;
        }

        if (document.Private)
        {
            return D.Private;
        }

        if (!create && document.Visibility.MaskedFromProfessionals && !(basis == LegalBasis.Grant && treating))
        {
            return D.Masked;
        }

        if (basis == LegalBasis.BreakGlass && !Matrix.IsInEmergencyScope(document.TypeCode))
        {
            return D.OutsideEmergencyScope;
        }

        if (!Matrix.Allows(profession, create ? MatrixAction.Create : MatrixAction.Read, document.TypeCode))
        {
            return create ? D.ProfessionCannotCreateType : D.ProfessionCannotReadType;
        }

        return careTeam ?? Allow(basis);
    }

    /// <summary>
    /// A messaging block names the party (<c>rpps:…</c> or <c>finess:…</c>): it denies reaching the person, nothing else.
    /// A <c>finess:</c> block stops that establishment's system only, not its staff reaching the person on their own basis
    /// (a professional is blocked by their <c>rpps:</c>).
    /// </summary>
    private static bool IsMessagingBlocked(VaultAccessState vault, string party)
    {
        var blocks = vault.MessagingBlocks;
        for (var i = 0; i < blocks.Count; i++)
        {
            if (blocks[i].Party == party)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// An establishment's system (no professional). On the bulk feed path (<see cref="Caller.FeedCategory"/> set): only
    /// deposits, of a type in the matrix's feed scope for its category, never private, basis Feed, no grant. Otherwise
    /// only an active grant to its FINESS covering the document opens anything, for reading, listing and depositing;
    /// never managing, deleting, updating, break-glass or history; never private or masked documents. No profession:
    /// the grant's scope is the whole limit.
    /// </summary>
    private AccessDecision DecideEstablishment(VaultAccessState vault, Caller caller, VaultAction action, DocumentFacts? document, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(caller.EstablishmentFiness))
        {
            return D.ProfessionalIdentityIncomplete;
        }

        if (caller.FeedCategory is { } category)
        {
            // The bulk feed: deposits only, within the matrix's feed scope for the category; no grant.
            return action != VaultAction.CreateDocument ? D.FeedDepositsOnly
                : document is null ? D.DocumentRequired
                : document.Private ? D.Private
                : !Matrix.AllowsFeed(category, document.TypeCode) ? D.FeedOutsideScope
                : D.AllowFeed;
        }

        if (action is not (VaultAction.ReadVault or VaultAction.ListDocuments or VaultAction.ReadDocument or VaultAction.CreateDocument
            or VaultAction.ContactPerson))
        {
            return D.EstablishmentLimited;
        }

        if (action == VaultAction.ContactPerson && IsMessagingBlocked(vault, "finess:" + caller.EstablishmentFiness))
        {
            return D.MessagingBlocked;
        }

        var create = action == VaultAction.CreateDocument;
        if ((create || IsDocumentRead(action, document)) && document is null)
        {
            return D.DocumentRequired;
        }

        var grant = false;
        var activeOutOfScope = false;
        var expired = false;
        var grants = vault.Grants;
        for (var i = 0; i < grants.Count; i++)
        {
            var g = grants[i];
            if (g.GranteeKind != GranteeKind.Establishment || !g.Names(caller))
            {
                continue;
            }

            if (g.IsActive(now))
            {
                if (document is null || g.Scope.Covers(document.ClassCode, document.TypeCode))
                {
                    grant = true;
                }
                else
                {
                    activeOutOfScope = true;
                }
            }
            else
            {
                expired = true;
            }
        }

        if (!grant)
        {
            return activeOutOfScope ? D.OutsideScope : expired ? D.BasisExpired : D.NoBasis;
        }

        if (document is null)
        {
            return D.AllowGrant;
        }

        return document.Deleted ? D.DocumentDeleted
            : document.Private ? D.Private
            : !create && document.Visibility.MaskedFromProfessionals ? D.Masked
            : D.AllowGrant;
    }

    private static AccessDecision ManageReferents(VaultAccessState vault, string rpps, DateTimeOffset now)
    {
        var expired = false;
        var referents = vault.Referents;
        for (var i = 0; i < referents.Count; i++)
        {
            var r = referents[i];
            if (r.Rpps != rpps)
            {
                continue;
            }

            if (r.IsActive(now))
            {
                return D.AllowReferentManages;
            }

            expired |= r.RevokedAt is not null || r.Consent.ExpiresAt <= now;
        }

        return expired ? D.ReferentExpired : D.ManageReferentsNotAllowed;
    }

    private static bool IsAuthor(Author author, string rpps) =>
        author.Kind is AuthorKind.Professional or AuthorKind.Referent && author.Id == rpps;

    private static AccessDecision Allow(LegalBasis basis) => basis switch
    {
        LegalBasis.Grant => D.AllowGrant,
        LegalBasis.Referent => D.AllowReferent,
        LegalBasis.BreakGlass => D.AllowBreakGlass,
        _ => D.NotPermitted,
    };

    /// <summary>Every decision the evaluator gives: shared, immutable, one sentence each.</summary>
    private static partial class D
    {
        public static readonly AccessDecision AllowOwner = AccessDecision.Allow(LegalBasis.Owner,
            "Allowed: this is the person's own vault.");
        public static readonly AccessDecision AllowRepresentative = AccessDecision.Allow(LegalBasis.LegalRepresentative,
            "Allowed: legal representative of the person.");
        public static readonly AccessDecision AllowOperator = AccessDecision.Allow(LegalBasis.Operator,
            "Allowed: service operator, for the vault's status and lifecycle only.");
        public static readonly AccessDecision AllowNirLookup = AccessDecision.Allow(LegalBasis.Referent,
            "Allowed: a professional in good standing may learn which vault holds a person's NIR; the vault decides the rest.");
        public static readonly AccessDecision NirLookupByOperatorsAndProfessionals = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only operators and professionals look people up by NIR.");
        public static readonly AccessDecision AllowDirectorySearch = AccessDecision.Allow(LegalBasis.None,
            "Allowed: the directory's public entries are searchable by every signed-in caller; suspended professionals are not shown.");
        public static readonly AccessDecision AllowDirectorySearchOperator = AccessDecision.Allow(LegalBasis.Operator,
            "Allowed: service operator, searching the directory's public entries, suspended professionals included.");
        public static readonly AccessDecision AllowOwnDirectoryRecord = AccessDecision.Allow(LegalBasis.Owner,
            "Allowed: your own directory record.");
        public static readonly AccessDecision DirectoryRecordNotYours = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only a directory admin operator or the professional may read this record.");
        public static readonly AccessDecision AllowEstablishmentAdmin = AccessDecision.Allow(LegalBasis.Operator,
            "Allowed: an admin member acting for this establishment registers its staff.");
        public static readonly AccessDecision StaffByAdmins = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only an admin member acting for this establishment, or a directory admin operator, registers its staff.");
        public static readonly AccessDecision AllowOperatorRecords = AccessDecision.Allow(LegalBasis.Operator,
            "Allowed: service operator, recording the vault's identity, legal representatives or merges from civil status or a court decision, or checking its history's integrity.");
        public static readonly AccessDecision AllowReferentIdentity = AccessDecision.Allow(LegalBasis.Referent,
            "Allowed: an active referent acts on the person's identity and way in.");
        public static readonly AccessDecision AllowLeaveMandate = AccessDecision.Allow(LegalBasis.Referent,
            "Allowed: a referent ends their own mandate.");
        public static readonly AccessDecision NoMandateToLeave = AccessDecision.Deny(DenialReason.NoBasis,
            "You hold no mandate as referent of this person.");
        public static readonly AccessDecision RepresentativesByOperators = AccessDecision.Deny(DenialReason.NotPermitted,
            "Legal representatives are recorded by operators from civil status or a court decision.");
        public static readonly AccessDecision MergesByOperators = AccessDecision.Deny(DenialReason.NotPermitted,
            "Operators merge vaults.");
        public static readonly AccessDecision IdentityByOperatorsOrReferents = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only operators and the person's active referents act on the person's identity and way in.");
        public static readonly AccessDecision AllowAuthor = AccessDecision.Allow(LegalBasis.Author,
            "Allowed: the professional wrote this document.");
        public static readonly AccessDecision AllowGrant = AccessDecision.Allow(LegalBasis.Grant,
            "Allowed: the person gave access to this professional or to their establishment.");
        public static readonly AccessDecision AllowReferent = AccessDecision.Allow(LegalBasis.Referent,
            "Allowed: referent mandated by the person's recorded consent.");
        public static readonly AccessDecision AllowReferentManages = AccessDecision.Allow(LegalBasis.Referent,
            "Allowed: a referent may record or renew the person's consent.");
        public static readonly AccessDecision AllowBreakGlass = AccessDecision.Allow(LegalBasis.BreakGlass,
            "Allowed: emergency (break-glass) access, limited to the emergency summary, recorded and notified to the person.");
        public static readonly AccessDecision AllowFeed = AccessDecision.Allow(LegalBasis.Feed,
            "Allowed: the establishment's system feeds documents of a type the habilitation matrix lets its category deposit; no grant is needed, and a person who opposed has no vault to feed.");
        public static readonly AccessDecision AllowFeedLookup = AccessDecision.Allow(LegalBasis.Feed,
            "Allowed: an establishment's feed learns which vault holds a person's NIR; the vault decides the deposit.");
        public static readonly AccessDecision AllowOwnFeedStatistics = AccessDecision.Allow(LegalBasis.Feed,
            "Allowed: the establishment's own feed counters.");
        public static readonly AccessDecision FeedByEstablishmentsOnly = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only an establishment's system (OAuth client credentials) feeds documents in bulk.");
        public static readonly AccessDecision FeedEstablishmentNotRegistered = AccessDecision.Deny(DenialReason.NotRegistered,
            "This establishment is not registered in Coffre's directory, so its category (what it may feed) is unknown.");
        public static readonly AccessDecision FeedCategoryFeedsNothing = AccessDecision.Deny(DenialReason.OutsideScope,
            "The habilitation matrix gives establishments of this category no feed scope: they feed no document.");
        public static readonly AccessDecision FeedOutsideScope = AccessDecision.Deny(DenialReason.OutsideScope,
            "The habilitation matrix does not let establishments of this category feed this type of document.");
        public static readonly AccessDecision FeedDepositsOnly = AccessDecision.Deny(DenialReason.NotPermitted,
            "The bulk feed only deposits documents; reading needs a grant to the establishment, outside the feed.");
        public static readonly AccessDecision FeedStatisticsNotYours = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the establishment's own system and support operators read its feed counters.");
        public static readonly AccessDecision AllowBreakGlassOpen = AccessDecision.Allow(LegalBasis.BreakGlass,
            "Allowed: emergency (break-glass) access may be opened; it is time-limited, recorded and notified to the person.");

        public static readonly AccessDecision NotAuthenticated = AccessDecision.Deny(DenialReason.NotAuthenticated,
            "You are not signed in. Sign in to use this vault.");
        public static readonly AccessDecision ProfessionalIdentityIncomplete = AccessDecision.Deny(DenialReason.NotAuthenticated,
            "Your professional identity is incomplete (no RPPS number or no profession). Sign in again with your professional card.");
        public static readonly AccessDecision VaultClosed = AccessDecision.Deny(DenialReason.VaultNotActive,
            "This vault is closed: only the person and their legal representatives can still see its summary and history.");
        public static readonly AccessDecision VaultUnavailable = AccessDecision.Deny(DenialReason.VaultNotActive,
            "This vault is not open for this action.");
        public static readonly AccessDecision OwnerPending = AccessDecision.Deny(DenialReason.VaultNotActive,
            "Your vault is not activated yet. Activate it first; until then you can only see its summary and activate or oppose it.");
        public static readonly AccessDecision OperatorLimited = AccessDecision.Deny(DenialReason.NotPermitted,
            "Service operators only see a vault's status and manage its lifecycle; they never see documents or the access history.");
        public static readonly AccessDecision EstablishmentLimited = AccessDecision.Deny(DenialReason.NotPermitted,
            "An establishment's system only reads, lists and deposits documents its grant covers; it never manages the vault.");
        public static readonly AccessDecision OwnerNoBreakGlass = AccessDecision.Deny(DenialReason.NotPermitted,
            "Emergency (break-glass) access is for health professionals; you already have access to your own vault.");
        public static readonly AccessDecision RepresentativeNoBreakGlass = AccessDecision.Deny(DenialReason.NotPermitted,
            "Emergency (break-glass) access is for health professionals only.");
        public static readonly AccessDecision DocumentRequired = AccessDecision.Deny(DenialReason.NotPermitted,
            "This action is about one document, and no document was given.");
        public static readonly AccessDecision DocumentDeleted = AccessDecision.Deny(DenialReason.DocumentDeleted,
            "This document has been deleted.");
        public static readonly AccessDecision HiddenFromPatient = AccessDecision.Deny(DenialReason.HiddenFromPatient,
            "This document is held back until the professional who wrote it has discussed it with the person.");
        public static readonly AccessDecision HiddenFromRepresentatives = AccessDecision.Deny(DenialReason.HiddenFromRepresentatives,
            "This document is confidential to the person and is not shown to legal representatives.");
        public static readonly AccessDecision RepresentationExpired = AccessDecision.Deny(DenialReason.BasisExpired,
            "Your legal representation of this person has ended.");
        public static readonly AccessDecision RepresentationNotStarted = AccessDecision.Deny(DenialReason.NoBasis,
            "Your legal representation of this person has not started yet.");
        public static readonly AccessDecision CuratorLimited = AccessDecision.Deny(DenialReason.NotPermitted,
            "A curator may see the vault, see and add documents and see the history, but not manage access, representatives, referents or the vault itself.");
        public static readonly AccessDecision CuratorConsentRequired = AccessDecision.Deny(DenialReason.ConsentRequired,
            "Under curatorship the person must first consent to your access. Ask them to record their consent.");
        public static readonly AccessDecision NoRole = AccessDecision.Deny(DenialReason.NotPermitted,
            "You have no role on this vault.");
        public static readonly AccessDecision Blocked = AccessDecision.Deny(DenialReason.Blocked,
            "The person has blocked your access to their vault.");
        public static readonly AccessDecision MessagingBlocked = AccessDecision.Deny(DenialReason.MessagingBlocked,
            "The person has blocked messages from you: you cannot start a conversation with them nor write to them.");
        public static readonly AccessDecision UnknownProfession = AccessDecision.Deny(DenialReason.ProfessionNotHabilitated,
            "Your profession is not in the habilitation matrix, so it gives you no access to vaults.");
        public static readonly AccessDecision ProfessionalNeverManages = AccessDecision.Deny(DenialReason.NotPermitted,
            "Professionals cannot manage access, legal representatives or the vault's lifecycle, nor read its access history; only the person and their legal representatives can.");
        public static readonly AccessDecision OnlyOwnerDeletes = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the person or their legal representative can delete a document.");
        public static readonly AccessDecision ManageReferentsNotAllowed = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only a social or medico-social referent of this person can record or renew their consent.");
        public static readonly AccessDecision ReferentExpired = AccessDecision.Deny(DenialReason.BasisExpired,
            "Your mandate as referent has expired or was withdrawn; the person must give their consent again.");
        public static readonly AccessDecision NotEligibleForBreakGlass = AccessDecision.Deny(DenialReason.ProfessionNotHabilitated,
            "Your profession cannot open emergency (break-glass) access.");
        public static readonly AccessDecision OnlyAuthorUpdates = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the professional who wrote a document can change its details.");
        public static readonly AccessDecision BreakGlassNoContact = AccessDecision.Deny(DenialReason.NotPermitted,
            "Emergency (break-glass) access does not let you write to the person or propose appointments: you need their grant, a referent mandate or a care team.");
        public static readonly AccessDecision BreakGlassReadOnly = AccessDecision.Deny(DenialReason.NotPermitted,
            "Emergency (break-glass) access only lets you read the emergency summary; it does not let you add documents.");
        public static readonly AccessDecision OutsideScope = AccessDecision.Deny(DenialReason.OutsideScope,
            "Your access to this vault does not cover this kind of document.");
        public static readonly AccessDecision BasisExpired = AccessDecision.Deny(DenialReason.BasisExpired,
            "Your access to this vault has expired or was withdrawn.");
        public static readonly AccessDecision BasisNotStarted = AccessDecision.Deny(DenialReason.NoBasis,
            "Your access to this vault has not started yet.");
        public static readonly AccessDecision NoBasis = AccessDecision.Deny(DenialReason.NoBasis,
            "You have no access to this vault: the person has not given you access and you are not their referent.");
        public static readonly AccessDecision Private = AccessDecision.Deny(DenialReason.Private,
            "The person keeps this document private; professionals never see or add private documents.");
        public static readonly AccessDecision Masked = AccessDecision.Deny(DenialReason.MaskedFromProfessionals,
            "The person has hidden this document from professionals; only its author and the treating physician can see it.");
        public static readonly AccessDecision OutsideEmergencyScope = AccessDecision.Deny(DenialReason.OutsideEmergencyScope,
            "Emergency (break-glass) access only opens the emergency summary documents, and this document is not one of them.");
        public static readonly AccessDecision ProfessionCannotReadType = AccessDecision.Deny(DenialReason.ProfessionNotHabilitated,
            "Your profession is not allowed to see this type of document.");
        public static readonly AccessDecision ProfessionCannotCreateType = AccessDecision.Deny(DenialReason.ProfessionNotHabilitated,
            "Your profession is not allowed to add this type of document.");
        public static readonly AccessDecision NotPermitted = AccessDecision.Deny(DenialReason.NotPermitted,
            "This action is not allowed.");
        public static readonly AccessDecision Suspended = AccessDecision.Deny(DenialReason.Suspended,
            "Your professional account is suspended in Coffre's directory: no vault is open to you until an operator reinstates it.");
        public static readonly AccessDecision NotRegistered = AccessDecision.Deny(DenialReason.NotRegistered,
            "Your professional identifier is not registered in Coffre's directory: ask your establishment or Coffre's directory team to register you.");
        public static readonly AccessDecision OperatorsOnly = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only service operators may do this.");
        public static readonly AccessDecision AllowOperatorStatistics = AccessDecision.Allow(LegalBasis.Operator,
            "Allowed: service operator with the support role.");
        public static readonly AccessDecision AllowOperatorRollout = AccessDecision.Allow(LegalBasis.Operator,
            "Allowed: service operator with the rollout role.");
        public static readonly AccessDecision AllowOperatorDirectory = AccessDecision.Allow(LegalBasis.Operator,
            "Allowed: service operator with the directory admin role.");
        public static readonly AccessDecision NeedsSupport = AccessDecision.Deny(DenialReason.OperatorRoleMissing,
            "This needs the operator role support (vault lifecycle, legal representatives, hand-over help), which you do not have.");
        public static readonly AccessDecision NeedsRollout = AccessDecision.Deny(DenialReason.OperatorRoleMissing,
            "This needs the operator role rollout (oppositions, campaigns), which you do not have.");
        public static readonly AccessDecision NeedsDirectoryAdmin = AccessDecision.Deny(DenialReason.OperatorRoleMissing,
            "This needs the operator role directory admin (professionals, establishments, memberships, suspensions), which you do not have.");
    }
}
