using Coffre.Domain.Access;
using Coffre.Domain.Directory;

namespace Coffre.Grains.Professionals;

/// <summary>A health, social or médico-social professional, keyed by <see cref="GrainNames.Keys.Professional"/>.</summary>
[Alias("coffre.professional")]
public interface IProfessionalGrain : IGrainWithStringKey
{
    /// <summary>Creates or updates the professional's record. Operators with the directory admin role.</summary>
    [Alias("register")]
    Task<ProfessionalProfile> RegisterAsync(Caller caller, RegisterProfessional command);

    /// <summary>
    /// Registers a new professional under a fresh Coffre identifier (this grain's key) as staff of
    /// <paramref name="finess"/>: an admin member of that establishment (acting for it), or a directory admin operator.
    /// CONFLICT when the identifier is taken (the caller draws another).
    /// </summary>
    [Alias("register-staff")]
    Task<ProfessionalProfile> RegisterStaffAsync(Caller caller, string finess, RegisterProfessional command);

    /// <summary>
    /// What the API needs to build a professional caller, once per request: profession, sector, standing and
    /// memberships; null when the directory does not know this identifier. In memory (one activation per professional).
    /// </summary>
    [Alias("directory-entry"), Orleans.Concurrency.ReadOnly]
    Task<DirectoryEntry?> GetDirectoryEntryAsync();

    /// <summary>Suspends the professional: every vault refuses them from their next request. Directory admin operators; recorded in the history.</summary>
    [Alias("suspend")]
    Task<ProfessionalProfile> SuspendAsync(Caller caller, string reason);

    /// <summary>Lifts a suspension. Directory admin operators; recorded in the history.</summary>
    [Alias("reinstate")]
    Task<ProfessionalProfile> ReinstateAsync(Caller caller);

    /// <summary>
    /// Records (<paramref name="membership"/>, with its role, start and end) or ends (null) membership of
    /// <paramref name="finess"/>; called by the establishment, which re-checks the caller first.
    /// </summary>
    [Alias("set-membership")]
    Task SetMembershipAsync(Caller caller, string finess, Membership? membership);

    /// <summary>
    /// Creates or updates the whole record from a directory row (list import, bulk API): name, profession, sector and
    /// memberships (the row's list replaces the record's; each named establishment must be registered, and is told of
    /// the memberships that begin, change or end). <see cref="DirectoryOutcome.Unchanged"/> writes nothing.
    /// Directory admin operators; the row is checked by <see cref="DirectoryRules.Professional"/>.
    /// </summary>
    [Alias("apply-entry")]
    Task<DirectoryOutcome> ApplyEntryAsync(Caller caller, ProfessionalEntry entry);

    /// <summary>The record, or null when none was registered. Operators and the professional themself.</summary>
    [Alias("get")]
    Task<ProfessionalProfile?> GetAsync(Caller caller);

    /// <summary>The public directory entry (name, profession, sector), as the national directory publishes it; null when unknown.</summary>
    [Alias("get-public")]
    Task<PublicProfessional?> GetPublicAsync();
}

[GenerateSerializer, Immutable, Alias("coffre.register-professional")]
public sealed record RegisterProfessional(
    [property: Id(0)] string DisplayName,
    [property: Id(1)] string ProfessionCode,
    [property: Id(2)] ProfessionSector Sector);

[GenerateSerializer, Immutable, Alias("coffre.professional-profile")]
public sealed record ProfessionalProfile(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] string ProfessionCode,
    [property: Id(3)] ProfessionSector Sector,
    [property: Id(4)] DateTimeOffset RegisteredAt,
    [property: Id(5)] DateTimeOffset UpdatedAt,
    [property: Id(6)] int Revision)
{
    [Id(7)] public ProfessionalStatus Status { get; init; } = ProfessionalStatus.Active;

    /// <summary>Who suspended (operator subject) and when; null while active.</summary>
    [Id(8)] public string? SuspendedBy { get; init; }

    [Id(9)] public DateTimeOffset? SuspendedAt { get; init; }

    [Id(10)] public string? SuspensionReason { get; init; }

    [Id(11)] public IReadOnlyList<Membership> Memberships { get; init; } = [];

    /// <summary>Who registered the professional: an operator's subject, or <c>establishment:{finess}</c> (Coffre identifiers).</summary>
    [Id(12)] public string? RegisteredBy { get; init; }

    /// <summary>Directory events (registration, suspension, reinstatement, memberships), oldest first.</summary>
    [Id(13)] public IReadOnlyList<DirectoryEvent> History { get; init; } = [];
}

[GenerateSerializer, Alias("coffre.professional-status")]
public enum ProfessionalStatus
{
    Active = 0,
    Suspended = 1,
}

/// <summary>
/// Member of an establishment; an admin member may register staff with Coffre identifiers. A membership counts only
/// between <see cref="Start"/> (inclusive) and <see cref="End"/> (exclusive); either may be open.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.membership")]
public sealed record Membership(
    [property: Id(0)] string Finess,
    [property: Id(1)] bool Admin)
{
    /// <summary>The member's role there as the establishment names it (e.g. "assistant de service social"); null when unsaid.</summary>
    [Id(2)] public string? Role { get; init; }

    /// <summary>From when the membership counts; null: since it was recorded.</summary>
    [Id(3)] public DateTimeOffset? Start { get; init; }

    /// <summary>Until when (exclusive); null: open-ended.</summary>
    [Id(4)] public DateTimeOffset? End { get; init; }

    /// <summary>Whether the membership counts at <paramref name="now"/>.</summary>
    public bool IsActiveAt(DateTimeOffset now) => Domain.Directory.DirectoryMembership.Covers(Start, End, now);

    /// <summary>A directory row's membership.</summary>
    public static Membership From(MembershipTerms entry) =>
        new(entry.Finess, entry.Admin) { Role = entry.Role?.Trim(), Start = entry.Start, End = entry.End };
}

/// <summary>One change of a directory record: what, by whom (and, for an operator, with which roles), when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-event")]
public sealed record DirectoryEvent(
    [property: Id(0)] string Action,
    [property: Id(1)] string By,
    [property: Id(2)] string? ByRoles,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] string? Detail);

/// <summary>What builds a professional caller: profession, sector, status, memberships.</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-entry")]
public sealed record DirectoryEntry(
    [property: Id(0)] string ProfessionCode,
    [property: Id(1)] ProfessionSector Sector,
    [property: Id(2)] ProfessionalStatus Status,
    [property: Id(3)] IReadOnlyList<Membership> Memberships);

/// <summary>What anyone may know of a professional: the public directory entry.</summary>
[GenerateSerializer, Immutable, Alias("coffre.public-professional")]
public sealed record PublicProfessional(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] string ProfessionCode,
    [property: Id(3)] ProfessionSector Sector);
