using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Domain.Identifiers;
using Xunit;

namespace Coffre.UnitTests.Registration;

/// <summary>The one validation path: check digits, and every rule names its field.</summary>
public sealed class DirectoryRulesTests
{
    private static readonly HabilitationMatrix Matrix = HabilitationMatrix.Default;

    private static EstablishmentEntry Establishment => new("750000002", "Centre de santé Belleville", false, null, "124", ProfessionSector.Health, "Paris", "75020");

    private static ProfessionalEntry Professional => new("10000000009", "Dr Hélène Martin", "10", ProfessionSector.Health,
        [new MembershipTerms("750000002", "médecin coordonnateur", new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), null, false)]);

    [Theory]
    [InlineData("10000000009", true)]   // RPPS
    [InlineData("10003456787", false)]  // RPPS, wrong check digit
    [InlineData("810000000", true)]     // ADELI
    [InlineData("810000001", false)]    // ADELI, wrong check digit
    [InlineData("99123456784", true)]   // Coffre identifier
    [InlineData("99123456783", false)]  // Coffre identifier, wrong check digit
    public void Professional_identifiers_carry_a_luhn_check_digit(string identifier, bool valid)
    {
        Assert.Equal(valid, Rpps.IsValid(identifier));
        Assert.Equal(valid ? null : "identifier", DirectoryRules.Professional(Professional with { Identifier = identifier }, Matrix)?.Field);
    }

    [Fact]
    public void Coffre_identifiers_are_told_apart_from_rpps_and_adeli()
    {
        Assert.True(CoffreProfessionalId.IsValid("99123456784"));
        Assert.False(CoffreProfessionalId.IsValid("10000000009"));
        Assert.Equal(ProfessionalIdKind.Coffre, Rpps.KindOf("99123456784"));
        Assert.Equal(ProfessionalIdKind.Adeli, Rpps.KindOf("810000000"));
        Assert.Equal(ProfessionalIdKind.Rpps, Rpps.KindOf("10000000009"));
        for (var i = 0; i < 100; i++)
        {
            Assert.True(CoffreProfessionalId.IsValid(CoffreProfessionalId.New()));
        }
    }

    [Theory]
    [InlineData("750000002", null)]
    [InlineData("750000001", "has a wrong check digit (Luhn)")]
    [InlineData("2A0000008", null)]
    [InlineData("2B0000008", null)]
    [InlineData("2C0000008", "must be digits (2A or 2B allowed for Corsica)")]
    [InlineData("75000000", "must be 9 characters")]
    public void Finess_carries_a_luhn_check_digit_with_corsica_as_zero(string finess, string? rule) =>
        Assert.Equal(rule, Finess.Validate(finess));

    public static TheoryData<EstablishmentEntry, string> BrokenEstablishments => new()
    {
        { Establishment with { Finess = "750000001" }, "finess" },
        { Establishment with { Name = " " }, "name" },
        { Establishment with { Name = new string('x', 201) }, "name" },
        { Establishment with { Name = "Centre \u202Esanté" }, "name" },
        { Establishment with { CategoryCode = "" }, "categoryCode" },
        { Establishment with { CategoryCode = "1-2" }, "categoryCode" },
        { Establishment with { Site = true }, "partOf" },
        { Establishment with { Site = true, PartOf = "750000001" }, "partOf" },
        { Establishment with { Site = true, PartOf = "750000002" }, "partOf" },
        { Establishment with { PartOf = "2A0000008" }, "partOf" },
        { Establishment with { PostalCode = "7502" }, "postalCode" },
        { Establishment with { PostalCode = "00100" }, "postalCode" },
        { Establishment with { Town = "" }, "town" },
    };

    [Theory]
    [MemberData(nameof(BrokenEstablishments))]
    public void Each_establishment_rule_names_its_field(EstablishmentEntry entry, string field)
    {
        var violation = DirectoryRules.Establishment(entry);
        Assert.NotNull(violation);
        Assert.Equal(field, violation.Field);
        Assert.False(string.IsNullOrWhiteSpace(violation.Rule));
    }

    [Fact]
    public void A_valid_site_names_its_legal_entity()
    {
        Assert.Null(DirectoryRules.Establishment(Establishment));
        Assert.Null(DirectoryRules.Establishment(Establishment with { Finess = "2A0000008", Site = true, PartOf = "750000002", PostalCode = "20000" }));
        Assert.Equal("legalEntityFiness", DirectoryRules.Establishment(Establishment with { Site = true }, "legalEntityFiness")!.Field);
    }

    public static TheoryData<ProfessionalEntry, string> BrokenProfessionals => new()
    {
        { Professional with { DisplayName = "" }, "displayName" },
        { Professional with { ProfessionCode = "99" }, "professionCode" },
        { Professional with { ProfessionCode = "" }, "professionCode" },
        { Professional with { Sector = ProfessionSector.Social }, "sector" },
        { Professional with { Memberships = [new MembershipTerms("750000001", null, null, null, false)] }, "memberships[0].finess" },
        { Professional with { Memberships = [new MembershipTerms("750000002", "a\u0007b", null, null, false)] }, "memberships[0].role" },
        {
            Professional with { Memberships = [new MembershipTerms("750000002", null, DateTimeOffset.UnixEpoch.AddDays(2), DateTimeOffset.UnixEpoch.AddDays(1), false)] },
            "memberships[0].endsAt"
        },
        {
            Professional with { Memberships = [new MembershipTerms("750000002", null, null, null, false), new MembershipTerms("750000002", null, null, null, true)] },
            "memberships[1].finess"
        },
        { Professional with { Memberships = [.. Enumerable.Range(0, 21).Select(i => new MembershipTerms(SyntheticDirectory.FinessOf(i), null, null, null, false))] }, "memberships" },
    };

    [Theory]
    [MemberData(nameof(BrokenProfessionals))]
    public void Each_professional_rule_names_its_field(ProfessionalEntry entry, string field)
    {
        var violation = DirectoryRules.Professional(entry, Matrix);
        Assert.NotNull(violation);
        Assert.Equal(field, violation.Field);
    }

    [Fact]
    public void Profession_must_exist_in_the_matrix_with_its_sector()
    {
        Assert.Null(DirectoryRules.Professional(Professional, Matrix));
        Assert.Null(DirectoryRules.Professional(Professional with { ProfessionCode = "SOC-AS", Sector = ProfessionSector.Social, Identifier = "99123456784" }, Matrix));
        Assert.Contains("habilitation matrix", DirectoryRules.Professional(Professional with { ProfessionCode = "XX" }, Matrix)!.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("k-1", 0, 500, null)]
    [InlineData("k-1", 300, 201, "professionals")]
    [InlineData("k-1", 501, 0, "establishments")]
    [InlineData("", 1, 0, "idempotencyKey")]
    [InlineData("a/b", 1, 0, "idempotencyKey")]
    public void Bulk_requests_are_bounded_and_keyed(string key, int establishments, int professionals, string? field) =>
        Assert.Equal(field, DirectoryRules.BulkRequest(key, establishments, professionals)?.Field);
}
