namespace Coffre.Domain.Access;

/// <summary>What the caller wants to do on a vault.</summary>
[GenerateSerializer, Alias("coffre.vault-action")]
public enum VaultAction
{
    /// <summary>See the vault summary (status, identity traits shown to the caller, counts).</summary>
    ReadVault = 0,
    ListDocuments = 1,
    ReadDocument = 2,
    CreateDocument = 3,
    UpdateDocument = 4,
    DeleteDocument = 5,
    /// <summary>Read the vault's access history (audit).</summary>
    ReadHistory = 6,
    /// <summary>Grants, blocks, masking and visibility.</summary>
    ManageAccess = 7,
    /// <summary>Referents (trusted third parties) and their recorded consent.</summary>
    ManageReferents = 8,
    ManageRepresentatives = 9,
    /// <summary>Open an emergency (break-glass) session.</summary>
    BreakGlass = 10,
    /// <summary>Lifecycle: close, reopen, opposition.</summary>
    ManageLifecycle = 11,
    /// <summary>Record the person's identity, hand them a way in (hand-over sheet), attach their NIR.</summary>
    ManageIdentity = 12,
    /// <summary>Merge a duplicate vault into another (either side of the merge).</summary>
    MergeVaults = 13,
    /// <summary>Recompute the access history's hash chain (its integrity, not its content).</summary>
    VerifyHistory = 14,
    /// <summary>A referent ends their own mandate.</summary>
    LeaveMandate = 15,
    /// <summary>
    /// Reach the person: start a conversation with them, propose an appointment. The person, their representatives and
    /// anyone with a standing basis (grant, referent mandate, care team, an establishment's system with a grant); never
    /// break-glass, never operators.
    /// </summary>
    ContactPerson = 16,
    /// <summary>Share chosen documents with someone outside Coffre through a link and a separate code (the person, parent or tutor).</summary>
    ShareDocuments = 17,
    /// <summary>Delegate to a carer (aidant), change or end a delegation (the person; a carer ends their own).</summary>
    ManageCarers = 18,
    /// <summary>Download the whole vault as one archive (content, FHIR R4 Bundle, readable index).</summary>
    ExportVault = 19,
    /// <summary>See the break-glass sessions on the vault with their reasons; the person flags one for review.</summary>
    ReviewBreakGlass = 20,
    /// <summary>Connect an app of the catalogue to the vault (consent to its scopes), see and disconnect connected apps.</summary>
    ManageConnectedApps = 21,
}

/// <summary>On what ground access was allowed: shown to the person in their access history.</summary>
[GenerateSerializer, Alias("coffre.legal-basis")]
public enum LegalBasis
{
    None = 0,
    Owner = 1,
    LegalRepresentative = 2,
    Referent = 3,
    Grant = 4,
    Author = 5,
    BreakGlass = 6,
    Operator = 7,
    /// <summary>An establishment's system fed a document through the bulk feed, within the matrix's feed scope for its category (no grant needed; the person's opposition is their refusal).</summary>
    Feed = 8,

    /// <summary>
    /// The care-team presumption of the matrix: a member acting for an establishment that holds an active grant on the
    /// vault or accompanies the person (an active referent mandate naming it).
    /// </summary>
    CareTeam = 9,

    /// <summary>A carer (aidant) acting within the person's delegation (<see cref="Vaults.CarerDelegation"/>): its classes, its actions, until its end.</summary>
    Carer = 10,

    /// <summary>Someone outside Coffre opened a share link the person (or a representative) made, with its code.</summary>
    ShareLink = 11,

    /// <summary>An app of the catalogue the person connected to their vault, acting within the scopes they consented to.</summary>
    ConnectedApp = 12,
}

/// <summary>Why access was denied: machine-readable, stable, mapped to a sentence by <see cref="AccessDecision.Explanation"/>.</summary>
[GenerateSerializer, Alias("coffre.denial-reason")]
public enum DenialReason
{
    None = 0,
    NotAuthenticated = 1,
    NotPermitted = 2,
    VaultNotActive = 3,
    Blocked = 4,
    NoBasis = 5,
    BasisExpired = 6,
    OutsideScope = 7,
    ProfessionNotHabilitated = 8,
    MaskedFromProfessionals = 9,
    HiddenFromPatient = 10,
    HiddenFromRepresentatives = 11,
    Private = 12,
    OutsideEmergencyScope = 13,
    ConsentRequired = 14,
    DocumentDeleted = 15,
    /// <summary>Too many denials of this caller on this vault in the current window: refused without evaluation.</summary>
    RateLimited = 16,
    /// <summary>The directory suspended this professional: every vault refuses them until an operator reinstates them.</summary>
    Suspended = 17,
    /// <summary>The token proves a professional identifier the directory does not know.</summary>
    NotRegistered = 18,
    /// <summary>The operator's roles do not include the one this action needs.</summary>
    OperatorRoleMissing = 19,
    /// <summary>The person blocked this professional (or establishment) from messaging them; their documents' access is unchanged.</summary>
    MessagingBlocked = 20,
    /// <summary>A no-reply conversation (institutional messages): the person cannot answer in it.</summary>
    NoReply = 21,

    // 22–23: share links.

    /// <summary>A carer's delegation does not include this action (READ, DEPOSIT, MANAGE_APPOINTMENTS), or a carer never does it.</summary>
    OutsideDelegation = 24,

    // 25–29: carers, export, rollout (issue 13). 30–32: connected apps. 33–34: medical profile.

    /// <summary>A profile entry is removed by its author or by the person (or a parent or tutor acting as them), nobody else.</summary>
    NotEntryAuthor = 33,
    /// <summary>The catalogue suspended this app: no vault is open to it until an operator reinstates it.</summary>
    AppSuspended = 30,
    /// <summary>Apps never see private documents nor anything the person or a professional masked or hid.</summary>
    MaskedFromApps = 31,
    /// <summary>The person did not consent to this app doing this (its connection's scopes do not cover it).</summary>
    OutsideAppConsent = 32,
}

/// <summary>The evaluator's answer: allowed or not, on which basis, and why, in a sentence.</summary>
[GenerateSerializer, Immutable, Alias("coffre.access-decision")]
public sealed record AccessDecision(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] LegalBasis Basis,
    [property: Id(2)] DenialReason Reason,
    [property: Id(3)] string Explanation)
{
    public static AccessDecision Allow(LegalBasis basis, string explanation) => new(true, basis, DenialReason.None, explanation);

    public static AccessDecision Deny(DenialReason reason, string explanation) => new(false, LegalBasis.None, reason, explanation);

    /// <summary>Throws <see cref="AccessDeniedException"/> unless allowed; returns the decision for auditing.</summary>
    public AccessDecision OrThrow() => Allowed ? this : throw new AccessDeniedException(Explanation, Reason);
}
