namespace Coffre.Domain.Rollout;

/// <summary>
/// Keyed hash of activation codes: HMAC-SHA256(key[keyId], canonical code), 32 bytes. Several keys are live at
/// once so the current key can rotate without invalidating codes hashed under an older key id. Thread-safe and
/// allocation-light (a reused HMAC instance per key and thread).
/// </summary>
public sealed class CodeHasher
{
    public CodeHasher(IReadOnlyDictionary<short, byte[]> keys, short currentKeyId) => throw new NotImplementedException();

    public short CurrentKeyId => throw new NotImplementedException();

    /// <summary>Hashes <paramref name="canonicalCode"/> under the current key into <paramref name="destination"/> (32 bytes).</summary>
    public void Hash(ReadOnlySpan<char> canonicalCode, Span<byte> destination) => throw new NotImplementedException();

    /// <summary>Hash under a given key id (verification of older codes).</summary>
    public void Hash(short keyId, ReadOnlySpan<char> canonicalCode, Span<byte> destination) => throw new NotImplementedException();

    /// <summary>Constant-time comparison of a candidate code with a stored hash.</summary>
    public bool Verify(string canonicalCode, short keyId, ReadOnlySpan<byte> storedHash) => throw new NotImplementedException();

    public bool HasKey(short keyId) => throw new NotImplementedException();
}
