using System.Globalization;
using System.Text;

namespace Coffre.Domain.Directory;

/// <summary>
/// The one normalization of names for directory search, shared by the grains that feed the index, both index
/// implementations and the query: Unicode compatibility decomposition (NFKD), combining marks dropped (é → e, ç → c),
/// the ligatures œ æ ß spelled out (oe, ae, ss), lower case (invariant culture), and every run of characters that are
/// neither letters nor digits (spaces, hyphens, apostrophes, dots, commas…) collapsed to one space, trimmed at both
/// ends. "Dr Hélène  MARTIN-Dupont" → "dr helene martin dupont"; its words are "dr", "helene", "martin", "dupont".
/// </summary>
public static class DirectoryNames
{
    /// <summary>A search's name must give at least this many letters or digits once normalized.</summary>
    public const int MinPrefixLength = 2;

    /// <summary>At most this many words in a searched name (each must start a word of the entry's name).</summary>
    public const int MaxQueryWords = 5;

    /// <summary>The normalized form of <paramref name="text"/> (empty when it has no letter or digit).</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var decomposed = text.Normalize(NormalizationForm.FormKD);
        var result = new StringBuilder(decomposed.Length);
        var pendingSpace = false;
        foreach (var rune in decomposed.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }
            if (!Rune.IsLetterOrDigit(rune))
            {
                pendingSpace = result.Length > 0;
                continue;
            }
            if (pendingSpace)
            {
                result.Append(' ');
                pendingSpace = false;
            }
            var lower = Rune.ToLowerInvariant(rune);
            switch (lower.Value)
            {
                case 'œ':
                    result.Append("oe");
                    break;
                case 'æ':
                    result.Append("ae");
                    break;
                case 'ß':
                    result.Append("ss");
                    break;
                default:
                    result.Append(lower.ToString());
                    break;
            }
        }
        return result.ToString();
    }

    /// <summary>The distinct words of an already normalized name, in order of first appearance.</summary>
    public static IReadOnlyList<string> Words(string normalized) =>
        string.IsNullOrEmpty(normalized) ? [] : normalized.Split(' ').Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The smallest string above every string that starts with <paramref name="prefix"/> in ordinal (code point) order,
    /// so that a prefix search is the range [prefix, upper) on a byte-ordered index (PostgreSQL <c>COLLATE "C"</c>).
    /// </summary>
    public static string PrefixUpperBound(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var runes = prefix.EnumerateRunes().ToList();
        var last = runes[^1].Value + 1;
        // Skip the surrogate block: those code points are not characters.
        if (last is >= 0xD800 and <= 0xDFFF)
        {
            last = 0xE000;
        }
        runes[^1] = new Rune(last);
        return string.Concat(runes.Select(r => r.ToString()));
    }
}
