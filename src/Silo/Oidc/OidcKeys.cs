using System.Security.Cryptography;
using System.Text;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Microsoft.IdentityModel.Tokens;

namespace Coffre.Silo.Oidc;

/// <summary>The provider's keys: configured in a cluster, created once under the data folder in the embedded default.</summary>
public static class OidcKeys
{
    public static RsaSecurityKey Signing(OidcSettings settings, CoffreOptions options)
    {
        string pem;
        if (!string.IsNullOrEmpty(settings.SigningKey))
        {
            pem = settings.SigningKey.Contains("-----BEGIN", StringComparison.Ordinal) ? settings.SigningKey : DecodePem(settings.SigningKey);
        }
        else if (options.Role == CoffreRole.Embedded)
        {
            pem = DevelopmentRsa(options.DataPath, "dev-oidc-signing-key.pem");
        }
        else
        {
            throw new StartupException($"setting {OidcSettings.Section}:SigningKey ({Settings.EnvName(OidcSettings.Section + ":SigningKey")}) is missing");
        }
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (ArgumentException)
        {
            throw new StartupException($"setting {OidcSettings.Section}:SigningKey ({Settings.EnvName(OidcSettings.Section + ":SigningKey")}) is not an RSA private key in PEM");
        }
        if (rsa.KeySize < 2048)
        {
            throw new StartupException($"setting {OidcSettings.Section}:SigningKey ({Settings.EnvName(OidcSettings.Section + ":SigningKey")}) must be an RSA key of at least 2048 bits");
        }
        var parameters = rsa.ExportParameters(false);
        var kid = Convert.ToHexStringLower(SHA256.HashData(parameters.Modulus!))[..16];
        return new RsaSecurityKey(rsa) { KeyId = kid };
    }

    public static SymmetricSecurityKey Encryption(IConfiguration configuration, CoffreOptions options) =>
        new(Secrets.Read(configuration, options, OidcSettings.Section + ":EncryptionKey", "dev-oidc-encryption-key").AsSpan(0, 32).ToArray());

    private static string DecodePem(string value)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(value));
        }
        catch (FormatException)
        {
            throw new StartupException($"setting {OidcSettings.Section}:SigningKey ({Settings.EnvName(OidcSettings.Section + ":SigningKey")}) is neither PEM nor base64 of a PEM");
        }
    }

    /// <summary>An RSA key kept in the data folder, created at first use (two processes racing keep the first one).</summary>
    private static string DevelopmentRsa(string dataPath, string fileName)
    {
        var path = Path.Combine(Path.GetFullPath(dataPath), fileName);
        if (File.Exists(path))
        {
            return File.ReadAllText(path);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportPkcs8PrivateKeyPem();
        var temp = path + "." + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, pem);
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException)
        {
            File.Delete(temp);
            return File.ReadAllText(path);
        }
        return pem;
    }
}
