using Coffre.Domain.Rollout;
using Xunit;

namespace Coffre.UnitTests.Rollout;

public sealed class ActivationCodesTests
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    [Fact]
    public void Generated_codes_are_canonical_and_valid()
    {
        for (var i = 0; i < 1000; i++)
        {
            var code = ActivationCodes.Generate();
            Assert.Equal(11, code.Length);
            Assert.All(code[..10], c => Assert.Contains(c, Alphabet));
            Assert.Equal(ActivationCodes.CheckSymbol(code.AsSpan(0, 10)), code[10]);
            Assert.True(ActivationCodes.TryNormalise(code, out var canonical));
            Assert.Equal(code, canonical);
        }
    }

    [Fact]
    public void Generate_into_a_span_writes_eleven_symbols_and_rejects_a_short_destination()
    {
        Span<char> code = stackalloc char[12];
        code[11] = '#';
        ActivationCodes.Generate(code);
        Assert.Equal('#', code[11]);
        Assert.True(ActivationCodes.TryNormalise(new string(code[..11]), out _));
        Assert.Throws<ArgumentException>(() => ActivationCodes.Generate(new char[10]));
    }

    [Fact]
    public void Generate_into_a_span_does_not_allocate()
    {
        var code = new char[11];
        ActivationCodes.Generate(code); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            ActivationCodes.Generate(code);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void A_million_codes_have_no_duplicate_and_uniformly_distributed_symbols()
    {
        const int count = 1_000_000;
        var seen = new HashSet<long>(count);
        var counts = new int[10, 32];
        Span<char> code = stackalloc char[11];
        for (var i = 0; i < count; i++)
        {
            ActivationCodes.Generate(code);
            long value = 0;
            for (var p = 0; p < 10; p++)
            {
                var digit = Alphabet.IndexOf(code[p], StringComparison.Ordinal);
                counts[p, digit]++;
                value = (value << 5) | (uint)digit;
            }
            if (!seen.Add(value))
            {
                Assert.Fail($"duplicate code after {i} codes");
            }
        }
        // Chi-square with 31 degrees of freedom per position: mean 31, sd 7.9; 100 is beyond p = 1e-8.
        const double expected = count / 32.0;
        for (var p = 0; p < 10; p++)
        {
            var chi2 = 0.0;
            for (var d = 0; d < 32; d++)
            {
                chi2 += (counts[p, d] - expected) * (counts[p, d] - expected) / expected;
            }
            Assert.True(chi2 < 100, $"position {p}: chi-square {chi2:F1}");
        }
    }

    [Fact]
    public void Entropy_constants_match_the_format()
    {
        Assert.Equal(10, ActivationCodes.DataSymbols);
        Assert.Equal(ActivationCodes.DataSymbols * 5, ActivationCodes.EntropyBits);
        Assert.True(ActivationCodes.EntropyBits >= 50);
    }

    [Theory]
    [InlineData("0123456789", 'P')]
    [InlineData("ABCDEFGHJK", 'Q')]
    [InlineData("ZZZZZZZZZZ", 'X')]
    [InlineData("0000000000", '0')]
    [InlineData("MNPQRSTVWX", 'R')]
    [InlineData("7Z3K9M2P4Q", 'D')]
    [InlineData("0000000010", '*')]
    [InlineData("0000000011", '~')]
    [InlineData("0000000012", '$')]
    [InlineData("0000000013", '=')]
    [InlineData("0000000014", 'U')]
    [InlineData("abcdefghjk", 'Q')]
    [InlineData("OI23456789", 'P')]
    public void CheckSymbol_is_the_value_mod_37(string data, char expected) =>
        Assert.Equal(expected, ActivationCodes.CheckSymbol(data));

    [Fact]
    public void CheckSymbol_rejects_a_non_symbol() =>
        Assert.Throws<FormatException>(() => ActivationCodes.CheckSymbol("ABCDU"));

    [Theory]
    [InlineData("0123456789P", "0123456789P")]
    [InlineData("01234-56789-P", "0123456789P")]
    [InlineData("01234 56789 P", "0123456789P")]
    [InlineData(" 0-1 2-3 4 5 6 7 8 9 p ", "0123456789P")]
    [InlineData("abcde-fghjk-q", "ABCDEFGHJKQ")]
    [InlineData("O1234-56789-P", "0123456789P")]
    [InlineData("oI234-56789-P", "0123456789P")]
    [InlineData("0L234-56789-P", "0123456789P")]
    [InlineData("0l234-56789-p", "0123456789P")]
    [InlineData("00000-00010-*", "0000000010*")]
    [InlineData("0000000010*", "0000000010*")]
    [InlineData("0000000011~", "0000000011~")]
    [InlineData("0000000012$", "0000000012$")]
    [InlineData("0000000013=", "0000000013=")]
    [InlineData("0000000014U", "0000000014U")]
    [InlineData("0000000014u", "0000000014U")]
    [InlineData("00000000000", "00000000000")]
    [InlineData("OOOOO-OOOOO-O", "00000000000")]
    public void TryNormalise_accepts_and_canonicalises(string input, string expected)
    {
        Assert.True(ActivationCodes.TryNormalise(input, out var canonical));
        Assert.Equal(expected, canonical);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("0123456789")] // no check symbol
    [InlineData("0123456789PP")] // 12 symbols
    [InlineData("0123456789Q")] // wrong check symbol
    [InlineData("0123456789*")] // wrong special check symbol
    [InlineData("U123456789P")] // U is not a data symbol
    [InlineData("0123456789_")]
    [InlineData("01234.56789.P")] // only '-' and ' ' are separators
    [InlineData("01234_56789_P")]
    [InlineData("01234\t56789P")]
    [InlineData("0123456789*P")]
    [InlineData("*123456789P")] // check symbols only in the last place
    [InlineData("０123456789P")] // full-width digit
    [InlineData("0123456789P------------------------------------------------------------")] // over 64 characters
    public void TryNormalise_rejects(string? input)
    {
        Assert.False(ActivationCodes.TryNormalise(input, out var canonical));
        Assert.Equal("", canonical);
    }

    [Fact]
    public void Every_single_symbol_substitution_is_detected()
    {
        for (var sample = 0; sample < 300; sample++)
        {
            var code = ActivationCodes.Generate();
            for (var position = 0; position < 11; position++)
            {
                var symbols = position < 10 ? Alphabet : ActivationCodes.CheckAlphabet;
                foreach (var replacement in symbols)
                {
                    if (replacement == code[position])
                    {
                        continue;
                    }
                    var altered = string.Concat(code.AsSpan(0, position), [replacement], code.AsSpan(position + 1));
                    Assert.False(ActivationCodes.TryNormalise(altered, out _), $"{code} → {altered}");
                }
            }
        }
    }

    [Fact]
    public void Every_adjacent_transposition_of_data_symbols_is_detected()
    {
        for (var sample = 0; sample < 5000; sample++)
        {
            var code = ActivationCodes.Generate().ToCharArray();
            for (var position = 0; position < 9; position++)
            {
                if (code[position] == code[position + 1])
                {
                    continue;
                }
                var altered = (char[])code.Clone();
                (altered[position], altered[position + 1]) = (altered[position + 1], altered[position]);
                Assert.False(ActivationCodes.TryNormalise(new string(altered), out _), $"{new string(code)} → {new string(altered)}");
            }
        }
    }

    [Theory]
    [InlineData("0123456789P", "01234-56789-P")]
    [InlineData("0000000010*", "00000-00010-*")]
    public void Display_groups_by_five(string canonical, string expected)
    {
        Assert.Equal(expected, ActivationCodes.Display(canonical));
        Assert.True(ActivationCodes.TryNormalise(ActivationCodes.Display(canonical), out var back));
        Assert.Equal(canonical, back);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789")]
    [InlineData("01234-56789-P")]
    public void Display_rejects_a_non_canonical_length(string value) =>
        Assert.Throws<ArgumentException>(() => ActivationCodes.Display(value));

    [Fact]
    public void The_data_symbols_are_the_first_ten_symbols_of_the_random_bytes_in_base32()
    {
        // Generate takes the top 50 of 56 random bits: the same symbols as encoding those 7 bytes.
        var encoded = CrockfordBase32.Encode([0, 1, 2, 3, 4, 5, 6]);
        Assert.Equal("000G40R40M30", encoded);
        var value = 0x00010203040506UL >> 6;
        Assert.Equal(ActivationCodes.CheckAlphabet[(int)(value % 37)], ActivationCodes.CheckSymbol(encoded.AsSpan(0, 10)));
    }
}

public sealed class CrockfordBase32Tests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("00", "00")]
    [InlineData("ff", "ZW")]
    [InlineData("66", "CR")]
    [InlineData("666f", "CSQG")]
    [InlineData("666f6f", "CSQPY")]
    [InlineData("666f6f62", "CSQPYRG")]
    [InlineData("666f6f6261", "CSQPYRK1")]
    [InlineData("666f6f626172", "CSQPYRK1E8")]
    [InlineData("00010203040506", "000G40R40M30")]
    public void Encode_and_decode_known_vectors(string hex, string symbols)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(symbols, CrockfordBase32.Encode(bytes));
        Assert.Equal(bytes, CrockfordBase32.Decode(symbols));
        Assert.Equal(symbols.Length, CrockfordBase32.EncodedLength(bytes.Length));
    }

    [Fact]
    public void Random_bytes_round_trip()
    {
        var random = new Random(1);
        for (var length = 0; length < 70; length++)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            var text = CrockfordBase32.Encode(bytes);
            Assert.Equal(bytes, CrockfordBase32.Decode(text));
            Assert.Equal(bytes, CrockfordBase32.Decode(text.ToLowerInvariant()));
        }
    }

    [Theory]
    [InlineData("csqpy", "666f6f")]
    [InlineData("CSQ-PY", "666f6f")]
    [InlineData("C S Q P Y", "666f6f")]
    [InlineData("OO", "00")]
    [InlineData("oo", "00")]
    [InlineData("ZW", "ff")]
    [InlineData("CSQPYRKIE8", "666f6f626172")]
    [InlineData("CSQPYRKLE8", "666f6f626172")]
    public void Decode_normalises(string text, string hex) =>
        Assert.Equal(Convert.FromHexString(hex), CrockfordBase32.Decode(text));

    [Theory]
    [InlineData("CU")] // U is not a symbol
    [InlineData("C*")] // check symbols are not data
    [InlineData("C!")]
    [InlineData("C")] // 5 bits: not a whole byte
    [InlineData("CSQ")] // 15 bits: no byte string encodes to 3 symbols
    [InlineData("ZZ")] // non-zero padding bits
    [InlineData("C.R")]
    public void Decode_rejects(string text) =>
        Assert.Throws<FormatException>(() => CrockfordBase32.Decode(text));

    [Fact]
    public void Decode_rejects_null() =>
        Assert.Throws<ArgumentNullException>(() => CrockfordBase32.Decode(null!));
}
