namespace Coffre.Domain.Identifiers;

/// <summary>
/// An establishment's FINESS number: 9 characters, the first two a département (digits, or 2A/2B for Corsica),
/// the last a Luhn check digit over the first eight (Corsica's letter counts as 0 for the check).
/// </summary>
public static class Finess
{
    public static string? Validate(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "is required";
        }
        if (value.Length != 9)
        {
            return "must be 9 characters";
        }
        var corsica = value[0] == '2' && value[1] is 'A' or 'B';
        for (var i = 0; i < 9; i++)
        {
            if (!char.IsAsciiDigit(value[i]) && !(i == 1 && corsica))
            {
                return "must be digits (2A or 2B allowed for Corsica)";
            }
        }
        Span<char> digits = stackalloc char[9];
        value.AsSpan().CopyTo(digits);
        if (corsica)
        {
            digits[1] = '0';
        }
        return Luhn.IsValid(digits) ? null : "has a wrong check digit (Luhn)";
    }

    public static bool IsValid(string? value) => Validate(value) is null;
}
