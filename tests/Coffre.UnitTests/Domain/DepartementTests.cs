using Coffre.Domain.Identifiers;
using Coffre.Grains.Professionals;
using Xunit;

namespace Coffre.UnitTests.Domain;

public sealed class DepartementTests
{
    [Theory]
    [InlineData("75011", "75")]
    [InlineData("01000", "01")]
    [InlineData("20000", "2A")]
    [InlineData("20199", "2A")]
    [InlineData("20200", "2B")]
    [InlineData("97400", "974")]
    [InlineData("98800", "988")]
    [InlineData("7501", null)]
    [InlineData("00100", null)]
    [InlineData("99000", null)]
    [InlineData("7501A", null)]
    [InlineData(null, null)]
    public void FromPostalCode_gives_the_departement(string? postalCode, string? expected) =>
        Assert.Equal(expected, Departement.FromPostalCode(postalCode));

    [Theory]
    [InlineData("7501", "must be 5 digits")]
    [InlineData("00100", "is outside the French postal code ranges (01000 to 98999)")]
    [InlineData("75011", null)]
    public void ValidatePostalCode_names_the_rule(string postalCode, string? expected) =>
        Assert.Equal(expected, Departement.ValidatePostalCode(postalCode));

    [Theory]
    [InlineData("75", true)]
    [InlineData("2A", true)]
    [InlineData("974", true)]
    [InlineData("20", false)]
    [InlineData("00", false)]
    [InlineData("96", false)]
    [InlineData("7", false)]
    public void IsCode_knows_the_codes(string code, bool expected) => Assert.Equal(expected, Departement.IsCode(code));

    [Fact]
    public void A_membership_counts_from_its_start_until_its_end()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var end = start.AddDays(30);
        var membership = new Membership("750000001", Admin: false) { Start = start, End = end };
        Assert.False(membership.IsActiveAt(start.AddTicks(-1)));
        Assert.True(membership.IsActiveAt(start));
        Assert.True(membership.IsActiveAt(end.AddTicks(-1)));
        Assert.False(membership.IsActiveAt(end));
        Assert.True(new Membership("750000001", Admin: false).IsActiveAt(start));
    }
}
