namespace Coffre.Domain.Vaults;

/// <summary>Lifecycle of a vault.</summary>
[GenerateSerializer, Alias("coffre.vault-status")]
public enum VaultStatus
{
    /// <summary>Created (by import or by a referent), not yet activated by the person.</summary>
    Pending = 0,
    Active = 1,
    // 2 was "opposed": an opposed person's registry vault is closed instead (and never written before it is used).
    /// <summary>Closed by its person, by their opposition, or as merged into another vault: only its summary and history remain readable.</summary>
    Closed = 3,
}

/// <summary>What a document scope covers: null lists mean "all"; an empty list means "none".</summary>
[GenerateSerializer, Immutable, Alias("coffre.document-scope")]
public sealed record DocumentScope(
    [property: Id(0)] IReadOnlyList<string>? ClassCodes = null,
    [property: Id(1)] IReadOnlyList<string>? TypeCodes = null)
{
    public static DocumentScope All { get; } = new();

    public bool Covers(string classCode, string typeCode) =>
        (ClassCodes is null || ClassCodes.Contains(classCode)) && (TypeCodes is null || TypeCodes.Contains(typeCode));
}

/// <summary>Kinds of legal representation (minors, protected adults).</summary>
[GenerateSerializer, Alias("coffre.representation-kind")]
public enum RepresentationKind
{
    /// <summary>Holder of parental authority of a minor.</summary>
    Parent = 0,
    /// <summary>Tutelle: the guardian acts for the protected adult.</summary>
    Tutor = 1,
    /// <summary>Curatelle: the curator assists; acts only with the protected person's recorded consent.</summary>
    Curator = 2,
}

/// <summary>A legal representative: another person (identified by their own vault id) acting for this vault's owner.</summary>
[GenerateSerializer, Immutable, Alias("coffre.legal-representative")]
public sealed record LegalRepresentative(
    [property: Id(0)] string RepresentativeVaultId,
    [property: Id(1)] RepresentationKind Kind,
    [property: Id(2)] DateTimeOffset Since,
    [property: Id(3)] DateTimeOffset? Until,
    [property: Id(4)] string RecordedBy,
    [property: Id(5)] DateTimeOffset? PersonConsentedAt = null,
    [property: Id(6)] CourtDecision? Decision = null)
{
    public bool IsActive(DateTimeOffset now) => Since <= now && (Until is null || now < Until);
}

/// <summary>The judgment that opened a tutelle or curatelle: which court, its reference, its date.</summary>
[GenerateSerializer, Immutable, Alias("coffre.court-decision")]
public sealed record CourtDecision(
    [property: Id(0)] string Court,
    [property: Id(1)] string Reference,
    [property: Id(2)] DateOnly Date);

/// <summary>
/// Who may be recorded as whose legal representative. A parent (autorité parentale) represents a minor only; an
/// adult is represented only under a recorded court decision (tutelle: TUTOR, curatelle: CURATOR), which names the
/// court, the decision's reference and its date. A tutor of a minor also needs the decision (tutelle des mineurs).
/// </summary>
public static class RepresentationRules
{
    /// <summary>A person is a minor when the vault says so and, when the birth date is known, they are under 18 today.</summary>
    public static bool IsMinor(bool recordedMinor, DateOnly? birthDate, DateOnly today) =>
        recordedMinor && (birthDate is not { } born || born.AddYears(18) > today);

    /// <summary>Null when the link may be recorded; else (field, rule) for a VALIDATION error.</summary>
    public static (string Field, string Rule)? Validate(RepresentationKind kind, bool personIsMinor, CourtDecision? decision, DateOnly today)
    {
        if (kind == RepresentationKind.Parent)
        {
            return personIsMinor
                ? null
                : ("kind", "PARENT requires the person to be a minor (registry or vault); an adult is represented only by a TUTOR or CURATOR under a recorded court decision");
        }
        if (decision is null || string.IsNullOrWhiteSpace(decision.Court))
        {
            return ("court", $"is required for {kind.ToString().ToUpperInvariant()}: the court that decided the {(kind == RepresentationKind.Tutor ? "tutelle" : "curatelle")}");
        }
        if (decision.Court.Length > 200 || Text.TextRules.Validate(decision.Court) is not null)
        {
            return ("court", Text.TextRules.Validate(decision.Court) ?? "must be at most 200 characters");
        }
        if (string.IsNullOrWhiteSpace(decision.Reference))
        {
            return ("decisionReference", $"is required for {kind.ToString().ToUpperInvariant()}: the reference of the court decision");
        }
        if (decision.Reference.Length > 100 || Text.TextRules.Validate(decision.Reference) is not null)
        {
            return ("decisionReference", Text.TextRules.Validate(decision.Reference) ?? "must be at most 100 characters");
        }
        if (decision.Date > today || decision.Date < new DateOnly(1900, 1, 1))
        {
            return ("decisionDate", "must be the date of the court decision, not in the future");
        }
        return null;
    }
}

/// <summary>How a person's consent was recorded when they may have no phone or account.</summary>
[GenerateSerializer, Alias("coffre.consent-method")]
public enum ConsentMethod
{
    SignedPaper = 0,
    OralWitnessed = 1,
    SmsCode = 2,
    InApp = 3,
}

/// <summary>Recorded consent: who recorded it, when, how, for what scope, until when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.consent")]
public sealed record Consent(
    [property: Id(0)] string RecordedBy,
    [property: Id(1)] DateTimeOffset RecordedAt,
    [property: Id(2)] ConsentMethod Method,
    [property: Id(3)] DocumentScope Scope,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] string? Evidence = null);

/// <summary>A referent (trusted third party): a professional and their establishment, mandated by the person's recorded consent.</summary>
[GenerateSerializer, Immutable, Alias("coffre.referent")]
public sealed record Referent(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string? EstablishmentFiness,
    [property: Id(2)] Consent Consent,
    [property: Id(3)] DateTimeOffset? RevokedAt = null,
    [property: Id(4)] DateTimeOffset? CountersignedAt = null,
    [property: Id(5)] DateTimeOffset? HandedOverAt = null)
{
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && Consent.RecordedAt <= now && now < Consent.ExpiresAt;

    /// <summary>Since when this professional holds the mandate: the hand-over that gave it to them, else the consent's recording.</summary>
    public DateTimeOffset Since => HandedOverAt ?? Consent.RecordedAt;
}

/// <summary>Access granted to a professional (by RPPS) or to every member of an establishment (by FINESS).</summary>
[GenerateSerializer, Immutable, Alias("coffre.grant")]
public sealed record Grant(
    [property: Id(0)] string Id,
    [property: Id(1)] GranteeKind GranteeKind,
    [property: Id(2)] string Grantee,
    [property: Id(3)] DocumentScope Scope,
    [property: Id(4)] DateTimeOffset GrantedAt,
    [property: Id(5)] DateTimeOffset? ExpiresAt,
    [property: Id(6)] string GrantedBy,
    [property: Id(7)] DateTimeOffset? RevokedAt = null,
    [property: Id(8)] bool TreatingPhysician = false)
{
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && GrantedAt <= now && (ExpiresAt is null || now < ExpiresAt);

    public bool Names(Access.Caller caller) => GranteeKind switch
    {
        GranteeKind.Professional => caller.Rpps == Grantee,
        GranteeKind.Establishment => caller.EstablishmentFiness is not null && caller.EstablishmentFiness == Grantee,
        _ => false,
    };
}

[GenerateSerializer, Alias("coffre.grantee-kind")]
public enum GranteeKind
{
    Professional = 0,
    Establishment = 1,
}

/// <summary>A professional the person has blocked: no access on any basis.</summary>
[GenerateSerializer, Immutable, Alias("coffre.block")]
public sealed record Block(
    [property: Id(0)] string Rpps,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string By);

/// <summary>
/// An emergency access session: time-boxed, emergency scope only, audited and notified. Kept after it ends (the most
/// recent ones, <see cref="BreakGlassReviewRules.KeptSessions"/>) so the person can see and flag it; the establishment the
/// professional acted for (<see cref="Finess"/>) has its referent physician review it too.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.break-glass-session")]
public sealed record BreakGlassSession(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string Reason,
    [property: Id(2)] DateTimeOffset StartedAt,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] string? Id = null,
    [property: Id(5)] string? Finess = null,
    [property: Id(6)] string? ProfessionCode = null,
    [property: Id(7)] BreakGlassReview? Review = null)
{
    public bool IsActive(DateTimeOffset now) => StartedAt <= now && now < ExpiresAt;
}

[GenerateSerializer, Alias("coffre.break-glass-review-status")]
public enum BreakGlassReviewStatus
{
    /// <summary>Flagged by the person ("I don't recognise this access"): a case waits for an operator.</summary>
    Open = 0,
    Resolved = 1,
}

[GenerateSerializer, Alias("coffre.break-glass-review-outcome")]
public enum BreakGlassReviewOutcome
{
    Justified = 0,
    NotJustified = 1,
}

/// <summary>The review of a break-glass session the person flagged: the case, the person's comment, the operator's outcome.</summary>
[GenerateSerializer, Immutable, Alias("coffre.break-glass-review")]
public sealed record BreakGlassReview(
    [property: Id(0)] string CaseId,
    [property: Id(1)] BreakGlassReviewStatus Status,
    [property: Id(2)] DateTimeOffset FlaggedAt,
    [property: Id(3)] string FlaggedBy,
    [property: Id(4)] string? Comment,
    [property: Id(5)] BreakGlassReviewOutcome? Outcome = null,
    [property: Id(6)] string? Note = null,
    [property: Id(7)] DateTimeOffset? ResolvedAt = null,
    [property: Id(8)] string? ResolvedBy = null);

public static class BreakGlassReviewRules
{
    /// <summary>Sessions kept in the vault's state (most recent first kept): enough for years of emergencies.</summary>
    public const int KeptSessions = 50;

    public const int MaxCommentLength = 1000;
    public const int MaxNoteLength = 2000;
}

/// <summary>Everything about a vault that access decisions depend on (held in the vault grain's permission state).</summary>
[GenerateSerializer, Alias("coffre.vault-access")]
public sealed record VaultAccessState
{
    [Id(0)] public required string VaultId { get; init; }
    [Id(1)] public VaultStatus Status { get; init; } = VaultStatus.Pending;
    [Id(2)] public bool IsMinor { get; init; }
    [Id(3)] public IReadOnlyList<LegalRepresentative> Representatives { get; init; } = [];
    [Id(4)] public IReadOnlyList<Referent> Referents { get; init; } = [];
    [Id(5)] public IReadOnlyList<Grant> Grants { get; init; } = [];
    [Id(6)] public IReadOnlyList<Block> Blocks { get; init; } = [];
    [Id(7)] public IReadOnlyList<BreakGlassSession> BreakGlassSessions { get; init; } = [];
    /// <summary>Professionals and establishments the person blocked from messaging them (not from their documents).</summary>
    [Id(8)] public IReadOnlyList<MessagingBlock> MessagingBlocks { get; init; } = [];
    /// <summary>Carers (aidants) the person delegated to: scoped by document class and action, time-boxed, ended by either side.</summary>
    [Id(9)] public IReadOnlyList<CarerDelegation> CarerDelegations { get; init; } = [];
    /// <summary>
    /// The person's birth date when known (registry, or the identity a referent opened the vault with): a PARENT
    /// representation ends on the 18th birthday (<see cref="Access.AccessEvaluator"/>, rule 5), whatever its <c>Until</c>.
    /// </summary>
    [Id(10)] public DateOnly? BirthDate { get; init; }
    /// <summary>
    /// A registry person sent an activation code whose campaign's opposition window is still open: until then nothing is
    /// deposited or granted in their vault (they may still oppose). Null outside a window.
    /// </summary>
    [Id(11)] public DateTimeOffset? OppositionWindowEndsAt { get; init; }
    /// <summary>
    /// Apps of the catalogue the person connected (live and ended, oldest first): what each may do is the scopes recorded
    /// here at the person's consent, never its token's (<see cref="Access.AccessEvaluator"/>, connected apps).
    /// </summary>
    [Id(12)] public IReadOnlyList<Apps.AppConnection> AppConnections { get; init; } = [];
}

/// <summary>
/// The person (or a representative) blocked a professional (<see cref="Party"/> <c>rpps:…</c>) or an establishment's
/// system (<c>finess:…</c>) from messaging them: <see cref="Access.VaultAction.ContactPerson"/> is denied, documents are not.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.messaging-block")]
public sealed record MessagingBlock(
    [property: Id(0)] string Party,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string By);
