using System.Security.Cryptography;
using System.Text;
using Coffre.Domain.Rollout;
using Xunit;

namespace Coffre.UnitTests.Rollout;

/// <summary>Eight HMACs per step give exactly the platform's HMAC-SHA256, whatever the key, length and count.</summary>
public sealed class HmacSha256LanesTests
{
    private static string One(byte[] key, byte[] message)
    {
        var hash = new byte[32];
        new HmacSha256Lanes(key).Hash(message, message.Length, hash);
        return Convert.ToHexStringLower(hash);
    }

    [Fact]
    public void The_RFC_4231_vectors_that_fit_one_block_hold()
    {
        Assert.Equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", One([.. Enumerable.Repeat((byte)0x0b, 20)], "Hi There"u8.ToArray()));
        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", One("Jefe"u8.ToArray(), "what do ya want for nothing?"u8.ToArray()));
        Assert.Equal("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", One([.. Enumerable.Repeat((byte)0xaa, 20)], [.. Enumerable.Repeat((byte)0xdd, 50)]));
        // A key longer than a block is hashed first.
        Assert.Equal("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            One([.. Enumerable.Repeat((byte)0xaa, 131)], "Test Using Larger Than Block-Size Key - Hash Key First"u8.ToArray()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    public void Every_length_and_count_gives_the_platforms_hmac(int keyLength)
    {
        var random = new Random(keyLength);
        var key = new byte[keyLength];
        random.NextBytes(key);
        var lanes = new HmacSha256Lanes(key);
        for (var length = 1; length <= HmacSha256Lanes.MaxMessageLength; length++)
        {
            // Counts below, at and across a step of eight, so partial steps are covered.
            foreach (var count in new[] { 1, 7, 8, 9, 17 })
            {
                var messages = new byte[count * length];
                random.NextBytes(messages);
                var hashes = new byte[count * 32];
                lanes.Hash(messages, length, hashes);
                for (var i = 0; i < count; i++)
                {
                    Assert.Equal(HMACSHA256.HashData(key, messages.AsSpan(i * length, length)), hashes.AsSpan(i * 32, 32).ToArray());
                }
            }
        }
    }

    [Fact]
    public void Bytes_past_the_messages_hashes_are_left_alone_and_nothing_hashes_nothing()
    {
        var lanes = new HmacSha256Lanes(new byte[32]);
        var hashes = Enumerable.Repeat((byte)0xee, 3 * 32 + 5).ToArray();
        lanes.Hash(Encoding.ASCII.GetBytes("ABCDEFGHJKQ0123456789P0000000014U"), 11, hashes);
        Assert.All(hashes[(3 * 32)..], b => Assert.Equal(0xee, b));
        lanes.Hash([], 11, []);
    }

    [Fact]
    public void A_length_out_of_range_a_partial_message_or_a_short_destination_is_refused()
    {
        var lanes = new HmacSha256Lanes(new byte[32]);
        Assert.Throws<ArgumentOutOfRangeException>(() => lanes.Hash(new byte[56], 56, new byte[32]));
        Assert.Throws<ArgumentOutOfRangeException>(() => lanes.Hash(new byte[11], 0, new byte[32]));
        Assert.Throws<ArgumentException>(() => lanes.Hash(new byte[12], 11, new byte[64]));
        Assert.Throws<ArgumentException>(() => lanes.Hash(new byte[22], 11, new byte[63]));
    }
}
