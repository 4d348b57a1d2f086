namespace Coffre.Domain.Rollout;

/// <summary>
/// Activation codes: 10 Crockford base32 symbols from a CSPRNG (50 bits) plus one Crockford check symbol
/// (value mod 37), shown as <c>XXXXX-XXXXX-C</c>. Input is normalised: case-insensitive, hyphens and spaces
/// ignored, I/L read as 1 and O as 0.
/// </summary>
public static class ActivationCodes
{
    public const int DataSymbols = 10;
    public const int EntropyBits = 50;

    /// <summary>A new code in canonical form (11 symbols, no hyphen).</summary>
    public static string Generate() => throw new NotImplementedException();

    /// <summary>Fills <paramref name="destination"/> (11 chars) with a new canonical code, without allocating.</summary>
    public static void Generate(Span<char> destination) => throw new NotImplementedException();

    /// <summary>Normalises user input; false when it is not 11 symbols or its check symbol is wrong.</summary>
    public static bool TryNormalise(string? input, out string canonical) => throw new NotImplementedException();

    /// <summary>For letters and emails: <c>XXXXX-XXXXX-C</c>.</summary>
    public static string Display(string canonical) => throw new NotImplementedException();

    /// <summary>The Crockford check symbol of the data symbols.</summary>
    public static char CheckSymbol(ReadOnlySpan<char> dataSymbols) => throw new NotImplementedException();
}

/// <summary>Crockford base32 encode/decode of 5-bit groups.</summary>
public static class CrockfordBase32
{
    public static string Encode(ReadOnlySpan<byte> data) => throw new NotImplementedException();

    public static byte[] Decode(string text) => throw new NotImplementedException();
}
