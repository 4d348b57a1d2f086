using System.Security.Cryptography;
using Coffre.Silo.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Coffre.Silo.Security;

/// <summary>
/// Configuration section <c>Coffre:Auth</c>. In production set <see cref="Authority"/> (an OIDC issuer). For
/// development and tests, a symmetric <see cref="SigningKey"/> (base64, at least 32 bytes); the embedded
/// default creates one under its data folder when none is set, and <c>coffre token</c> mints tokens with it.
/// </summary>
public sealed class AuthSettings
{
    public const string Section = "Coffre:Auth";

    public string? Authority { get; set; }
    public string Issuer { get; set; } = "coffre-dev";
    public string Audience { get; set; } = "coffre";
    public string? SigningKey { get; set; }

    /// <summary>Longest lifetime (expiry − not-before) of an accepted token: a token minted for longer is refused whole.</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Clock difference tolerated between the token's issuer and this server.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    public static AuthSettings Read(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<AuthSettings>() ?? new AuthSettings();

    /// <summary>The local signing key, or null when an OIDC authority signs tokens.</summary>
    public SymmetricSecurityKey? ResolveSigningKey(CoffreOptions options)
    {
        if (!string.IsNullOrEmpty(Authority) && string.IsNullOrEmpty(SigningKey))
        {
            return null;
        }
        byte[] bytes;
        if (!string.IsNullOrEmpty(SigningKey))
        {
            try
            {
                bytes = Convert.FromBase64String(SigningKey);
            }
            catch (FormatException)
            {
                throw new StartupException("setting Coffre:Auth:SigningKey (Coffre__Auth__SigningKey) is not base64");
            }
        }
        else if (options.Role == CoffreRole.Embedded)
        {
            bytes = Secrets.DevelopmentKey(options.DataPath, "dev-signing-key");
        }
        else
        {
            throw new StartupException("setting Coffre:Auth:Authority or Coffre:Auth:SigningKey (Coffre__Auth__Authority / Coffre__Auth__SigningKey) is missing");
        }
        if (bytes.Length < 32)
        {
            throw new StartupException("setting Coffre:Auth:SigningKey (Coffre__Auth__SigningKey) must hold at least 32 bytes");
        }
        return new SymmetricSecurityKey(bytes) { KeyId = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] };
    }
}
