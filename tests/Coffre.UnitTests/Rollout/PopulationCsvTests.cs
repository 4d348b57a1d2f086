using System.Globalization;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Xunit;

namespace Coffre.UnitTests.Rollout;

public sealed class PopulationCsvTests
{
    private static readonly DateOnly Today = new(2026, 11, 23);

    private const string Adult = "185037512345641"; // male, born 03/1985, département 75
    private const string Child = "210077505678972"; // female, born 07/2010
    private const string NoQuoting = PopulationCsv.NoQuotingRule;

    private static string WithKey(string body) => body + Nir.ComputeKey(body).ToString("00", CultureInfo.InvariantCulture);

    private static string[] AdultFields() =>
        [Adult, "1985-03-12", "DUPONT", "Jean Pierre", "M", "jean.dupont@example.fr", "12 rue de la Paix", "Bâtiment B", "75002", "Paris", "123456789012345", ""];

    private static string[] ChildFields() =>
        [Child, "2010-07-01", "DUPONT", "Léa", "F", "", "12 rue de la Paix", "", "75002", "Paris", "", Adult];

    private static string Line(string[] fields) => string.Join(';', fields);

    private static string With(int column, string value)
    {
        var fields = AdultFields();
        fields[column] = value;
        return Line(fields);
    }

    private static PersonRecord Valid(string line)
    {
        var row = PopulationCsv.ParseLine(7, line, Today);
        Assert.Null(row.Error);
        Assert.Equal(7, row.Line);
        return Assert.IsType<PersonRecord>(row.Record);
    }

    private static void AssertError(string line, string field, string rule)
    {
        var row = PopulationCsv.ParseLine(42, line, Today);
        Assert.Null(row.Record);
        Assert.Equal(42, row.Line);
        Assert.Equal(new RowError(42, field, rule), row.Error);
    }

    [Fact]
    public void The_test_nirs_are_valid()
    {
        Assert.Equal(Adult, WithKey("1850375123456"));
        Assert.Equal(Child, WithKey("2100775056789"));
    }

    [Fact]
    public void A_full_adult_line_parses_into_a_record()
    {
        var person = Valid(Line(AdultFields()));
        Assert.Equal(Adult, person.Nir);
        Assert.Equal(new DateOnly(1985, 3, 12), person.BirthDate);
        Assert.Equal("DUPONT", person.FamilyName);
        Assert.Equal("Jean Pierre", person.GivenNames);
        Assert.Equal(Sex.Male, person.Sex);
        Assert.Equal("jean.dupont@example.fr", person.Email);
        Assert.Equal(new PostalAddress("12 rue de la Paix", "Bâtiment B", "75002", "Paris"), person.Address);
        Assert.Equal("123456789012345", person.VitaleSerial);
        Assert.Empty(person.RepresentativeNirs);
    }

    [Fact]
    public void A_minor_line_parses_with_its_representative()
    {
        var person = Valid(Line(ChildFields()));
        Assert.Equal(Sex.Female, person.Sex);
        Assert.Null(person.Email);
        Assert.Null(person.VitaleSerial);
        Assert.Null(person.Address!.Line2);
        Assert.Equal(new[] { Adult }, person.RepresentativeNirs);
    }

    [Theory]
    // line
    [InlineData(-1, "", "line", "must have 12 ';'-separated fields, found 1 (fields cannot contain ';': the file has no quoting)")]
    // nir
    [InlineData(0, "", "nir", "is required")]
    [InlineData(0, "1850375123456", "nir", "must be 15 characters (13 + a 2-digit key)")]
    [InlineData(0, "185037512345640", "nir", "has a wrong key (97 − NIR mod 97)")]
    [InlineData(0, "585037512345641", "nir", "must start with the sex digit (1, 2, 3, 4, 7 or 8)")]
    [InlineData(0, "18503751234564X", "nir", "must be digits (2A or 2B allowed for a Corsican département)")]
    [InlineData(0, "\"185037512345641\"", "nir", NoQuoting)]
    // birth_date
    [InlineData(1, "", "birth_date", "must be a date as yyyy-MM-dd")]
    [InlineData(1, "12/03/1985", "birth_date", "must be a date as yyyy-MM-dd")]
    [InlineData(1, "1985-3-12", "birth_date", "must be a date as yyyy-MM-dd")]
    [InlineData(1, "1985-02-30", "birth_date", "must be a date as yyyy-MM-dd")]
    [InlineData(1, "1985-03-12T00:00", "birth_date", "must be a date as yyyy-MM-dd")]
    [InlineData(1, " 1985-03-12", "birth_date", "must be a date as yyyy-MM-dd")]
    [InlineData(1, "2085-03-12", "birth_date", "must not be in the future")]
    [InlineData(1, "1885-03-12", "birth_date", "must not be before 1890-01-01")]
    [InlineData(1, "1985-04-12", "birth_date", "does not match the NIR's birth year and month (digits 2 to 5)")]
    [InlineData(1, "1975-03-12", "birth_date", "does not match the NIR's birth year and month (digits 2 to 5)")]
    // family_name
    [InlineData(2, "", "family_name", "is required")]
    [InlineData(2, "   ", "family_name", "is required")]
    [InlineData(2, "DU\tPONT", "family_name", "must not contain control characters")]
    [InlineData(2, "DUPONT\u0085", "family_name", "must not contain control characters")]
    [InlineData(2, "DU\u202EPONT", "family_name", "must not contain control, format or bidirectional-override characters (U+202E at position 3)")]
    [InlineData(3, "Jean\u2066", "given_names", "must not contain control, format or bidirectional-override characters (U+2066 at position 5)")]
    [InlineData(2, "\"DUPONT\"", "family_name", NoQuoting)]
    [InlineData(2, "DU\rPONT", "family_name", NoQuoting)]
    // given_names
    [InlineData(3, "", "given_names", "is required")]
    [InlineData(3, "Jean\u0001", "given_names", "must not contain control characters")]
    // sex
    [InlineData(4, "", "sex", "must be F, M or U")]
    [InlineData(4, "X", "sex", "must be F, M or U")]
    [InlineData(4, "m", "sex", "must be F, M or U")]
    [InlineData(4, "MM", "sex", "must be F, M or U")]
    [InlineData(4, "F", "sex", "does not match the NIR's sex digit (1, 3, 7 male; 2, 4, 8 female)")]
    // email
    [InlineData(5, "jean.dupont", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@example", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@dupont@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, ".jean@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean.@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean..dupont@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean dupont@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean(dupont)@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@-example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@example-.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@example..fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@exa_mple.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@example.f", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@10.0.0.1", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jéan@example.fr", "email", "must be an email address (local@domain.tld)")]
    [InlineData(5, "jean@example.fr.", "email", "must be an email address (local@domain.tld)")]
    // address
    [InlineData(6, "", "address_line1", "is required when an address is given")]
    [InlineData(6, "12 rue\u0007", "address_line1", "must not contain control characters")]
    [InlineData(7, "Bât\u0000", "address_line2", "must not contain control characters")]
    [InlineData(8, "", "postal_code", "is required when an address is given")]
    [InlineData(8, "7500", "postal_code", "must be 5 digits")]
    [InlineData(8, "750021", "postal_code", "must be 5 digits")]
    [InlineData(8, "75 02", "postal_code", "must be 5 digits")]
    [InlineData(8, "2A004", "postal_code", "must be 5 digits")]
    [InlineData(9, "", "city", "is required when an address is given")]
    [InlineData(9, " ", "city", "is required when an address is given")]
    // vitale_serial
    [InlineData(10, "1234567", "vitale_serial", "must be 8 to 20 digits")]
    [InlineData(10, "123456789012345678901", "vitale_serial", "must be 8 to 20 digits")]
    [InlineData(10, "12345678A", "vitale_serial", "must be 8 to 20 digits")]
    [InlineData(10, "1234 5678", "vitale_serial", "must be 8 to 20 digits")]
    // representative_nirs
    [InlineData(11, "210077505678971", "representative_nirs", "contains a NIR that has a wrong key (97 − NIR mod 97)")]
    [InlineData(11, "2100775056789", "representative_nirs", "contains a NIR that must be 15 characters (13 + a 2-digit key)")]
    [InlineData(11, Adult, "representative_nirs", "must not contain the person's own NIR")]
    [InlineData(11, "1 85 03 75 123 456 41", "representative_nirs", "must not contain the person's own NIR")]
    [InlineData(11, ",", "representative_nirs", "must be ','-separated NIRs without empty entries")]
    [InlineData(11, Child + ",", "representative_nirs", "must be ','-separated NIRs without empty entries")]
    [InlineData(11, Child + ",," + Child, "representative_nirs", "must be ','-separated NIRs without empty entries")]
    [InlineData(11, Child + "," + Child, "representative_nirs", "must not list the same NIR twice")]
    public void Each_rule_names_its_field(int column, string value, string field, string rule) =>
        AssertError(column < 0 ? value : With(column, value), field, rule);

    [Fact]
    public void Text_fields_longer_than_100_characters_are_rejected()
    {
        Valid(With(2, new string('A', 100)));
        AssertError(With(2, new string('A', 101)), "family_name", "must be at most 100 characters");
        AssertError(With(3, new string('a', 101)), "given_names", "must be at most 100 characters");
        AssertError(With(6, new string('a', 101)), "address_line1", "must be at most 100 characters");
        AssertError(With(7, new string('a', 101)), "address_line2", "must be at most 100 characters");
        AssertError(With(9, new string('a', 101)), "city", "must be at most 100 characters");
    }

    [Fact]
    public void Emails_longer_than_254_characters_or_with_a_local_part_over_64_are_rejected()
    {
        var domain = "@" + string.Join('.', Enumerable.Repeat(new string('d', 60), 3)) + ".fr";
        Valid(With(5, new string('a', 64) + domain));
        AssertError(With(5, new string('a', 65) + "@example.fr"), "email", "must be an email address (local@domain.tld)");
        AssertError(With(5, new string('a', 60) + "@" + string.Join('.', Enumerable.Repeat(new string('d', 60), 4)) + ".fr"), "email", "must be at most 254 characters");
    }

    [Theory]
    [InlineData(0, "1 85 03 75 123 456 41")]
    [InlineData(1, "1985-03-01")]
    [InlineData(1, "1985-03-31")]
    [InlineData(4, "U")]
    [InlineData(5, "")]
    [InlineData(5, "first.last+tag@sub.example.fr")]
    [InlineData(5, "o'brien@example.ie")]
    [InlineData(5, "A-B_c~{x}@x-1.example.museum")]
    [InlineData(7, "")]
    [InlineData(8, "97411")]
    [InlineData(10, "")]
    [InlineData(10, "12345678")]
    [InlineData(10, "12345678901234567890")]
    [InlineData(11, Child)]
    [InlineData(11, Child + ",185037512345542")]
    [InlineData(2, "D'ARTOIS-LE GALL")]
    [InlineData(3, "Élodie Marie-Thérèse")]
    public void Valid_variants_are_accepted(int column, string value)
    {
        var person = Valid(With(column, value));
        Assert.Equal(Adult, person.Nir);
    }

    [Fact]
    public void Empty_optional_fields_become_null()
    {
        var fields = AdultFields();
        fields[5] = fields[6] = fields[7] = fields[8] = fields[9] = fields[10] = "";
        var person = Valid(Line(fields));
        Assert.Null(person.Email);
        Assert.Null(person.Address);
        Assert.Null(person.VitaleSerial);
        Assert.Empty(person.RepresentativeNirs);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public void Any_address_field_requires_the_others(int given)
    {
        var fields = AdultFields();
        fields[6] = fields[7] = fields[8] = fields[9] = "";
        fields[given] = given == 8 ? "75002" : "x";
        var row = PopulationCsv.ParseLine(1, Line(fields), Today);
        Assert.NotNull(row.Error);
        Assert.Equal("is required when an address is given", row.Error.Rule);
        Assert.Equal(given == 6 ? "postal_code" : "address_line1", row.Error.Field);
    }

    [Fact]
    public void Corsican_and_unknown_month_nirs_are_accepted()
    {
        var corsican = WithKey("185032A123456");
        var fields = AdultFields();
        fields[0] = corsican;
        fields[8] = "20000";
        fields[9] = "Ajaccio";
        Assert.Equal(corsican, Valid(Line(fields)).Nir);
        Assert.Equal("2A", Valid(Line(fields)).Address!.Departement);

        fields = AdultFields();
        fields[0] = WithKey("2859975123456");
        fields[4] = "F";
        fields[1] = "1962-07-14"; // month 99: birth month unknown, no consistency check
        Valid(Line(fields));

        fields[0] = WithKey("7859975123456"); // temporary number (NIA), male
        fields[4] = "M";
        Valid(Line(fields));
        fields[4] = "F";
        AssertError(Line(fields), "sex", "does not match the NIR's sex digit (1, 3, 7 male; 2, 4, 8 female)");
        fields[4] = "U";
        Valid(Line(fields));
    }

    [Fact]
    public void A_lower_case_corsican_nir_is_stored_normalised()
    {
        var fields = AdultFields();
        fields[0] = WithKey("185032A123456").ToLowerInvariant();
        Assert.Equal(WithKey("185032A123456"), Valid(Line(fields)).Nir);
    }

    [Fact]
    public void Birth_date_today_is_accepted_tomorrow_is_not()
    {
        var fields = AdultFields();
        fields[0] = WithKey("2261175123456");
        fields[1] = "2026-11-23";
        fields[4] = "F";
        Valid(Line(fields));
        fields[0] = WithKey("2261175123456");
        fields[1] = "2026-11-24";
        AssertError(Line(fields), "birth_date", "must not be in the future");
        fields[0] = WithKey("2901275123456");
        fields[1] = "1890-01-01";
        AssertError(Line(fields), "birth_date", "does not match the NIR's birth year and month (digits 2 to 5)");
        fields[0] = WithKey("2900175123456");
        Valid(Line(fields));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(20)]
    public void A_wrong_column_count_is_a_line_error(int columns)
    {
        var fields = AdultFields().Concat(Enumerable.Repeat("x", 20)).Take(columns).ToArray();
        AssertError(Line(fields), "line", $"must have 12 ';'-separated fields, found {columns} (fields cannot contain ';': the file has no quoting)");
    }

    [Fact]
    public void Format_is_the_inverse_of_ParseLine()
    {
        foreach (var line in new[] { Line(AdultFields()), Line(ChildFields()), Line([Adult, "1985-03-12", "X", "Y", "U", "", "", "", "", "", "", ""]) })
        {
            var person = Valid(line);
            Assert.Equal(line, PopulationCsv.Format(person));
            var again = Valid(PopulationCsv.Format(person));
            Assert.Equal(person with { RepresentativeNirs = again.RepresentativeNirs }, again);
            Assert.Equal(person.RepresentativeNirs, again.RepresentativeNirs);
        }
    }

    [Fact]
    public void Format_writes_several_representatives_comma_separated()
    {
        var person = Valid(With(11, Child + ",185037512345542"));
        Assert.EndsWith(";" + Child + ",185037512345542", PopulationCsv.Format(person), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DU;PONT")]
    [InlineData("DU\nPONT")]
    [InlineData("DU\r\nPONT")]
    [InlineData("\"DUPONT\"")]
    public void Format_refuses_what_the_file_cannot_hold(string familyName)
    {
        var person = Valid(Line(AdultFields())) with { FamilyName = familyName };
        Assert.Contains("family_name", Assert.Throws<ArgumentException>(() => PopulationCsv.Format(person)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PopulationCsv.Format(person with { FamilyName = "X", Address = person.Address! with { City = familyName } }));
        Assert.Throws<ArgumentException>(() => PopulationCsv.Format(person with { FamilyName = "X", RepresentativeNirs = [Child + "," + Adult] }));
    }

    private static string File(params string[] lines) => PopulationCsv.Header + "\n" + string.Join("\n", lines);

    private static List<ParsedRow> Read(string text, long skip = 0) => [.. PopulationCsv.Read(new StringReader(text), skip, Today)];

    [Fact]
    public void Read_yields_one_row_per_line_with_its_number()
    {
        var rows = Read(File(Line(AdultFields()), With(4, "X"), Line(ChildFields())) + "\n");
        Assert.Equal(new long[] { 1, 2, 3 }, rows.Select(r => r.Line));
        Assert.NotNull(rows[0].Record);
        Assert.Equal(new RowError(2, "sex", "must be F, M or U"), rows[1].Error);
        Assert.NotNull(rows[2].Record);
    }

    [Fact]
    public void Read_accepts_crlf_and_a_byte_order_mark()
    {
        var rows = Read("\uFEFF" + PopulationCsv.Header + "\r\n" + Line(AdultFields()) + "\r\n" + Line(ChildFields()) + "\r\n");
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Null(r.Error));
    }

    [Theory]
    [InlineData("", "is missing (the file is empty)")]
    [InlineData("nir,birth_date,family_name", "must be exactly '" + PopulationCsv.Header + "'")]
    [InlineData("NIR;birth_date;family_name;given_names;sex;email;address_line1;address_line2;postal_code;city;vitale_serial;representative_nirs", "must be exactly '" + PopulationCsv.Header + "'")]
    [InlineData(PopulationCsv.Header + ";", "must be exactly '" + PopulationCsv.Header + "'")]
    [InlineData("185037512345641;1985-03-12;DUPONT;Jean Pierre;M;;;;;;;", "must be exactly '" + PopulationCsv.Header + "'")]
    public void A_missing_or_wrong_header_is_one_error_on_line_0(string header, string rule)
    {
        var rows = Read(header.Length == 0 ? "" : header + "\n" + Line(AdultFields()) + "\n");
        var row = Assert.Single(rows);
        Assert.Equal(0, row.Line);
        Assert.Null(row.Record);
        Assert.Equal(new RowError(0, "header", rule), row.Error);
    }

    [Fact]
    public void A_header_alone_has_no_rows() => Assert.Empty(Read(PopulationCsv.Header + "\n"));

    [Fact]
    public void Trailing_empty_lines_are_ignored_but_an_empty_line_before_data_is_an_error()
    {
        Assert.Single(Read(File(Line(AdultFields())) + "\n\n\n"));
        var rows = Read(File(Line(AdultFields()), "", "", Line(ChildFields()), "") + "\n");
        Assert.Equal(new long[] { 1, 2, 3, 4 }, rows.Select(r => r.Line));
        Assert.Equal(new RowError(2, "line", "is empty"), rows[1].Error);
        Assert.Equal(new RowError(3, "line", "is empty"), rows[2].Error);
        Assert.NotNull(rows[3].Record);
    }

    [Theory]
    [InlineData(0, new long[] { 1, 2, 3, 4 })]
    [InlineData(1, new long[] { 2, 3, 4 })]
    [InlineData(3, new long[] { 4 })]
    [InlineData(4, new long[0])]
    [InlineData(100, new long[0])]
    public void SkipLines_resumes_after_the_given_data_lines(long skip, long[] expected)
    {
        var text = File(Line(AdultFields()), "", Line(ChildFields()), With(4, "X")) + "\n";
        var rows = Read(text, skip);
        Assert.Equal(expected, rows.Select(r => r.Line));
        if (expected.Length == 4)
        {
            Assert.Equal("line", rows[1].Error!.Field);
        }
        if (expected.Length > 0)
        {
            Assert.Equal("sex", rows[^1].Error!.Field);
        }
    }

    [Fact]
    public void Read_streams_one_line_at_a_time()
    {
        var reader = new CountingReader(File(Enumerable.Repeat(Line(AdultFields()), 1000).ToArray()));
        using var rows = PopulationCsv.Read(reader, 0, Today).GetEnumerator();
        Assert.True(rows.MoveNext());
        Assert.Equal(2, reader.LinesRead);
        Assert.True(rows.MoveNext());
        Assert.Equal(3, reader.LinesRead);
    }

    [Fact]
    public void Read_validates_its_arguments_eagerly()
    {
        Assert.Throws<ArgumentNullException>(() => PopulationCsv.Read(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => PopulationCsv.Read(new StringReader(""), -1));
    }

    [Fact]
    public void Read_defaults_today_to_the_current_date()
    {
        var row = Assert.Single(PopulationCsv.Read(new StringReader(File(Line(AdultFields())))));
        Assert.Null(row.Error);
    }

    private sealed class CountingReader(string text) : StringReader(text)
    {
        public int LinesRead { get; private set; }

        public override string? ReadLine()
        {
            LinesRead++;
            return base.ReadLine();
        }
    }
}
