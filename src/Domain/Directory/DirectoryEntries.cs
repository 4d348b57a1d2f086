using Coffre.Domain.Access;

namespace Coffre.Domain.Directory;

/// <summary>
/// One establishment of the directory as the three registration ways give it (one by one, by list, by API): FINESS,
/// name, legal entity or site (<see cref="PartOf"/> = the legal entity's FINESS for a site), category, sector, town and
/// postal code. Checked by <see cref="DirectoryRules.Establishment"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-establishment-entry")]
public sealed record EstablishmentEntry(
    [property: Id(0)] string Finess,
    [property: Id(1)] string Name,
    [property: Id(2)] bool Site,
    [property: Id(3)] string? PartOf,
    [property: Id(4)] string CategoryCode,
    [property: Id(5)] ProfessionSector Sector,
    [property: Id(6)] string? Town,
    [property: Id(7)] string? PostalCode);

/// <summary>
/// One professional as the registration ways give it: identifier (RPPS, ADELI or Coffre identifier), display name,
/// profession (a code of the habilitation matrix), sector and the full list of memberships (the row is the whole record:
/// memberships it does not list end). Checked by <see cref="DirectoryRules.Professional"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-professional-entry")]
public sealed record ProfessionalEntry(
    [property: Id(0)] string Identifier,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] string ProfessionCode,
    [property: Id(3)] ProfessionSector Sector,
    [property: Id(4)] IReadOnlyList<MembershipTerms> Memberships);

/// <summary>Membership of an establishment: role there, from <see cref="Start"/> (inclusive) to <see cref="End"/> (exclusive), admin or not.</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-membership-terms")]
public sealed record MembershipTerms(
    [property: Id(0)] string Finess,
    [property: Id(1)] string? Role,
    [property: Id(2)] DateTimeOffset? Start,
    [property: Id(3)] DateTimeOffset? End,
    [property: Id(4)] bool Admin);

/// <summary>What registering one row did.</summary>
[GenerateSerializer, Alias("coffre.directory-outcome")]
public enum DirectoryOutcome
{
    /// <summary>A new record.</summary>
    Accepted = 0,
    /// <summary>An existing record changed.</summary>
    Updated = 1,
    /// <summary>The record already said exactly this: nothing was written.</summary>
    Unchanged = 2,
    /// <summary>Nothing was written: <see cref="DirectoryRowResult.Field"/> broke <see cref="DirectoryRowResult.Rule"/>.</summary>
    Rejected = 3,
}

/// <summary>The outcome of row <see cref="Index"/> (0-based in its request or chunk) whose key is <see cref="Key"/> (FINESS or identifier).</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-row-result")]
public sealed record DirectoryRowResult(
    [property: Id(0)] int Index,
    [property: Id(1)] string Key,
    [property: Id(2)] DirectoryOutcome Outcome,
    [property: Id(3)] string? Field,
    [property: Id(4)] string? Rule,
    [property: Id(5)] string? Code)
{
    public static DirectoryRowResult Rejected(int index, string key, DirectoryViolation violation) =>
        new(index, key, DirectoryOutcome.Rejected, violation.Field, violation.Rule, violation.Code);
}

/// <summary>A broken rule: the field (<c>memberships[1].finess</c>), the rule's words and the error code.</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-violation")]
public sealed record DirectoryViolation(
    [property: Id(0)] string Field,
    [property: Id(1)] string Rule,
    [property: Id(2)] string Code = ErrorCodes.Validation)
{
    public ValidationFailedException ToException() => new(Field, Rule, Code);
}

/// <summary>Counts of a registration run, by outcome.</summary>
[GenerateSerializer, Alias("coffre.directory-counts")]
public sealed record DirectoryCounts
{
    [Id(0)] public long Accepted { get; set; }
    [Id(1)] public long Updated { get; set; }
    [Id(2)] public long Unchanged { get; set; }
    [Id(3)] public long Rejected { get; set; }

    public long Total => Accepted + Updated + Unchanged + Rejected;

    public void Add(DirectoryOutcome outcome)
    {
        switch (outcome)
        {
            case DirectoryOutcome.Accepted: Accepted++; break;
            case DirectoryOutcome.Updated: Updated++; break;
            case DirectoryOutcome.Unchanged: Unchanged++; break;
            default: Rejected++; break;
        }
    }
}

/// <summary>
/// The port the list import and the bulk API register through: a batch of rows in, one result per row out (in order).
/// The cluster's implementation forwards to the directory registrar grain; rows are checked by <see cref="DirectoryRules"/> there.
/// </summary>
public interface IDirectoryRegistrar
{
    Task<IReadOnlyList<DirectoryRowResult>> RegisterEstablishmentsAsync(IReadOnlyList<EstablishmentEntry> rows, CancellationToken cancellationToken);

    Task<IReadOnlyList<DirectoryRowResult>> RegisterProfessionalsAsync(IReadOnlyList<ProfessionalEntry> rows, CancellationToken cancellationToken);
}
