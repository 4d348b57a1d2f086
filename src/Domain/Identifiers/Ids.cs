using System.Security.Cryptography;

namespace Coffre.Domain.Identifiers;

/// <summary>Opaque identifiers: lower-case Crockford base32 from a CSPRNG.</summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>20 characters, 100 bits.</summary>
    public static string NewToken()
    {
        Span<byte> bytes = stackalloc byte[20];
        RandomNumberGenerator.Fill(bytes);
        return string.Create(20, bytes.ToArray(), static (chars, b) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[b[i] & 31];
            }
        });
    }

    /// <summary>A deterministic name-based UUID (version 5 layout, SHA-256) of <paramref name="name"/>: the same name, the same id.</summary>
    public static Guid NameBasedGuid(string name)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    public static string NewVaultId() => "v-" + NewToken();

    public static string NewConversationId() => "conv-" + NewToken();

    public static bool IsConversationId(string? value) =>
        value is { Length: 25 } && value.StartsWith("conv-", StringComparison.Ordinal) && value[5..].All(c => Alphabet.Contains(c));

    public static bool IsVaultId(string? value) =>
        value is { Length: 22 } && value.StartsWith("v-", StringComparison.Ordinal) && value[2..].All(c => Alphabet.Contains(c));
}
