using Coffre.Domain.Access;
using Coffre.Domain.Directory;

namespace Coffre.Grains.Establishments;

/// <summary>An establishment (FINESS legal entity or site), keyed by <see cref="GrainNames.Keys.Establishment"/>.</summary>
[Alias("coffre.establishment")]
public interface IEstablishmentGrain : IGrainWithStringKey
{
    /// <summary>Creates or updates the establishment. Operators only.</summary>
    [Alias("register")] Task<EstablishmentProfile> RegisterAsync(Caller caller, RegisterEstablishment command);

    /// <summary>Public directory data (name, kind, category): any signed-in caller.</summary>
    [Alias("get")] Task<EstablishmentProfile?> GetAsync(Caller caller);

    /// <summary>
    /// Whether the professional is an active member (the directory's word): the API asks it when it builds a caller
    /// from a token that names this establishment, and drops the establishment when the answer is no.
    /// </summary>
    [Alias("is-member"), Orleans.Concurrency.ReadOnly] Task<bool> IsMemberAsync(string rpps);

    /// <summary>
    /// Adds or removes a member professional (registered in the directory), as an admin member (who may register
    /// staff) or not, with their role there and the membership's start and end (either open). Directory admin operators.
    /// The professional's own record (what callers are built from) is updated first.
    /// </summary>
    [Alias("set-member")] Task<EstablishmentProfile> SetMemberAsync(Caller caller, string rpps, bool member, bool admin = false,
        string? role = null, DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null);

    /// <summary>
    /// Creates or updates the establishment from a directory row (list import, bulk API); members are kept.
    /// <see cref="DirectoryOutcome.Unchanged"/> writes nothing. Directory admin operators; checked by <see cref="DirectoryRules.Establishment"/>.
    /// </summary>
    [Alias("apply-entry")] Task<DirectoryOutcome> ApplyEntryAsync(Caller caller, EstablishmentEntry entry);

    /// <summary>Whether the establishment is registered (a membership may name it).</summary>
    [Alias("is-registered"), Orleans.Concurrency.ReadOnly] Task<bool> IsRegisteredAsync();

    /// <summary>
    /// The professional's grain tells of a membership it recorded from a directory row: member (admin or not) or no
    /// longer. Directory admin operators; NOT_FOUND when the establishment is not registered. Interleaves: the
    /// professional's grain calls it while <see cref="SetMemberAsync"/> of this establishment may be waiting for that
    /// professional's grain (the two would otherwise wait for each other); the grain serialises its own writes.
    /// </summary>
    [Alias("record-member"), Orleans.Concurrency.AlwaysInterleave] Task RecordMemberAsync(Caller caller, string rpps, bool member, bool admin);

    /// <summary>Whether the professional is an admin member (registers staff with Coffre identifiers).</summary>
    [Alias("is-admin"), Orleans.Concurrency.ReadOnly] Task<bool> IsAdminAsync(string rpps);

    /// <summary>Adds staff the professional's grain just registered under a Coffre identifier (same checks as there).</summary>
    [Alias("add-staff")] Task AddStaffAsync(Caller caller, string coffreId);
}

[GenerateSerializer, Immutable, Alias("coffre.register-establishment")]
public sealed record RegisterEstablishment(
    [property: Id(0)] string Name,
    [property: Id(1)] EstablishmentKind Kind,
    [property: Id(2)] string CategoryCode,
    [property: Id(3)] string? LegalEntityFiness,
    [property: Id(4)] ProfessionSector Sector)
{
    /// <summary>Town of the establishment's address (public directory entry); null when unknown.</summary>
    [Id(5)] public string? Town { get; init; }

    /// <summary>Postal code (5 digits; gives the département, <see cref="Domain.Identifiers.Departement"/>); null when unknown.</summary>
    [Id(6)] public string? PostalCode { get; init; }
}

[GenerateSerializer, Alias("coffre.establishment-kind")]
public enum EstablishmentKind
{
    /// <summary>Entité juridique (EJ).</summary>
    LegalEntity = 0,
    /// <summary>Établissement géographique (EG), part of a legal entity.</summary>
    Site = 1,
}

[GenerateSerializer, Immutable, Alias("coffre.establishment-profile")]
public sealed record EstablishmentProfile(
    [property: Id(0)] string Finess,
    [property: Id(1)] string Name,
    [property: Id(2)] EstablishmentKind Kind,
    [property: Id(3)] string CategoryCode,
    [property: Id(4)] string? LegalEntityFiness,
    [property: Id(5)] ProfessionSector Sector,
    [property: Id(6)] IReadOnlyList<string> Members,
    [property: Id(7)] DateTimeOffset UpdatedAt)
{
    /// <summary>Members who may register staff (a subset of <see cref="Members"/>).</summary>
    [Id(8)] public IReadOnlyList<string> Admins { get; init; } = [];

    /// <summary>Town of the address; null when unknown.</summary>
    [Id(9)] public string? Town { get; init; }

    /// <summary>Postal code of the address; null when unknown.</summary>
    [Id(10)] public string? PostalCode { get; init; }

    /// <summary>Département code from the postal code (<c>75</c>, <c>2A</c>, <c>974</c>); null when unknown.</summary>
    public string? Departement => Domain.Identifiers.Departement.FromPostalCode(PostalCode);
}
