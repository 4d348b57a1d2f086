namespace Coffre.Domain.Identifiers;

/// <summary>
/// A professional's identifier: RPPS (11 digits starting with 1, the last a Luhn check digit), ADELI (9 digits, the
/// last a Luhn check digit) for professions not yet in RPPS, or a Coffre identifier (<see cref="CoffreProfessionalId"/>)
/// for social and médico-social staff with neither. All three are accepted wherever a professional is named.
/// </summary>
public static class Rpps
{
    /// <summary>Returns null when <paramref name="value"/> is a valid RPPS or ADELI number, else the rule it breaks.</summary>
    public static string? Validate(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "is required";
        }
        if (!value.All(char.IsAsciiDigit))
        {
            return "must contain digits only";
        }
        if (value.Length is not (11 or 9))
        {
            return "must be 11 digits (RPPS) or 9 digits (ADELI)";
        }
        return Luhn.IsValid(value) ? null : "has a wrong check digit (Luhn)";
    }

    public static bool IsValid(string? value) => Validate(value) is null;

    /// <summary>Which kind of identifier a valid value is.</summary>
    public static ProfessionalIdKind KindOf(string value) =>
        value.Length == 9 ? ProfessionalIdKind.Adeli : CoffreProfessionalId.IsValid(value) ? ProfessionalIdKind.Coffre : ProfessionalIdKind.Rpps;
}

public enum ProfessionalIdKind
{
    Rpps = 0,
    Adeli = 1,
    Coffre = 2,
}

/// <summary>
/// Coffre's own professional identifier, for social and médico-social staff registered by their establishment
/// without RPPS or ADELI: 11 digits, <c>99</c> then 8 digits then a Luhn check digit over the first 10. RPPS numbers
/// start with 1 and ADELI numbers have 9 digits, so the ranges never meet; it is accepted wherever an RPPS is.
/// </summary>
public static class CoffreProfessionalId
{
    public const string Prefix = "99";

    public static bool IsValid(string? value) =>
        value is { Length: 11 } && value.StartsWith(Prefix, StringComparison.Ordinal) && value.All(char.IsAsciiDigit) && Luhn.IsValid(value);

    /// <summary>A new random identifier (8 random digits: collisions are checked by the caller against the directory).</summary>
    public static string New()
    {
        var body = Prefix + System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 100_000_000).ToString("D8", System.Globalization.CultureInfo.InvariantCulture);
        return body + Luhn.CheckDigit(body);
    }
}

/// <summary>The Luhn (mod 10) check used by RPPS, ADELI and SIREN-style numbers.</summary>
public static class Luhn
{
    public static bool IsValid(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }

    /// <summary>The digit to append to <paramref name="body"/> so that the whole passes the check.</summary>
    public static char CheckDigit(ReadOnlySpan<char> body)
    {
        Span<char> candidate = body.Length < 64 ? stackalloc char[body.Length + 1] : new char[body.Length + 1];
        body.CopyTo(candidate);
        for (var c = '0'; c <= '9'; c++)
        {
            candidate[^1] = c;
            if (IsValid(candidate))
            {
                return c;
            }
        }
        throw new InvalidOperationException("unreachable: one of ten digits always completes a Luhn number");
    }
}
