using System.Security.Cryptography;

namespace Coffre.Domain.Content;

/// <summary>Lower-case hex SHA-256, the one spelling Coffre stores and compares.</summary>
public static class Sha256Hex
{
    public static string Of(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string Of(IncrementalHash hash) => Convert.ToHexStringLower(hash.GetHashAndReset());

    /// <summary>Normalises a caller-supplied hash (64 hex characters, any case) or returns null when malformed.</summary>
    public static string? Normalise(string? value) =>
        value is { Length: 64 } && value.All(Uri.IsHexDigit) ? value.ToLowerInvariant() : null;

    public static bool Matches(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b));
}
