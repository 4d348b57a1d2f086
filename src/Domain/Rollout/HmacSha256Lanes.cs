using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace Coffre.Domain.Rollout;

/// <summary>
/// HMAC-SHA256 (RFC 2104, FIPS 180-4) of many short messages of one length under one key, eight at a time: each
/// SHA-256 step runs on a 256-bit vector holding the same word of eight messages. The key's two padded blocks are
/// compressed once, when the instance is built (RFC 2104 §4: the intermediate results of the inner and outer key
/// blocks may be precomputed), so each message costs one inner and one outer compression and no call into the
/// platform's cryptography. Issuance hashes every code of a chunk this way (<see cref="CodeHasher.HashMany"/>): through
/// .NET's OpenSSL interop a code's HMAC costs about 0.8–1 µs, nearly all of it per call.
/// </summary>
/// <remarks>
/// Messages of at most <see cref="MaxMessageLength"/> bytes (one block after the key's). Every lane runs the same
/// instructions whatever the data (no branch or table lookup depends on the key or a message). Tests check it against
/// <see cref="HMACSHA256"/> on RFC 4231's vectors and on random keys and messages.
/// </remarks>
public sealed class HmacSha256Lanes
{
    /// <summary>Messages hashed together.</summary>
    public const int Lanes = 8;

    /// <summary>Longest message: its bytes, the 0x80 terminator and the 64-bit length fit in one 64-byte block.</summary>
    public const int MaxMessageLength = 55;

    private const int BlockSize = 64;

    private static readonly uint[] RoundConstants =
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    private static readonly uint[] InitialState =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

    private readonly uint[] _inner = new uint[8];
    private readonly uint[] _outer = new uint[8];

    /// <param name="key">The HMAC key (any length; one longer than a block is hashed first, as RFC 2104 says).</param>
    public HmacSha256Lanes(ReadOnlySpan<byte> key)
    {
        Span<byte> block = stackalloc byte[BlockSize];
        block.Clear();
        if (key.Length > BlockSize)
        {
            SHA256.HashData(key, block);
        }
        else
        {
            key.CopyTo(block);
        }
        Span<byte> padded = stackalloc byte[BlockSize];
        KeyState(block, padded, 0x36, _inner);
        KeyState(block, padded, 0x5c, _outer);
        CryptographicOperations.ZeroMemory(block);
        CryptographicOperations.ZeroMemory(padded);
    }

    /// <summary>True when the vector steps run in hardware (else they run in software, correct but slower than the platform's HMAC).</summary>
    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    /// <summary>
    /// The HMAC of each of the messages laid end to end in <paramref name="messages"/>, <paramref name="messageLength"/>
    /// bytes each, into <paramref name="destination"/>, 32 bytes each in the same order.
    /// </summary>
    /// <exception cref="ArgumentException">A length out of 1..<see cref="MaxMessageLength"/>, messages that are not a whole number of that length, or a destination too short.</exception>
    public void Hash(ReadOnlySpan<byte> messages, int messageLength, Span<byte> destination)
    {
        if (messageLength is < 1 or > MaxMessageLength)
        {
            throw new ArgumentOutOfRangeException(nameof(messageLength), messageLength, $"a message is 1 to {MaxMessageLength} bytes");
        }
        if (messages.Length % messageLength != 0)
        {
            throw new ArgumentException($"the messages are not a whole number of {messageLength}-byte messages", nameof(messages));
        }
        var count = messages.Length / messageLength;
        if (destination.Length < count * 32)
        {
            throw new ArgumentException($"the destination must hold {count * 32} bytes", nameof(destination));
        }
        Span<Vector256<uint>> schedule = stackalloc Vector256<uint>[64];
        Span<Vector256<uint>> state = stackalloc Vector256<uint>[8];
        Span<uint> words = stackalloc uint[16 * Lanes];
        Span<byte> block = stackalloc byte[BlockSize];
        Span<uint> lane = stackalloc uint[Lanes];
        var bitLength = (ulong)(BlockSize + messageLength) * 8;
        for (var first = 0; first < count; first += Lanes)
        {
            var inGroup = Math.Min(Lanes, count - first);
            words.Clear();
            for (var j = 0; j < inGroup; j++)
            {
                block.Clear();
                messages.Slice((first + j) * messageLength, messageLength).CopyTo(block);
                block[messageLength] = 0x80;
                BinaryPrimitives.WriteUInt64BigEndian(block[(BlockSize - 8)..], bitLength);
                for (var t = 0; t < 16; t++)
                {
                    words[t * Lanes + j] = BinaryPrimitives.ReadUInt32BigEndian(block[(t * 4)..]);
                }
            }
            for (var t = 0; t < 16; t++)
            {
                schedule[t] = Vector256.Create<uint>(words.Slice(t * Lanes, Lanes));
            }
            Broadcast(_inner, state);
            Compress(state, schedule);

            // The outer block: the inner digest, the terminator and the length of key block + digest.
            for (var t = 0; t < 8; t++)
            {
                schedule[t] = state[t];
            }
            schedule[8] = Vector256.Create(0x80000000u);
            for (var t = 9; t < 15; t++)
            {
                schedule[t] = Vector256<uint>.Zero;
            }
            schedule[15] = Vector256.Create((uint)(BlockSize + 32) * 8);
            Broadcast(_outer, state);
            Compress(state, schedule);

            for (var t = 0; t < 8; t++)
            {
                state[t].CopyTo(lane);
                for (var j = 0; j < inGroup; j++)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(destination.Slice((first + j) * 32 + t * 4, 4), lane[j]);
                }
            }
        }
        CryptographicOperations.ZeroMemory(block);
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words));
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(schedule));
    }

    /// <summary>The chaining value after the key block XOR <paramref name="pad"/> (the same in every lane; lane 0 kept).</summary>
    private static void KeyState(ReadOnlySpan<byte> key, Span<byte> padded, byte pad, uint[] into)
    {
        for (var i = 0; i < BlockSize; i++)
        {
            padded[i] = (byte)(key[i] ^ pad);
        }
        Span<Vector256<uint>> schedule = stackalloc Vector256<uint>[64];
        Span<Vector256<uint>> state = stackalloc Vector256<uint>[8];
        for (var t = 0; t < 16; t++)
        {
            schedule[t] = Vector256.Create(BinaryPrimitives.ReadUInt32BigEndian(padded[(t * 4)..]));
        }
        Broadcast(InitialState, state);
        Compress(state, schedule);
        for (var t = 0; t < 8; t++)
        {
            into[t] = state[t].GetElement(0);
        }
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(schedule));
    }

    private static void Broadcast(ReadOnlySpan<uint> words, Span<Vector256<uint>> state)
    {
        for (var t = 0; t < 8; t++)
        {
            state[t] = Vector256.Create(words[t]);
        }
    }

    /// <summary>One SHA-256 compression in every lane: <paramref name="schedule"/>'s first 16 words are the block.</summary>
    private static void Compress(Span<Vector256<uint>> state, Span<Vector256<uint>> schedule)
    {
        for (var t = 16; t < 64; t++)
        {
            var w15 = schedule[t - 15];
            var w2 = schedule[t - 2];
            var s0 = Rotate(w15, 7) ^ Rotate(w15, 18) ^ Vector256.ShiftRightLogical(w15, 3);
            var s1 = Rotate(w2, 17) ^ Rotate(w2, 19) ^ Vector256.ShiftRightLogical(w2, 10);
            schedule[t] = schedule[t - 16] + s0 + schedule[t - 7] + s1;
        }
        var a = state[0];
        var b = state[1];
        var c = state[2];
        var d = state[3];
        var e = state[4];
        var f = state[5];
        var g = state[6];
        var h = state[7];
        var k = RoundConstants;
        for (var t = 0; t < 64; t++)
        {
            var sum1 = Rotate(e, 6) ^ Rotate(e, 11) ^ Rotate(e, 25);
            var choice = (e & f) ^ Vector256.AndNot(g, e);
            var t1 = h + sum1 + choice + Vector256.Create(k[t]) + schedule[t];
            var sum0 = Rotate(a, 2) ^ Rotate(a, 13) ^ Rotate(a, 22);
            var majority = (a & b) ^ (a & c) ^ (b & c);
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + sum0 + majority;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotate(Vector256<uint> x, [ConstantExpected(Min = 1, Max = 31)] byte bits) =>
        Avx512F.VL.IsSupported
            ? Avx512F.VL.RotateRight(x, bits)
            : Vector256.ShiftRightLogical(x, bits) | Vector256.ShiftLeft(x, 32 - bits);
}
