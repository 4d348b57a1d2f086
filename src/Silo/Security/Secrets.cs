using System.Security.Cryptography;
using Coffre.Silo.Hosting;

namespace Coffre.Silo.Security;

/// <summary>
/// Secret keys (token signing, NIR pepper, audit head MAC). A cluster must be given each one (base64, ≥ 32 bytes);
/// the embedded default creates them once under its data folder so that a restart keeps them.
/// </summary>
public static class Secrets
{
    public static byte[] Read(IConfiguration configuration, CoffreOptions options, string key, string fileName)
    {
        if (configuration[key] is { Length: > 0 } value)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(value);
            }
            catch (FormatException)
            {
                throw new StartupException($"setting {key} ({Settings.EnvName(key)}) is not base64");
            }
            return bytes.Length >= 32 ? bytes : throw new StartupException($"setting {key} ({Settings.EnvName(key)}) must hold at least 32 bytes");
        }
        if (options.Role != CoffreRole.Embedded)
        {
            throw new StartupException($"setting {key} ({Settings.EnvName(key)}) is missing");
        }
        return DevelopmentKey(options.DataPath, fileName);
    }

    /// <summary>A key kept in the embedded default's data folder, created at first use (safe against two processes racing).</summary>
    public static byte[] DevelopmentKey(string dataPath, string fileName)
    {
        var path = Path.Combine(Path.GetFullPath(dataPath), fileName);
        if (File.Exists(path))
        {
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(32);
        var temp = path + "." + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, Convert.ToBase64String(key));
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException)
        {
            File.Delete(temp);
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        return key;
    }
}
