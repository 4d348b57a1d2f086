using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Vaults;

/// <summary>The vault's input rules are pure: each refusal names the field and the rule, with no grain involved.</summary>
public sealed class VaultInputRulesTests
{
    private static readonly HabilitationMatrix Matrix = HabilitationMatrix.Default;
    private static readonly VaultOptions Limits = new();
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly string Sha = new('a', 64);

    private static NewDocument Letter(string title = "Lettre de liaison", long size = 1000, string contentType = "application/pdf", string sha = "") =>
        new(title, "10", "11490-0", contentType, size, sha.Length == 0 ? Sha : sha);

    [Fact]
    public void A_valid_document_passes()
    {
        VaultInputRules.NewDocument(Letter(), Matrix, Limits, remainingQuota: 10_000);
        VaultInputRules.NewDocument(Letter(), Matrix, Limits, remainingQuota: null);
    }

    [Theory]
    [InlineData("", 1000, "application/pdf", "title")]
    [InlineData("ok", 0, "application/pdf", "size")]
    [InlineData("ok", 1000, "application/x-msdownload", "contentType")]
    public void A_document_that_breaks_a_rule_names_its_field(string title, long size, string contentType, string field)
    {
        var e = Assert.Throws<ValidationFailedException>(() => VaultInputRules.NewDocument(Letter(title, size, contentType), Matrix, Limits, null));
        Assert.Equal(field, e.Field);
        Assert.Equal("VALIDATION", e.Code);
    }

    [Fact]
    public void Type_class_and_hash_are_checked_against_the_matrix_and_the_format()
    {
        Assert.Equal("typeCode", Assert.Throws<ValidationFailedException>(() =>
            VaultInputRules.NewDocument(Letter() with { TypeCode = "no-such-type" }, Matrix, Limits, null)).Field);
        Assert.Equal("sha256", Assert.Throws<ValidationFailedException>(() =>
            VaultInputRules.NewDocument(Letter(sha: "xyz"), Matrix, Limits, null)).Field);
    }

    [Fact]
    public void Beyond_the_remaining_quota_is_QUOTA_EXCEEDED()
    {
        var e = Assert.Throws<ValidationFailedException>(() => VaultInputRules.NewDocument(Letter(size: 1001), Matrix, Limits, remainingQuota: 1000));
        Assert.Equal(("size", "QUOTA_EXCEEDED"), (e.Field, e.Code));
    }

    [Fact]
    public void Consent_needs_a_future_expiry_within_three_years_and_evidence_for_paper()
    {
        var scope = DocumentScope.All;
        Assert.Equal("consent.expiresAt", Assert.Throws<ValidationFailedException>(() =>
            VaultInputRules.Consent(new ConsentRecord(ConsentMethod.InApp, scope, Now.AddYears(4), null), "actor", Now, Matrix)).Field);
        Assert.Equal("consent.evidence", Assert.Throws<ValidationFailedException>(() =>
            VaultInputRules.Consent(new ConsentRecord(ConsentMethod.SignedPaper, scope, Now.AddYears(1), " "), "actor", Now, Matrix)).Field);
        var consent = VaultInputRules.Consent(new ConsentRecord(ConsentMethod.SignedPaper, scope, Now.AddYears(1), " form 12 "), "actor", Now, Matrix);
        Assert.Equal(("actor", "form 12"), (consent.RecordedBy, consent.Evidence));
    }

    [Fact]
    public void Identity_birth_date_is_judged_against_the_day_given()
    {
        var today = new DateOnly(2026, 12, 2);
        VaultInputRules.Identity(new IdentityTraits("Martin", "Léa", today, Sex.Female), today);
        Assert.Equal("identity.birthDate", Assert.Throws<ValidationFailedException>(() =>
            VaultInputRules.Identity(new IdentityTraits("Martin", "Léa", today.AddDays(1), Sex.Female), today)).Field);
        Assert.Equal("identity.familyName", Assert.Throws<ValidationFailedException>(() =>
            VaultInputRules.Identity(new IdentityTraits("", "Léa", today, Sex.Female), today)).Field);
    }
}
