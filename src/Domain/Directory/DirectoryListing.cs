using Coffre.Domain.Access;

namespace Coffre.Domain.Directory;

/// <summary>What a directory entry is: a professional (RPPS, ADELI or Coffre identifier) or an establishment (FINESS).</summary>
[GenerateSerializer, Alias("coffre.directory-entry-kind")]
public enum DirectoryEntryKind
{
    Professional = 0,
    Establishment = 1,
}

/// <summary>
/// What the grains write to the directory index after each change of a record: the public fields only (never the
/// history, the memberships' roles or admin flags, the suspension's reason or author). A professional's town and
/// département are not here: they come from the establishments of <see cref="Memberships"/> when the index is read.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-record")]
public sealed record DirectoryRecord(
    [property: Id(0)] DirectoryEntryKind Kind,
    [property: Id(1)] string Identifier,
    [property: Id(2)] string DisplayName,
    [property: Id(3)] string? ProfessionCode,
    [property: Id(4)] ProfessionSector Sector,
    [property: Id(5)] bool Suspended,
    [property: Id(6)] string? Town,
    [property: Id(7)] string? Departement,
    [property: Id(8)] IReadOnlyList<DirectoryMembership> Memberships)
{
    /// <summary><see cref="DisplayName"/> normalized (<see cref="DirectoryNames.Normalize"/>): the sort key and what names match.</summary>
    public string NameKey => DirectoryNames.Normalize(DisplayName);
}

/// <summary>A professional's membership as the index keeps it: which establishment, from when, until when (exclusive).</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-membership")]
public sealed record DirectoryMembership(
    [property: Id(0)] string Finess,
    [property: Id(1)] DateTimeOffset? Start,
    [property: Id(2)] DateTimeOffset? End)
{
    public bool IsActiveAt(DateTimeOffset now) => Covers(Start, End, now);

    /// <summary>The one membership window rule: from <paramref name="start"/> (inclusive, open when null) until <paramref name="end"/> (exclusive, open when null).</summary>
    public static bool Covers(DateTimeOffset? start, DateTimeOffset? end, DateTimeOffset now) =>
        (start is not { } from || from <= now) && (end is not { } until || now < until);
}

/// <summary>One public entry as a search returns it.</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-listing")]
public sealed record DirectoryListing(
    [property: Id(0)] DirectoryEntryKind Kind,
    [property: Id(1)] string Identifier,
    [property: Id(2)] string DisplayName,
    [property: Id(3)] string? ProfessionCode,
    [property: Id(4)] ProfessionSector Sector,
    [property: Id(5)] bool Suspended,
    [property: Id(6)] string? Town,
    [property: Id(7)] string? Departement,
    [property: Id(8)] IReadOnlyList<DirectoryPlace> Establishments,
    [property: Id(9)] string Cursor);

/// <summary>An establishment a professional is an active member of, as its own entry reads now (renames show at once).</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-place")]
public sealed record DirectoryPlace(
    [property: Id(0)] string Finess,
    [property: Id(1)] string Name,
    [property: Id(2)] string? Town,
    [property: Id(3)] string? Departement);

/// <summary>A page of a search: the entries (at most the page size) and whether more follow the last one.</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-page")]
public sealed record DirectoryPage(
    [property: Id(0)] IReadOnlyList<DirectoryListing> Items,
    [property: Id(1)] bool HasNextPage);

/// <summary>What the caller asks for; every member is optional, at least one is required (<see cref="DirectorySearchRules"/>).</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-filter")]
public sealed record DirectoryFilter(
    [property: Id(0)] string? Name = null,
    [property: Id(1)] string? Profession = null,
    [property: Id(2)] string? Establishment = null,
    [property: Id(3)] string? Departement = null,
    [property: Id(4)] ProfessionSector? Sector = null,
    [property: Id(5)] DirectoryEntryKind? Kind = null);
