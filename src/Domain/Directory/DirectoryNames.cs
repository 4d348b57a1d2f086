using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Coffre.Domain.Directory;

/// <summary>
/// The one normalization of names for directory search, shared by the grains that feed the index, both index
/// implementations and the query: lower case (invariant), Latin letters with diacritics read as their base letters
/// (é → e, ç → c, ø → o, ł → l; combining marks of decomposed text dropped), the ligatures œ æ ß ĳ spelled out (oe, ae,
/// ss, ij), full-width Latin letters and digits read as ASCII, and every run of characters that are
/// neither letters nor digits (spaces, hyphens, apostrophes, dots, commas…) collapsed to one space, trimmed at both
/// ends. "Dr Hélène  MARTIN-Dupont" → "dr helene martin dupont"; its words are "dr", "helene", "martin", "dupont".
/// </summary>
public static class DirectoryNames
{
    /// <summary>A search's name must give at least this many letters or digits once normalized.</summary>
    public const int MinPrefixLength = 2;

    /// <summary>At most this many words in a searched name (each must start a word of the entry's name).</summary>
    public const int MaxQueryWords = 5;

    /// <summary>Lower-case Latin letters with diacritics (Latin-1, Extended-A and -B, Extended Additional) → their base letters.</summary>
    private const string FoldFrom = "àáâãäåçèéêëìíîïðñòóôõöøùúûüýÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĸĺļľłńņňŋōŏőŕŗřśŝşšţťŧũūŭůűųŵŷźżžſƀơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙẛạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ";

    private const string FoldTo = "aaaaaaceeeeiiiidnoooooouuuuyyaaaccccddeeeeegggghhiiiiijkkllllnnnnooorrrsssstttuuuuuuwyzzzsbouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooyabbbcdddddeeeeefghhhhhiikkkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwysaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyy";

    /// <summary>
    /// The folding of one lower-case letter. Built from Unicode's decompositions (the process runs with invariant
    /// globalization, so <see cref="string.Normalize()"/> is not available for this), plus the letters without a
    /// decomposition: ligatures spelled out and letters with a stroke read as their base letter.
    /// </summary>
    private static readonly FrozenDictionary<char, string> Folding = FoldFrom
        .Zip(FoldTo, (from, to) => KeyValuePair.Create(from, to.ToString()))
        .Concat(new Dictionary<char, string>
        {
            ['ß'] = "ss", ['æ'] = "ae", ['þ'] = "th", ['ĳ'] = "ij", ['œ'] = "oe", ['ǆ'] = "dz", ['ǉ'] = "lj", ['ǌ'] = "nj", ['ǳ'] = "dz",
        })
        .ToFrozenDictionary();

    /// <summary>The normalized form of <paramref name="text"/> (empty when it has no letter or digit).</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var result = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                // A decomposed accent (e + U+0301): dropped like a composed one.
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
            // Full-width Latin letters and digits (U+FF10–U+FF5A) read as their ASCII forms.
            if (lower.Value is >= 0xFF10 and <= 0xFF5A)
            {
                lower = new Rune(lower.Value - 0xFEE0);
            }
            if (lower.IsBmp && Folding.TryGetValue((char)lower.Value, out var folded))
            {
                result.Append(folded);
            }
            else
            {
                result.Append(lower.ToString());
            }
        }
        return result.ToString();
    }

    /// <summary>The distinct words of an already normalized name, in order of first appearance.</summary>
    public static IReadOnlyList<string> Words(string normalized) =>
        string.IsNullOrEmpty(normalized) ? [] : normalized.Split(' ').Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The longest word prefix an index keeps per word (PostgreSQL's <c>directory_prefix</c>): longer searched words are checked on the name.</summary>
    public const int MaxIndexedPrefix = 4;

    /// <summary>
    /// The distinct prefixes of 2 to <see cref="MaxIndexedPrefix"/> characters of the words of an already normalized name:
    /// "dr helene martin" → dr, he, hel, hele, ma, mar, mart.
    /// </summary>
    public static IReadOnlyList<string> IndexedPrefixes(string normalized) =>
        Words(normalized)
            .SelectMany(w => Enumerable.Range(MinPrefixLength, Math.Max(0, Math.Min(w.Length, MaxIndexedPrefix) - MinPrefixLength + 1)).Select(n => w[..n]))
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    /// <summary>The indexed prefix a searched word is found under (its first <see cref="MaxIndexedPrefix"/> characters at most).</summary>
    public static string IndexedPrefix(string word) => word.Length <= MaxIndexedPrefix ? word : word[..MaxIndexedPrefix];
}
