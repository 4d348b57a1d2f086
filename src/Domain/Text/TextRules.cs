using System.Globalization;
using System.Text;

namespace Coffre.Domain.Text;

/// <summary>
/// The one rule for human-readable text people and professionals see (identity names, document titles, professional
/// display names, establishment names, break-glass reasons): no character that controls how text is shown instead of
/// being shown. Refused: every control character (Unicode Cc, tab and line breaks included), every format character
/// (Cf: the bidirectional embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, marks U+200E, U+200F and
/// U+061C, zero-width characters, the byte-order mark…), the line and paragraph separators (Zl, Zp) and unpaired
/// surrogates. A right-to-left override in a title or a name would let a depositor show one thing and store another.
/// </summary>
public static class TextRules
{
    /// <summary>The rule's words, as a <c>VALIDATION</c> error states it after the field's name.</summary>
    public const string NoControlCharactersRule = "must not contain control, format or bidirectional-override characters";

    /// <summary>Null when <paramref name="text"/> is acceptable; else the rule with the first offending character and its position.</summary>
    public static string? Validate(string? text) => text is null ? null : Validate(text.AsSpan());

    /// <summary>The same rule on a span (the population import checks fields without allocating them).</summary>
    public static string? Validate(ReadOnlySpan<char> text)
    {
        var position = 0;
        for (var i = 0; i < text.Length; i++, position++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var rune = new Rune(c, text[i + 1]);
                i++;
                if (IsRefused(Rune.GetUnicodeCategory(rune)))
                {
                    return Describe(rune.Value, position);
                }
                continue;
            }
            if (char.IsSurrogate(c) || IsRefused(char.GetUnicodeCategory(c)))
            {
                return Describe(c, position);
            }
        }
        return null;
    }

    /// <summary>True when <see cref="Validate"/> accepts <paramref name="text"/>.</summary>
    public static bool IsClean(string? text) => Validate(text) is null;

    private static bool IsRefused(UnicodeCategory category) => category is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;

    private static string Describe(int codePoint, int position) =>
        $"{NoControlCharactersRule} (U+{codePoint:X4} at position {position + 1})";
}
