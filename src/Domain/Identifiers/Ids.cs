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

    public static string NewVaultId() => "v-" + NewToken();

    public static string NewConversationId() => "conv-" + NewToken();

    public static bool IsConversationId(string? value) =>
        value is { Length: 25 } && value.StartsWith("conv-", StringComparison.Ordinal) && value[5..].All(c => Alphabet.Contains(c));

    public static bool IsVaultId(string? value) =>
        value is { Length: 22 } && value.StartsWith("v-", StringComparison.Ordinal) && value[2..].All(c => Alphabet.Contains(c));
}
