using System.Text;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;

namespace Coffre.Domain.Directory;

/// <summary>
/// A search the index can run: the filter checked and normalized, the page size, where to resume, whether suspended
/// professionals are shown (operators only) and the time memberships are judged active at.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-query")]
public sealed record DirectoryQuery(
    [property: Id(0)] IReadOnlyList<string> NameWords,
    [property: Id(1)] string? Profession,
    [property: Id(2)] string? Establishment,
    [property: Id(3)] string? Departement,
    [property: Id(4)] ProfessionSector? Sector,
    [property: Id(5)] DirectoryEntryKind? Kind,
    [property: Id(6)] bool IncludeSuspended,
    [property: Id(7)] int First,
    [property: Id(8)] DirectoryCursor? After,
    [property: Id(9)] DateTimeOffset Now);

/// <summary>
/// Where a page ends, in the search's order: normalized name, then kind, then identifier (unique, so a walk returns
/// every entry once). Opaque to clients: base64url of its three parts.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-cursor")]
public sealed record DirectoryCursor(
    [property: Id(0)] string NameKey,
    [property: Id(1)] DirectoryEntryKind Kind,
    [property: Id(2)] string Identifier)
{
    private const string Version = "d1";
    private const char Separator = '\u001f';

    public static DirectoryCursor Of(DirectoryListing listing) => new(DirectoryNames.Normalize(listing.DisplayName), listing.Kind, listing.Identifier);

    public string Encode() =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join(Separator, Version, ((int)Kind).ToString(System.Globalization.CultureInfo.InvariantCulture), Identifier, NameKey)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The cursor <paramref name="text"/> encodes, or null when it is not one of ours.</summary>
    public static DirectoryCursor? TryDecode(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 600)
        {
            return null;
        }
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        var bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var length))
        {
            return null;
        }
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        return decoded.Split(Separator) is [Version, var kind, { Length: > 0 } identifier, var nameKey]
            && kind is "0" or "1" && DirectoryNames.Normalize(nameKey) == nameKey
            ? new DirectoryCursor(nameKey, (DirectoryEntryKind)(kind[0] - '0'), identifier)
            : null;
    }
}

/// <summary>The search's input rules, as VALIDATION errors naming the field: bounded work for every caller.</summary>
public static class DirectorySearchRules
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 50;
    public const int MaxNameLength = 100;

    /// <summary>The query <paramref name="filter"/>, <paramref name="first"/> and <paramref name="after"/> describe, or a <see cref="ValidationFailedException"/>.</summary>
    public static DirectoryQuery Validate(DirectoryFilter? filter, int? first, string? after, bool includeSuspended, DateTimeOffset now)
    {
        filter ??= new DirectoryFilter();
        var words = NameWords(filter.Name);
        var profession = Trimmed(filter.Profession);
        var establishment = Trimmed(filter.Establishment);
        var departement = Trimmed(filter.Departement)?.ToUpperInvariant();
        if (words is null && profession is null && establishment is null && departement is null && filter.Sector is null && filter.Kind is null)
        {
            throw new ValidationFailedException("filter", "needs at least one of name, profession, establishment, departement, sector, kind");
        }
        if (profession is { Length: > 16 })
        {
            throw new ValidationFailedException("filter.profession", "must be 1 to 16 characters");
        }
        if (establishment is not null && Finess.Validate(establishment) is { } finessRule)
        {
            throw new ValidationFailedException("filter.establishment", finessRule);
        }
        if (departement is not null && !Departement.IsCode(departement))
        {
            throw new ValidationFailedException("filter.departement", "must be a département code (01 to 95, 2A, 2B, 971 to 989)");
        }
        var size = first ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize)
        {
            throw new ValidationFailedException("first", $"must be 1 to {MaxPageSize}");
        }
        DirectoryCursor? cursor = null;
        if (after is not null && (cursor = DirectoryCursor.TryDecode(after)) is null)
        {
            throw new ValidationFailedException("after", "is not a cursor this search returned");
        }
        return new DirectoryQuery(words ?? [], profession, establishment, departement, filter.Sector, filter.Kind, includeSuspended, size, cursor, now);
    }

    /// <summary>The searched name's normalized words (null when no name was given), or a VALIDATION error on <c>filter.name</c>.</summary>
    private static IReadOnlyList<string>? NameWords(string? name)
    {
        if (name is null)
        {
            return null;
        }
        if (name.Length > MaxNameLength)
        {
            throw new ValidationFailedException("filter.name", $"must be at most {MaxNameLength} characters");
        }
        var words = DirectoryNames.Words(DirectoryNames.Normalize(name));
        if (words.Count == 0 || words.Max(w => w.Length) < DirectoryNames.MinPrefixLength)
        {
            throw new ValidationFailedException("filter.name", $"must give at least {DirectoryNames.MinPrefixLength} letters or digits in one word");
        }
        if (words.Count > DirectoryNames.MaxQueryWords)
        {
            throw new ValidationFailedException("filter.name", $"must have at most {DirectoryNames.MaxQueryWords} words");
        }
        // The longest word first: the index drives the search from the most selective prefix.
        return words.OrderByDescending(w => w.Length).ToArray();
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
