namespace Coffre.Domain.Identifiers;

/// <summary>
/// A professional's national identifier: RPPS (11 digits, the last a Luhn check digit) or, for professions
/// not yet in RPPS, ADELI (9 digits, the last a Luhn check digit).
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
