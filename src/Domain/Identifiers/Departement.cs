namespace Coffre.Domain.Identifiers;

/// <summary>
/// French départements from postal codes: the first two digits (<c>75001</c> → <c>75</c>), Corsica split at 20200
/// (<c>2A</c> below, <c>2B</c> from it), overseas from the first three digits (<c>97400</c> → <c>974</c>).
/// </summary>
public static class Departement
{
    /// <summary>Null when <paramref name="postalCode"/> is five digits of a known range, else the rule it breaks.</summary>
    public static string? ValidatePostalCode(string? postalCode)
    {
        if (postalCode is not { Length: 5 } || !postalCode.All(char.IsAsciiDigit))
        {
            return "must be 5 digits";
        }
        return postalCode.StartsWith("00", StringComparison.Ordinal) || string.CompareOrdinal(postalCode, "98999") > 0
            ? "is outside the French postal code ranges (01000 to 98999)"
            : null;
    }

    /// <summary>The département code of a valid postal code; null for null or an invalid one.</summary>
    public static string? FromPostalCode(string? postalCode)
    {
        if (ValidatePostalCode(postalCode) is not null)
        {
            return null;
        }
        return postalCode![..2] switch
        {
            "20" => string.CompareOrdinal(postalCode, "20200") < 0 ? "2A" : "2B",
            "97" or "98" => postalCode[..3],
            var two => two,
        };
    }

    /// <summary>Whether <paramref name="code"/> is a département code as <see cref="FromPostalCode"/> gives them (01–95, 2A, 2B, 971–989).</summary>
    public static bool IsCode(string? code) => code switch
    {
        "2A" or "2B" => true,
        { Length: 2 } when code.All(char.IsAsciiDigit) => code != "00" && code != "20" && string.CompareOrdinal(code, "95") <= 0,
        { Length: 3 } when code.All(char.IsAsciiDigit) => code.StartsWith("97", StringComparison.Ordinal) || code.StartsWith("98", StringComparison.Ordinal),
        _ => false,
    };
}
