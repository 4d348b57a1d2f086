using Coffre.Domain.Identifiers;
using Xunit;

namespace Coffre.UnitTests.Domain;

public sealed class RppsTests
{
    [Theory]
    [InlineData("10000000009", null)]
    [InlineData("810000000", null)]
    [InlineData("10000000008", "has a wrong check digit (Luhn)")]
    [InlineData("1000000000", "must be 11 digits (RPPS) or 9 digits (ADELI)")]
    [InlineData("1000000000A", "must contain digits only")]
    [InlineData("", "is required")]
    [InlineData(null, "is required")]
    public void Validate_names_the_rule_broken(string? value, string? expected) =>
        Assert.Equal(expected, Rpps.Validate(value));

    [Theory]
    [InlineData("1000000000")]
    [InlineData("12345678")]
    [InlineData("7992739871")]
    public void CheckDigit_completes_a_valid_number(string body)
    {
        var full = body + Luhn.CheckDigit(body);
        Assert.True(Luhn.IsValid(full));
        var wrong = body + (char)('0' + ((full[^1] - '0' + 1) % 10));
        Assert.False(Luhn.IsValid(wrong));
    }

    [Fact]
    public void Known_luhn_reference_number_is_valid() => Assert.Equal('3', Luhn.CheckDigit("7992739871"));
}
