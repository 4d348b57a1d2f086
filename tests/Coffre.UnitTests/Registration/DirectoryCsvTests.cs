using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Xunit;

namespace Coffre.UnitTests.Registration;

public sealed class DirectoryCsvTests
{
    [Fact]
    public void Lines_round_trip_through_format_and_parse()
    {
        var professional = new ProfessionalEntry("10000000009", "Éloïse Lefèvre", "60", ProfessionSector.Health,
        [
            new MembershipTerms("750000002", "infirmière de nuit", new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 1, 8, 30, 0, TimeSpan.Zero), true),
            new MembershipTerms("2A0000008", null, null, null, false),
        ]);
        var (entry, key, violation) = DirectoryCsv.Parse(DirectoryEntryKind.Professional, DirectoryCsv.Format(professional));
        Assert.Null(violation);
        Assert.Equal("10000000009", key);
        var parsed = Assert.IsType<ProfessionalEntry>(entry);
        Assert.Equal(professional with { Memberships = [] }, parsed with { Memberships = [] });
        Assert.Equal(professional.Memberships, parsed.Memberships);

        var site = new EstablishmentEntry("2A0000008", "EHPAD Les Oliviers", true, "750000002", "500", ProfessionSector.MedicoSocial, "Ajaccio", "20000");
        Assert.Equal(site, DirectoryCsv.Parse(DirectoryEntryKind.Establishment, DirectoryCsv.Format(site)).Entry);
    }

    [Theory]
    [InlineData("750000002;Centre;LEGAL_ENTITY;;124;HEALTH;Paris", "line")]
    [InlineData("750000002;Centre;EJ;;124;HEALTH;Paris;75020", "kind")]
    [InlineData("750000002;Centre;LEGAL_ENTITY;;124;SANTE;Paris;75020", "sector")]
    [InlineData("750000002;Centre \"A\";LEGAL_ENTITY;;124;HEALTH;Paris;75020", "name")]
    public void Establishment_syntax_errors_name_their_field(string line, string field) =>
        Assert.Equal(field, DirectoryCsv.Parse(DirectoryEntryKind.Establishment, line).Violation?.Field);

    [Theory]
    [InlineData("10000000009;Dr A;10;HEALTH;750000002,role", "memberships[0]")]
    [InlineData("10000000009;Dr A;10;HEALTH;750000002,,2024-13-01,,", "memberships[0].startsAt")]
    [InlineData("10000000009;Dr A;10;HEALTH;750000002,,,,;", "line")]
    [InlineData("10000000009;Dr A;10;HEALTH;750000002,,,,yes", "memberships[0].admin")]
    [InlineData("10000000009;Dr A;10;HEALTH;750000002,,,,|2A0000008,,,soon,", "memberships[1].endsAt")]
    public void Professional_syntax_errors_name_their_field(string line, string field) =>
        Assert.Equal(field, DirectoryCsv.Parse(DirectoryEntryKind.Professional, line).Violation?.Field);

    [Fact]
    public void Header_must_be_the_documented_one()
    {
        Assert.Null(DirectoryCsv.CheckHeader(DirectoryEntryKind.Establishment, "\uFEFF" + DirectoryCsv.EstablishmentsHeader));
        Assert.NotNull(DirectoryCsv.CheckHeader(DirectoryEntryKind.Professional, DirectoryCsv.EstablishmentsHeader));
    }

    [Fact]
    public void Report_quotes_rules_that_contain_the_separator()
    {
        var line = DirectoryCsv.FormatReport(7, new DirectoryRowResult(0, "x", DirectoryOutcome.Rejected, "name", "must not contain ';'", "VALIDATION"));
        Assert.Equal("7;x;REJECTED;name;\"must not contain ';'\"", line);
    }

    [Fact]
    public void Synthetic_directory_is_deterministic_valid_and_unique()
    {
        const int establishments = 2_000, professionals = 5_000;
        var e1 = SyntheticDirectory.Establishments(establishments, seed: 7).ToList();
        Assert.Equal(e1, SyntheticDirectory.Establishments(establishments, seed: 7).ToList());
        Assert.All(e1, e => Assert.Null(DirectoryRules.Establishment(e)));
        Assert.Equal(establishments, e1.Select(e => e.Finess).Distinct().Count());
        Assert.True(e1.Select(e => Coffre.Domain.Identifiers.Departement.FromPostalCode(e.PostalCode)).Distinct().Count() >= 90);
        Assert.All(e1.Where(e => e.Site), e => Assert.False(e1.Single(p => p.Finess == e.PartOf).Site));

        var p1 = SyntheticDirectory.Professionals(professionals, establishments, seed: 7).ToList();
        Assert.All(p1, p => Assert.Null(DirectoryRules.Professional(p, HabilitationMatrix.Default)));
        Assert.Equal(professionals, p1.Select(p => p.Identifier).Distinct().Count());
        var known = e1.Select(e => e.Finess).ToHashSet();
        Assert.All(p1.SelectMany(p => p.Memberships), m => Assert.Contains(m.Finess, known));
        var kinds = p1.GroupBy(p => Coffre.Domain.Identifiers.Rpps.KindOf(p.Identifier)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, kinds.Count);
        Assert.Contains(p1, p => p.DisplayName.Any(c => c > 127));
        // Every generated line parses back to the same row.
        Assert.All(p1.Take(500), p => Assert.Equal(DirectoryCsv.Format(p), DirectoryCsv.Format((ProfessionalEntry)DirectoryCsv.Parse(DirectoryEntryKind.Professional, DirectoryCsv.Format(p)).Entry!)));
    }
}
