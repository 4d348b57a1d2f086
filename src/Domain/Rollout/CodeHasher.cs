using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Coffre.Domain.Rollout;

/// <summary>
/// Keyed hash of activation codes: HMAC-SHA256(key[keyId], canonical code), 32 bytes. Several keys are live at
/// once so the current key can rotate without invalidating codes hashed under an older key id. Thread-safe and
/// allocation-light (a reused HMAC instance per key and thread).
/// </summary>
/// <remarks>
/// The code is hashed as its ASCII bytes, exactly as given (callers pass the canonical form from
/// <see cref="ActivationCodes"/>). A reused <see cref="IncrementalHash"/> costs about half the static
/// <c>HMACSHA256.HashData</c> (≈0.8–1.05 µs against 1.7–2.2 µs measured on the build machine), hence one instance per
/// key and thread, created on first use. Many codes at once (<see cref="HashMany"/>, issuance's chunks) go through
/// <see cref="HmacSha256Lanes"/> instead, eight per step, at about an eighth of that again.
/// </remarks>
public sealed class CodeHasher
{
    /// <summary>Size of a hash in bytes.</summary>
    public const int HashSize = 32;

    /// <summary>Shortest key accepted (the HMAC-SHA256 output size).</summary>
    public const int MinKeySize = 32;

    private const int StackLimit = 64;

    private readonly Dictionary<short, int> slots;
    private readonly byte[][] keys;
    private readonly HmacSha256Lanes[] lanes;
    private readonly ThreadLocal<IncrementalHash?[]> hashes;
    private readonly short currentKeyId;

    public CodeHasher(IReadOnlyDictionary<short, byte[]> keys, short currentKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one activation-code key is required.", nameof(keys));
        }
        slots = new Dictionary<short, int>(keys.Count);
        this.keys = new byte[keys.Count][];
        foreach (var (id, key) in keys)
        {
            if (key is null)
            {
                throw new ArgumentException($"Activation-code key {id} is null.", nameof(keys));
            }
            if (key.Length < MinKeySize)
            {
                throw new ArgumentException($"Activation-code key {id} has {key.Length} bytes; at least {MinKeySize} are required.", nameof(keys));
            }
            slots.Add(id, slots.Count);
            this.keys[slots[id]] = (byte[])key.Clone();
        }
        lanes = [.. this.keys.Select(key => new HmacSha256Lanes(key))];
        if (!slots.ContainsKey(currentKeyId))
        {
            throw new ArgumentException($"The current activation-code key id {currentKeyId} is not among the keys ({string.Join(", ", slots.Keys.Order())}).", nameof(currentKeyId));
        }
        this.currentKeyId = currentKeyId;
        var slotCount = this.keys.Length;
        hashes = new ThreadLocal<IncrementalHash?[]>(() => new IncrementalHash?[slotCount]);
    }

    public short CurrentKeyId => currentKeyId;

    /// <summary>The key ids this hasher knows, in ascending order.</summary>
    public IReadOnlyList<short> KeyIds => [.. slots.Keys.Order()];

    /// <summary>Hashes <paramref name="canonicalCode"/> under the current key into <paramref name="destination"/> (32 bytes).</summary>
    public void Hash(ReadOnlySpan<char> canonicalCode, Span<byte> destination) => Hash(currentKeyId, canonicalCode, destination);

    /// <summary>Hash under a given key id (verification of older codes).</summary>
    /// <exception cref="ArgumentException">Unknown key id, a destination under 32 bytes or a non-ASCII code.</exception>
    public void Hash(short keyId, ReadOnlySpan<char> canonicalCode, Span<byte> destination)
    {
        if (!slots.TryGetValue(keyId, out var slot))
        {
            throw new ArgumentException($"Unknown activation-code key id {keyId}.", nameof(keyId));
        }
        if (destination.Length < HashSize)
        {
            throw new ArgumentException($"The destination must hold {HashSize} bytes.", nameof(destination));
        }
        if (!HashCore(slot, canonicalCode, destination))
        {
            throw new ArgumentException("An activation code is ASCII only.", nameof(canonicalCode));
        }
    }

    /// <summary>
    /// Hashes the codes laid end to end in <paramref name="asciiCodes"/> (ASCII, <paramref name="codeLength"/> bytes
    /// each) under <paramref name="keyId"/> into <paramref name="destination"/>, 32 bytes each in the same order: the
    /// same hashes as <see cref="Hash(short, ReadOnlySpan{char}, Span{byte})"/>, eight codes per step.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown key id, a code length out of 1..<see cref="HmacSha256Lanes.MaxMessageLength"/>, codes that are not a whole number of that length or not ASCII, or a destination too short.</exception>
    public void HashMany(short keyId, ReadOnlySpan<byte> asciiCodes, int codeLength, Span<byte> destination)
    {
        if (!slots.TryGetValue(keyId, out var slot))
        {
            throw new ArgumentException($"Unknown activation-code key id {keyId}.", nameof(keyId));
        }
        if (!Ascii.IsValid(asciiCodes))
        {
            throw new ArgumentException("An activation code is ASCII only.", nameof(asciiCodes));
        }
        if (HmacSha256Lanes.IsHardwareAccelerated)
        {
            lanes[slot].Hash(asciiCodes, codeLength, destination);
            return;
        }
        // Without 256-bit vectors in hardware the platform's HMAC is the faster one.
        if (codeLength is < 1 or > HmacSha256Lanes.MaxMessageLength || asciiCodes.Length % codeLength != 0 || destination.Length < asciiCodes.Length / codeLength * HashSize)
        {
            throw new ArgumentException("The codes must be a whole number of codes of 1 to 55 bytes and the destination must hold their hashes.", nameof(codeLength));
        }
        Span<char> code = stackalloc char[HmacSha256Lanes.MaxMessageLength];
        for (var i = 0; i < asciiCodes.Length / codeLength; i++)
        {
            Ascii.ToUtf16(asciiCodes.Slice(i * codeLength, codeLength), code, out _);
            HashCore(slot, code[..codeLength], destination.Slice(i * HashSize, HashSize));
        }
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(code));
    }

    /// <summary>Constant-time comparison of a candidate code with a stored hash.</summary>
    /// <remarks>False (never an exception) for a null or non-ASCII code, an unknown key id or a stored hash that is not 32 bytes.</remarks>
    public bool Verify(string canonicalCode, short keyId, ReadOnlySpan<byte> storedHash)
    {
        if (canonicalCode is null || storedHash.Length != HashSize || !slots.TryGetValue(keyId, out var slot))
        {
            return false;
        }
        Span<byte> computed = stackalloc byte[HashSize];
        return HashCore(slot, canonicalCode, computed) && CryptographicOperations.FixedTimeEquals(computed, storedHash);
    }

    public bool HasKey(short keyId) => slots.ContainsKey(keyId);

    /// <summary>False when the code is not ASCII.</summary>
    private bool HashCore(int slot, ReadOnlySpan<char> code, Span<byte> destination)
    {
        byte[]? rented = null;
        var bytes = code.Length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(code.Length));
        try
        {
            if (Ascii.FromUtf16(code, bytes, out var written) != OperationStatus.Done)
            {
                return false;
            }
            var perThread = hashes.Value!;
            var hmac = perThread[slot] ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, keys[slot]);
            hmac.AppendData(bytes[..written]);
            hmac.GetHashAndReset(destination);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }
}
