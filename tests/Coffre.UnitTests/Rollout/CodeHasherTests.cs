using System.Security.Cryptography;
using System.Text;
using Coffre.Domain.Rollout;
using Xunit;

namespace Coffre.UnitTests.Rollout;

public sealed class CodeHasherTests
{
    private static readonly byte[] Key1 = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly byte[] Key2 = [.. Enumerable.Range(100, 48).Select(i => (byte)i)];

    private static CodeHasher Hasher(short current = 1) =>
        current == 1 ? new CodeHasher(new Dictionary<short, byte[]> { [1] = Key1 }, 1) : new CodeHasher(new Dictionary<short, byte[]> { [1] = Key1, [2] = Key2 }, 2);

    private static byte[] Hash(CodeHasher hasher, string code, short? keyId = null)
    {
        var hash = new byte[32];
        if (keyId is { } id)
        {
            hasher.Hash(id, code, hash);
        }
        else
        {
            hasher.Hash(code, hash);
        }
        return hash;
    }

    [Fact]
    public void Known_answer_matches_an_independent_hmac_sha256()
    {
        // Python: hmac.new(bytes(range(32)), b"ABCDEFGHJKQ", hashlib.sha256).hexdigest()
        Assert.Equal("b89e02bd61e38ad9bae1b042784ba0a3f8edfefbb9906463b9f71f03281f3a4a", Convert.ToHexStringLower(Hash(Hasher(), "ABCDEFGHJKQ")));
    }

    [Theory]
    [InlineData("ABCDEFGHJKQ")]
    [InlineData("0123456789P")]
    [InlineData("0000000014U")]
    [InlineData("")]
    public void Hash_is_hmac_sha256_of_the_ascii_code(string code)
    {
        var hasher = Hasher(2);
        Assert.Equal(HMACSHA256.HashData(Key2, Encoding.ASCII.GetBytes(code)), Hash(hasher, code));
        Assert.Equal(HMACSHA256.HashData(Key1, Encoding.ASCII.GetBytes(code)), Hash(hasher, code, 1));
        // The reused instance resets between calls.
        Assert.Equal(Hash(hasher, code), Hash(hasher, code));
    }

    [Fact]
    public void A_long_code_is_hashed_too()
    {
        var code = new string('A', 1000);
        Assert.Equal(HMACSHA256.HashData(Key1, Encoding.ASCII.GetBytes(code)), Hash(Hasher(), code));
    }

    [Fact]
    public void A_code_hashed_under_key_1_verifies_after_the_current_key_becomes_2()
    {
        var code = ActivationCodes.Generate();
        var stored = Hash(Hasher(1), code);

        var rotated = Hasher(2);
        Assert.Equal(2, rotated.CurrentKeyId);
        Assert.True(rotated.Verify(code, 1, stored));
        Assert.False(rotated.Verify(code, 2, stored));
        Assert.NotEqual(stored, Hash(rotated, code));
        Assert.True(rotated.Verify(code, 2, Hash(rotated, code)));
    }

    [Fact]
    public void Verify_fails_for_an_unknown_key_id_a_wrong_code_or_a_malformed_hash()
    {
        var hasher = Hasher(2);
        var code = ActivationCodes.Generate();
        var stored = Hash(hasher, code);
        Assert.True(hasher.Verify(code, 2, stored));
        Assert.False(hasher.Verify(code, 3, stored));
        Assert.False(hasher.Verify(code, -1, stored));
        Assert.False(hasher.Verify(code + "X", 2, stored));
        Assert.False(hasher.Verify(code.ToLowerInvariant(), 2, stored));
        Assert.False(hasher.Verify(code, 2, stored.AsSpan(0, 31)));
        Assert.False(hasher.Verify(code, 2, [.. stored, 0]));
        Assert.False(hasher.Verify(code, 2, []));
        Assert.False(hasher.Verify(null!, 2, stored));
        Assert.False(hasher.Verify("ÀBCDEFGHJKQ", 2, stored));
        var flipped = (byte[])stored.Clone();
        flipped[31] ^= 1;
        Assert.False(hasher.Verify(code, 2, flipped));
    }

    [Fact]
    public void HasKey_and_KeyIds()
    {
        var hasher = Hasher(2);
        Assert.True(hasher.HasKey(1));
        Assert.True(hasher.HasKey(2));
        Assert.False(hasher.HasKey(3));
        Assert.Equal(new short[] { 1, 2 }, hasher.KeyIds);
    }

    [Fact]
    public void Hash_rejects_an_unknown_key_a_short_destination_and_non_ascii()
    {
        var hasher = Hasher();
        Assert.Contains("Unknown activation-code key id 7", Assert.Throws<ArgumentException>(() => hasher.Hash(7, "ABC", new byte[32])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => hasher.Hash("ABC", new byte[31]));
        Assert.Throws<ArgumentException>(() => hasher.Hash("ÉCOLE", new byte[32]));
    }

    [Theory]
    [InlineData(0, "At least one activation-code key is required")]
    [InlineData(1, "key 1 has 31 bytes; at least 32 are required")]
    [InlineData(2, "key 2 has 0 bytes")]
    [InlineData(3, "key 2 is null")]
    [InlineData(4, "current activation-code key id 3 is not among the keys (1, 2)")]
    public void Constructor_validates_the_keys(int scenario, string message)
    {
        var (keys, current) = scenario switch
        {
            0 => (new Dictionary<short, byte[]>(), (short)1),
            1 => (new Dictionary<short, byte[]> { [1] = new byte[31] }, (short)1),
            2 => (new Dictionary<short, byte[]> { [1] = Key1, [2] = [] }, (short)1),
            3 => (new Dictionary<short, byte[]> { [1] = Key1, [2] = null! }, (short)1),
            _ => (new Dictionary<short, byte[]> { [1] = Key1, [2] = Key2 }, (short)3),
        };
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => new CodeHasher(keys, current)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_rejects_null_keys() =>
        Assert.Throws<ArgumentNullException>(() => new CodeHasher(null!, 1));

    [Fact]
    public void Keys_are_copied_at_construction()
    {
        var key = (byte[])Key1.Clone();
        var hasher = new CodeHasher(new Dictionary<short, byte[]> { [1] = key }, 1);
        key[0] ^= 0xFF;
        Assert.Equal(HMACSHA256.HashData(Key1, "ABC"u8), Hash(hasher, "ABC"));
    }

    [Fact]
    public void HashMany_gives_each_code_the_hash_Hash_gives_it_under_any_live_key()
    {
        var hasher = Hasher(current: 2);
        var codes = Enumerable.Range(0, 19).Select(_ => ActivationCodes.Generate()).ToList();
        var ascii = Encoding.ASCII.GetBytes(string.Concat(codes));
        foreach (short keyId in new short[] { 1, 2 })
        {
            var hashes = new byte[codes.Count * 32];
            hasher.HashMany(keyId, ascii, ActivationCodes.CanonicalLength, hashes);
            for (var i = 0; i < codes.Count; i++)
            {
                Assert.Equal(Hash(hasher, codes[i], keyId), hashes.AsSpan(i * 32, 32).ToArray());
                Assert.True(hasher.Verify(codes[i], keyId, hashes.AsSpan(i * 32, 32)));
            }
        }
    }

    [Fact]
    public void HashMany_rejects_an_unknown_key_and_non_ascii()
    {
        var hasher = Hasher();
        Assert.Throws<ArgumentException>(() => hasher.HashMany(9, "ABCDEFGHJKQ"u8, 11, new byte[32]));
        Assert.Throws<ArgumentException>(() => hasher.HashMany(1, Encoding.Latin1.GetBytes("ABCDEFGHJKÉ"), 11, new byte[32]));
    }

    [Fact]
    public void Hashing_is_thread_safe()
    {
        var hasher = Hasher(2);
        var codes = Enumerable.Range(0, 256).Select(_ => ActivationCodes.Generate()).ToArray();
        var expected2 = codes.Select(c => HMACSHA256.HashData(Key2, Encoding.ASCII.GetBytes(c))).ToArray();
        var expected1 = codes.Select(c => HMACSHA256.HashData(Key1, Encoding.ASCII.GetBytes(c))).ToArray();
        var failures = 0;
        Parallel.For(0, 40_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var n = i % codes.Length;
            Span<byte> hash = stackalloc byte[32];
            hasher.Hash(codes[n], hash);
            if (!hash.SequenceEqual(expected2[n]) || !hasher.Verify(codes[n], 1, expected1[n]) || hasher.Verify(codes[n], 2, expected1[n]))
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Hashing_allocates_nothing_once_warm()
    {
        var hasher = Hasher(2);
        var code = ActivationCodes.Generate();
        var hash = new byte[32];
        hasher.Hash(code, hash);
        hasher.Verify(code, 2, hash);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            hasher.Hash(code, hash);
            hasher.Verify(code, 2, hash);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
