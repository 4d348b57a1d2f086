using System.Security.Cryptography;
using System.Text;

namespace Coffre.Domain.Rollout;

/// <summary>
/// The vault id of an imported person, derived from their NIR's keyed hash: "v-" + 20 lower-case Crockford
/// symbols of SHA-256("coffre-vault" ‖ nirHash). Deterministic, so import writes no grain state and every silo,
/// gateway and operator command agrees on it; opaque, since the NIR hash is itself keyed.
/// </summary>
public static class RegistryVaultIds
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("coffre-vault");

    public static string For(ReadOnlySpan<byte> nirHash)
    {
        Span<byte> input = stackalloc byte[Domain.Length + nirHash.Length];
        Domain.CopyTo(input);
        nirHash.CopyTo(input[Domain.Length..]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input, digest);
        Span<char> id = stackalloc char[22];
        id[0] = 'v';
        id[1] = '-';
        // 20 symbols × 5 bits = 100 bits, read big-endian from the digest.
        for (var i = 0; i < 20; i++)
        {
            var bit = i * 5;
            var value = ((digest[bit / 8] << 8) | digest[bit / 8 + 1]) >> (11 - bit % 8) & 31;
            id[2 + i] = Alphabet[value];
        }
        return new string(id);
    }
}
