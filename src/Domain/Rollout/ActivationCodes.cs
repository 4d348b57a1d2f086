using System.Security.Cryptography;

namespace Coffre.Domain.Rollout;

/// <summary>
/// Activation codes: 10 Crockford base32 symbols from a CSPRNG (50 bits) plus one Crockford check symbol
/// (value mod 37), shown as <c>XXXXX-XXXXX-C</c>. Input is normalised: case-insensitive, hyphens and spaces
/// ignored, I/L read as 1 and O as 0.
/// </summary>
/// <remarks>
/// 50 bits is the CNIL (2022) floor for a secret used with attempt limiting and NIST SP 800-63B's look-up secret
/// range below 64 bits that requires rate limiting: codes are only ever accepted with a per-person attempt limit.
/// The check symbol (Crockford: the 50-bit value mod 37, over the alphabet plus <c>*~$=U</c>) catches every single
/// mistyped symbol and every adjacent transposition before a code costs an attempt. U is never a data symbol.
/// </remarks>
public static class ActivationCodes
{
    public const int DataSymbols = 10;
    public const int EntropyBits = 50;

    /// <summary>Length of the canonical form: data symbols plus the check symbol.</summary>
    public const int CanonicalLength = DataSymbols + 1;

    /// <summary>Length of the displayed form <c>XXXXX-XXXXX-C</c>.</summary>
    public const int DisplayLength = CanonicalLength + 2;

    /// <summary>Longest input <see cref="TryNormalise"/> looks at (separators included); longer input is rejected.</summary>
    public const int MaxInputLength = 64;

    /// <summary>The 37 Crockford check symbols: the 32 data symbols followed by <c>*~$=U</c>.</summary>
    public const string CheckAlphabet = CrockfordBase32.Alphabet + "*~$=U";

    /// <summary>A new code in canonical form (11 symbols, no hyphen).</summary>
    public static string Generate()
    {
        Span<char> code = stackalloc char[CanonicalLength];
        Generate(code);
        return new string(code);
    }

    /// <summary>Fills <paramref name="destination"/> (11 chars) with a new canonical code, without allocating.</summary>
    public static void Generate(Span<char> destination)
    {
        if (destination.Length < CanonicalLength)
        {
            throw new ArgumentException($"The destination must hold {CanonicalLength} characters.", nameof(destination));
        }
        var random = TakeRandom();
        ulong bits = 0;
        for (var i = 0; i < random.Length; i++)
        {
            bits = (bits << 8) | random[i];
        }
        // 56 random bits, big-endian: the first 50 are the code (the same symbols as CrockfordBase32.Encode's first 10).
        var value = bits >> 6;
        for (var i = 0; i < DataSymbols; i++)
        {
            destination[i] = CrockfordBase32.Alphabet[(int)((value >> (5 * (DataSymbols - 1 - i))) & 31)];
        }
        destination[DataSymbols] = CheckAlphabet[(int)(value % 37)];
        CryptographicOperations.ZeroMemory(random); // do not leave the secret's bits in the buffer once used
    }

    private const int RandomBytesPerCode = 7;

    /// <summary>Whole codes' worth of CSPRNG output drawn at once (one call per 585 codes instead of one per code).</summary>
    private const int RandomBlock = 4096 - 4096 % RandomBytesPerCode;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_randomAt;

    /// <summary>
    /// The next 7 bytes of this thread's block of CSPRNG output (<see cref="RandomNumberGenerator.Fill"/>), refilled when
    /// used up; the caller zeroes them after use, so the block holds only bytes not handed out yet. One CSPRNG call per
    /// code cost about 0.9 µs here, most of a code's generation (benchmarks/Coffre.Benchmarks ActivationCodeBenchmarks).
    /// </summary>
    private static Span<byte> TakeRandom()
    {
        if (t_random is null)
        {
            t_random = new byte[RandomBlock];
            t_randomAt = RandomBlock;
        }
        if (t_randomAt + RandomBytesPerCode > RandomBlock)
        {
            RandomNumberGenerator.Fill(t_random);
            t_randomAt = 0;
        }
        var random = t_random.AsSpan(t_randomAt, RandomBytesPerCode);
        t_randomAt += RandomBytesPerCode;
        return random;
    }

    /// <summary>Normalises user input; false when it is not 11 symbols or its check symbol is wrong.</summary>
    public static bool TryNormalise(string? input, out string canonical)
    {
        canonical = "";
        Span<char> code = stackalloc char[CanonicalLength];
        if (!TryNormalise(input.AsSpan(), code))
        {
            return false;
        }
        canonical = new string(code);
        return true;
    }

    /// <summary>
    /// Normalises <paramref name="input"/> into <paramref name="canonical"/> (11 chars) without allocating: upper case,
    /// '-' and ' ' removed, I/L read as 1, O as 0; anything else outside the alphabet, a U among the data symbols,
    /// a count other than 11 symbols or a wrong check symbol returns false.
    /// </summary>
    public static bool TryNormalise(ReadOnlySpan<char> input, Span<char> canonical)
    {
        if (canonical.Length < CanonicalLength)
        {
            throw new ArgumentException($"The destination must hold {CanonicalLength} characters.", nameof(canonical));
        }
        if (input.Length > MaxInputLength)
        {
            return false;
        }
        var count = 0;
        ulong value = 0;
        foreach (var raw in input)
        {
            if (raw is '-' or ' ')
            {
                continue;
            }
            if (count == CanonicalLength)
            {
                return false;
            }
            if (count < DataSymbols)
            {
                var digit = CrockfordBase32.DecodeSymbol(raw);
                if (digit < 0)
                {
                    return false;
                }
                value = (value << 5) | (uint)digit;
                canonical[count++] = CrockfordBase32.Alphabet[digit];
            }
            else
            {
                var check = DecodeCheckSymbol(raw);
                if (check < 0 || (ulong)check != value % 37)
                {
                    return false;
                }
                canonical[count++] = CheckAlphabet[check];
            }
        }
        return count == CanonicalLength;
    }

    /// <summary>For letters and emails: <c>XXXXX-XXXXX-C</c>.</summary>
    public static string Display(string canonical)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        if (canonical.Length != CanonicalLength)
        {
            throw new ArgumentException($"A canonical activation code has {CanonicalLength} symbols.", nameof(canonical));
        }
        return string.Create(DisplayLength, canonical, static (chars, code) =>
        {
            code.AsSpan(0, 5).CopyTo(chars);
            chars[5] = '-';
            code.AsSpan(5, 5).CopyTo(chars[6..]);
            chars[11] = '-';
            chars[12] = code[10];
        });
    }

    /// <summary>The Crockford check symbol of the data symbols.</summary>
    /// <remarks>Works for any number of symbols (the value is reduced mod 37 as it is read); input is normalised like a code.</remarks>
    /// <exception cref="FormatException">A symbol is not a Crockford data symbol.</exception>
    public static char CheckSymbol(ReadOnlySpan<char> dataSymbols)
    {
        var mod = 0;
        foreach (var c in dataSymbols)
        {
            var digit = CrockfordBase32.DecodeSymbol(c);
            if (digit < 0)
            {
                throw new FormatException($"'{c}' is not a Crockford base32 data symbol.");
            }
            mod = ((mod * 32) + digit) % 37;
        }
        return CheckAlphabet[mod];
    }

    private static int DecodeCheckSymbol(char c) => c switch
    {
        '*' => 32,
        '~' => 33,
        '$' => 34,
        '=' => 35,
        'U' or 'u' => 36,
        _ => CrockfordBase32.DecodeSymbol(c),
    };
}

/// <summary>Crockford base32 encode/decode of 5-bit groups.</summary>
/// <remarks>
/// Big-endian bit order: the first symbol holds the top 5 bits of the first byte; the last symbol is padded with
/// zero bits. Decoding normalises like activation codes (case, '-' and ' ' ignored, I/L → 1, O → 0) and is strict:
/// U, any other character, a symbol count no byte string encodes to, or non-zero padding bits throw
/// <see cref="FormatException"/>, so that <c>Encode(Decode(s))</c> is the canonical form of <c>s</c>.
/// </remarks>
public static class CrockfordBase32
{
    public const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>Number of symbols encoding <paramref name="byteCount"/> bytes.</summary>
    public static int EncodedLength(int byteCount) => checked((byteCount * 8) + 4) / 5;

    public static string Encode(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return "";
        }
        var length = EncodedLength(data.Length);
        var buffer = length <= 256 ? stackalloc char[length] : new char[length];
        Encode(data, buffer);
        return new string(buffer);
    }

    /// <summary>Writes <see cref="EncodedLength"/> symbols into <paramref name="destination"/>; returns the count.</summary>
    public static int Encode(ReadOnlySpan<byte> data, Span<char> destination)
    {
        var length = EncodedLength(data.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination must hold {length} characters.", nameof(destination));
        }
        var written = 0;
        var buffer = 0;
        var bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                destination[written++] = Alphabet[(buffer >> bits) & 31];
            }
            buffer &= (1 << bits) - 1;
        }
        if (bits > 0)
        {
            destination[written++] = Alphabet[(buffer << (5 - bits)) & 31];
        }
        return written;
    }

    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var symbols = 0;
        foreach (var c in text)
        {
            if (c is not ('-' or ' '))
            {
                symbols++;
            }
        }
        var byteCount = symbols * 5 / 8;
        if (EncodedLength(byteCount) != symbols)
        {
            throw new FormatException($"{symbols} Crockford base32 symbols do not encode a whole number of bytes.");
        }
        var result = new byte[byteCount];
        var written = 0;
        var buffer = 0;
        var bits = 0;
        foreach (var c in text)
        {
            if (c is '-' or ' ')
            {
                continue;
            }
            var digit = DecodeSymbol(c);
            if (digit < 0)
            {
                throw new FormatException($"'{c}' is not a Crockford base32 symbol.");
            }
            buffer = (buffer << 5) | digit;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                result[written++] = (byte)(buffer >> bits);
                buffer &= (1 << bits) - 1;
            }
        }
        if (buffer != 0)
        {
            throw new FormatException("The padding bits of the last Crockford base32 symbol are not zero.");
        }
        return result;
    }

    /// <summary>The value 0–31 of a data symbol after normalisation (case, I/L → 1, O → 0), or −1 (U included).</summary>
    public static int DecodeSymbol(char c)
    {
        if (c is >= '0' and <= '9')
        {
            return c - '0';
        }
        return (char)(c | 0x20) switch
        {
            'a' => 10,
            'b' => 11,
            'c' => 12,
            'd' => 13,
            'e' => 14,
            'f' => 15,
            'g' => 16,
            'h' => 17,
            'i' or 'l' => 1,
            'j' => 18,
            'k' => 19,
            'm' => 20,
            'n' => 21,
            'o' => 0,
            'p' => 22,
            'q' => 23,
            'r' => 24,
            's' => 25,
            't' => 26,
            'v' => 27,
            'w' => 28,
            'x' => 29,
            'y' => 30,
            'z' => 31,
            _ => -1,
        };
    }
}
