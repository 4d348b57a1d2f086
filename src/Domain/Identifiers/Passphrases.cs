using System.Security.Cryptography;
using System.Text;

namespace Coffre.Domain.Identifiers;

/// <summary>
/// Passphrases for sign-in after activation: PBKDF2-HMAC-SHA256, 600 000 iterations (OWASP's figure for this
/// framework-standard hash), 16-byte salt, stored as <c>pbkdf2-sha256$iterations$salt$hash</c> (base64).
/// </summary>
public static class Passphrases
{
    private const int Iterations = 600_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>A well-formed hash of a random passphrase, verified against when there is no real one (equal timing).</summary>
    public static string Dummy { get; } = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));

    public static string? Validate(string? passphrase) => passphrase switch
    {
        null or "" => "is required",
        { Length: < 12 } => "must be at least 12 characters (a few words are easier to remember)",
        { Length: > 200 } => "must be at most 200 characters",
        _ => null,
    };

    public static string Hash(string passphrase)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string passphrase, string stored)
    {
        var parts = stored.Split('$');
        if (parts is not ["pbkdf2-sha256", var iterations, var salt, var hash] || !int.TryParse(iterations, out var n))
        {
            return false;
        }
        var expected = Convert.FromBase64String(hash);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), Convert.FromBase64String(salt), n, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
