using Coffre.Domain.Text;
using Coffre.Domain.Vaults;
using Xunit;

namespace Coffre.UnitTests.Text;

public sealed class TextRulesTests
{
    [Theory]
    [InlineData("Martin")]
    [InlineData("N'Diaye-Lefèvre")]
    [InlineData("Ødegård Çelik")]
    [InlineData("محمد")]
    [InlineData("李小龙")]
    [InlineData("Compte rendu — été 2026 (v2)")]
    [InlineData("Emoji 😀 ok")]
    public void Ordinary_text_in_any_script_is_accepted(string text) => Assert.Null(TextRules.Validate(text));

    [Theory]
    [InlineData("Mar\u202Etin", "U+202E", 4)]
    [InlineData("\u202Aleft", "U+202A", 1)]
    [InlineData("a\u202Db", "U+202D", 2)]
    [InlineData("a\u2066b", "U+2066", 2)]
    [InlineData("a\u2069b", "U+2069", 2)]
    [InlineData("a\u200Eb", "U+200E", 2)]
    [InlineData("a\u200Fb", "U+200F", 2)]
    [InlineData("a\u061Cb", "U+061C", 2)]
    [InlineData("a\u0000b", "U+0000", 2)]
    [InlineData("a\tb", "U+0009", 2)]
    [InlineData("a\nb", "U+000A", 2)]
    [InlineData("a\u007Fb", "U+007F", 2)]
    [InlineData("a\u0085b", "U+0085", 2)]
    [InlineData("a\u200Bb", "U+200B", 2)]
    [InlineData("a\uFEFFb", "U+FEFF", 2)]
    [InlineData("a\u2028b", "U+2028", 2)]
    [InlineData("😀\u202E", "U+202E", 2)]
    public void Control_format_and_bidi_characters_are_refused_with_the_character_and_its_position(string text, string codePoint, int position)
    {
        var rule = TextRules.Validate(text);
        Assert.NotNull(rule);
        Assert.StartsWith(TextRules.NoControlCharactersRule, rule);
        Assert.Contains($"{codePoint} at position {position}", rule);
    }

    [Fact]
    public void Unpaired_surrogates_are_refused() => Assert.NotNull(TextRules.Validate("a\uD800b"));

    [Fact]
    public void Null_is_not_this_rule_s_business() => Assert.Null(TextRules.Validate(null));
}

public sealed class RepresentationRulesTests
{
    private static readonly DateOnly Today = new(2026, 6, 1);
    private static readonly CourtDecision Decision = new("Tribunal judiciaire de Lyon", "RG 25/00042", new DateOnly(2025, 11, 3));

    [Fact]
    public void A_parent_represents_a_minor_only()
    {
        Assert.Null(RepresentationRules.Validate(RepresentationKind.Parent, personIsMinor: true, null, Today));
        var refused = RepresentationRules.Validate(RepresentationKind.Parent, personIsMinor: false, Decision, Today);
        Assert.Equal("kind", refused?.Field);
        Assert.Contains("minor", refused?.Rule);
    }

    [Theory]
    [InlineData(RepresentationKind.Tutor)]
    [InlineData(RepresentationKind.Curator)]
    public void Tutelle_and_curatelle_need_the_court_decision(RepresentationKind kind)
    {
        Assert.Equal("court", RepresentationRules.Validate(kind, false, null, Today)?.Field);
        Assert.Equal("court", RepresentationRules.Validate(kind, false, Decision with { Court = " " }, Today)?.Field);
        Assert.Equal("court", RepresentationRules.Validate(kind, false, Decision with { Court = "Tribunal\u202E" }, Today)?.Field);
        Assert.Equal("decisionReference", RepresentationRules.Validate(kind, false, Decision with { Reference = "" }, Today)?.Field);
        Assert.Equal("decisionDate", RepresentationRules.Validate(kind, false, Decision with { Date = Today.AddDays(1) }, Today)?.Field);
        Assert.Null(RepresentationRules.Validate(kind, false, Decision, Today));
        Assert.Null(RepresentationRules.Validate(kind, true, Decision, Today));
    }

    [Fact]
    public void Minority_is_recorded_and_ends_at_18()
    {
        Assert.True(RepresentationRules.IsMinor(true, new DateOnly(2010, 6, 2), Today));
        Assert.False(RepresentationRules.IsMinor(true, new DateOnly(2008, 6, 1), Today));
        Assert.False(RepresentationRules.IsMinor(false, new DateOnly(2020, 1, 1), Today));
        Assert.True(RepresentationRules.IsMinor(true, null, Today));
    }
}
