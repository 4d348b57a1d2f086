using System.Security.Cryptography;
using System.Text;

namespace Coffre.Domain.Identifiers;

/// <summary>
/// The NIR (French social security number, the INS identifier): 13 characters + a 2-digit key,
/// key = 97 − (NIR mod 97), with Corsica's 2A/2B read as 19/18 for the computation.
/// Never a grain key, never logged: lookups use <see cref="NirHasher"/>.
/// </summary>
public static class Nir
{
    /// <summary>Returns null when valid, else the rule broken. Spaces are ignored.</summary>
    public static string? Validate(string? value)
    {
        var nir = Normalise(value);
        if (nir.Length == 0)
        {
            return "is required";
        }
        if (nir.Length != 15)
        {
            return "must be 15 characters (13 + a 2-digit key)";
        }
        if (nir[0] is not ('1' or '2' or '3' or '4' or '7' or '8'))
        {
            return "must start with the sex digit (1, 2, 3, 4, 7 or 8)";
        }
        var body = nir[..13];
        var corsica = body[5] == '2' && body[6] is 'A' or 'B';
        for (var i = 0; i < 15; i++)
        {
            if (!char.IsAsciiDigit(nir[i]) && !(i == 6 && corsica))
            {
                return "must be digits (2A or 2B allowed for a Corsican département)";
            }
        }
        var key = int.Parse(nir[13..], System.Globalization.CultureInfo.InvariantCulture);
        return key == ComputeKey(body) ? null : "has a wrong key (97 − NIR mod 97)";
    }

    public static bool IsValid(string? value) => Validate(value) is null;

    /// <summary>97 − (number mod 97), where Corsican 2A/2B become 19/18.</summary>
    public static int ComputeKey(string body13)
    {
        var digits = body13.Replace("2A", "19", StringComparison.Ordinal).Replace("2B", "18", StringComparison.Ordinal);
        return 97 - (int)(long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) % 97);
    }

    public static string Normalise(string? value) => (value ?? "").Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    /// <summary>Shown to people: sex digit and key only, e.g. <c>1 ** ** ** *** *** 45</c>.</summary>
    public static string Mask(string nir)
    {
        var n = Normalise(nir);
        return $"{n[0]} ** ** ** *** *** {n[13..]}";
    }
}

/// <summary>Keyed hash of a NIR (HMAC-SHA256 with a secret pepper): the only form a NIR takes in keys and tables.</summary>
public sealed class NirHasher(byte[] key)
{
    /// <summary>Size of a hash in bytes.</summary>
    public const int HashSize = 32;

    // One reused HMAC per thread: about half the cost of the one-shot HashData (bulk import hashes millions).
    private readonly ThreadLocal<IncrementalHash> _hmac = new(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));

    public string HashHex(string nir) => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(Nir.Normalise(nir))));

    /// <summary>
    /// The same hash as <see cref="HashHex"/> (HMAC-SHA256 of the normalised value), as 32 bytes into
    /// <paramref name="destination"/>, without allocating for ASCII input.
    /// </summary>
    public void Hash(ReadOnlySpan<char> value, Span<byte> destination)
    {
        if (destination.Length < HashSize)
        {
            throw new ArgumentException($"The destination must hold {HashSize} bytes.", nameof(destination));
        }
        Span<byte> ascii = stackalloc byte[128];
        var length = 0;
        foreach (var c in value)
        {
            if (c == ' ')
            {
                continue;
            }
            if (c > 0x7F || length == ascii.Length)
            {
                // Unusual input: take exactly HashHex's path (Unicode upper-casing, '?' for non-ASCII).
                HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(Nir.Normalise(value.ToString())), destination);
                return;
            }
            ascii[length++] = (byte)(c is >= 'a' and <= 'z' ? c - 32 : c);
        }
        var hmac = _hmac.Value!;
        hmac.AppendData(ascii[..length]);
        hmac.GetHashAndReset(destination);
    }

    /// <summary>A Vitale card serial's keyed hash as stored: the same pepper over "VITALE:" + the serial (what activation compares).</summary>
    public void HashVitaleSerial(ReadOnlySpan<char> serial, Span<byte> destination)
    {
        const string Prefix = "VITALE:";
        serial = serial.Trim();
        if (serial.Length > 64)
        {
            Hash(Prefix + serial.ToString(), destination);
            return;
        }
        Span<char> text = stackalloc char[Prefix.Length + 64];
        Prefix.CopyTo(text);
        serial.CopyTo(text[Prefix.Length..]);
        Hash(text[..(Prefix.Length + serial.Length)], destination);
    }
}
