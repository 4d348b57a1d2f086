using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Xunit;

namespace Coffre.UnitTests.DirectorySearch;

public sealed class DirectoryNamesTests
{
    [Theory]
    [InlineData("Dr Hélène Martin", "dr helene martin")]
    [InlineData("MARTIN Hélène", "martin helene")]
    [InlineData("  Jean-Pierre   N'Diaye ", "jean pierre n diaye")]
    [InlineData("Centre Hospitalier d'Évreux", "centre hospitalier d evreux")]
    [InlineData("Œuvre Sœur Thérèse", "oeuvre soeur therese")]
    [InlineData("Ærø Straße", "aero strasse")]
    [InlineData("François Çelik Ødegård", "francois celik odegard")]
    [InlineData("EHPAD « Les Tilleuls » n°3", "ehpad les tilleuls n 3")]
    [InlineData("Łukasz Đorđević", "lukasz dordevic")]
    [InlineData("Ｈélène", "helene")]
    [InlineData("Ünal\tÖzdemir\r\nÂge", "unal ozdemir age")]
    [InlineData("---", "")]
    [InlineData("", "")]
    public void Names_are_lower_case_without_accents_with_one_space_between_words(string name, string normalized) =>
        Assert.Equal(normalized, DirectoryNames.Normalize(name));

    [Fact]
    public void Any_case_or_accent_of_a_name_normalizes_the_same()
    {
        Assert.Equal(DirectoryNames.Normalize("hélène"), DirectoryNames.Normalize("HELENE"));
        Assert.Equal(DirectoryNames.Normalize("Hélène"), DirectoryNames.Normalize("He\u0301le\u0300ne"));
    }

    [Fact]
    public void Words_are_distinct_in_order()
    {
        Assert.Equal(["dr", "helene", "martin"], DirectoryNames.Words("dr helene martin helene"));
        Assert.Empty(DirectoryNames.Words(""));
    }

    [Fact]
    public void Indexed_prefixes_are_two_to_four_characters_of_each_word()
    {
        Assert.Equal(["dr", "he", "hel", "hele", "ma", "mar", "mart"], DirectoryNames.IndexedPrefixes("dr helene martin helene"));
        Assert.Equal(["ab"], DirectoryNames.IndexedPrefixes("a ab"));
        Assert.Equal("mart", DirectoryNames.IndexedPrefix("martin"));
        Assert.Equal("he", DirectoryNames.IndexedPrefix("he"));
    }

    [Fact]
    public void A_cursor_round_trips_and_foreign_text_is_refused()
    {
        var cursor = new DirectoryCursor("dr helene martin", DirectoryEntryKind.Professional, "10000000009");
        Assert.Equal(cursor, DirectoryCursor.TryDecode(cursor.Encode()));
        Assert.Null(DirectoryCursor.TryDecode("not a cursor"));
        Assert.Null(DirectoryCursor.TryDecode("MTIz"));
        Assert.Null(DirectoryCursor.TryDecode(""));
    }

    private static readonly DateTimeOffset Now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_search_needs_a_filter_a_two_letter_name_a_page_of_fifty_at_most_and_its_own_cursor()
    {
        Assert.Equal("filter", Refused(new DirectoryFilter(), 20, null));
        Assert.Equal("filter.name", Refused(new DirectoryFilter(Name: "h"), 20, null));
        Assert.Equal("filter.name", Refused(new DirectoryFilter(Name: "é -"), 20, null));
        Assert.Equal("filter.name", Refused(new DirectoryFilter(Name: "ab cd ef gh ij kl"), 20, null));
        Assert.Equal("filter.departement", Refused(new DirectoryFilter(Departement: "20"), 20, null));
        Assert.Equal("filter.establishment", Refused(new DirectoryFilter(Establishment: "123"), 20, null));
        Assert.Equal("first", Refused(new DirectoryFilter(Name: "he"), 51, null));
        Assert.Equal("first", Refused(new DirectoryFilter(Name: "he"), 0, null));
        Assert.Equal("after", Refused(new DirectoryFilter(Name: "he"), 20, "garbage"));

        var query = DirectorySearchRules.Validate(new DirectoryFilter(Name: "h Hél", Departement: "2a"), null, null, includeSuspended: false, Now);
        Assert.Equal(["hel", "h"], query.NameWords);
        Assert.Equal("2A", query.Departement);
        Assert.Equal(DirectorySearchRules.DefaultPageSize, query.First);
        Assert.True(DirectorySearchRules.Validate(new DirectoryFilter(Kind: DirectoryEntryKind.Establishment), 50, null, true, Now).IncludeSuspended);
    }

    private static string Refused(DirectoryFilter filter, int first, string? after) =>
        Assert.Throws<ValidationFailedException>(() => DirectorySearchRules.Validate(filter, first, after, includeSuspended: false, Now)).Field;
}
