using Coffre.Application.Rollout;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Silo.Hosting;

namespace Coffre.Silo.Security;

/// <summary>
/// The keys a role holds, read from settings (base64, ≥ 32 bytes; the embedded default keeps development keys in its
/// data folder): the NIR pepper, the audit head MAC key, the activation-code keys and the delivery keys, the last two by
/// id so that keys rotate (<c>…:CodeKeys:1</c>, <c>…:2</c>, the current one named by <c>CurrentCodeKeyId</c>).
/// </summary>
public static class KeyMaterial
{
    public const string NirKeySetting = "Coffre:Identity:NirKey";
    public const string AuditHeadKeySetting = "Coffre:Audit:HeadKey";
    public const string CodeKeysSection = "Coffre:Activation:CodeKeys";
    public const string CurrentCodeKeySetting = "Coffre:Activation:CurrentCodeKeyId";
    public const string DeliveryKeysSection = "Coffre:Activation:DeliveryKeys";
    public const string CurrentDeliveryKeySetting = "Coffre:Activation:CurrentDeliveryKeyId";

    public static NirHasher NirHasher(IConfiguration configuration, CoffreOptions options) =>
        new(Secrets.Read(configuration, options, NirKeySetting, "dev-nir-key"));

    public static byte[] AuditHeadKey(IConfiguration configuration, CoffreOptions options) =>
        Secrets.Read(configuration, options, AuditHeadKeySetting, "dev-audit-head-key");

    public static CodeHasher CodeHasher(IConfiguration configuration, CoffreOptions options) =>
        new(KeysFrom(configuration, options, CodeKeysSection, "dev-code-key"), CurrentKey(configuration, options, CodeKeysSection, CurrentCodeKeySetting, "dev-code-key"));

    /// <summary>Keys that encrypt codes inside activation emails (32 bytes each).</summary>
    public static DeliveryCodeCipher DeliveryCipher(IConfiguration configuration, CoffreOptions options) =>
        new(KeysFrom(configuration, options, DeliveryKeysSection, "dev-delivery-key"), CurrentKey(configuration, options, DeliveryKeysSection, CurrentDeliveryKeySetting, "dev-delivery-key"));

    private static Dictionary<short, byte[]> KeysFrom(IConfiguration configuration, CoffreOptions options, string section, string devFile)
    {
        var keys = new Dictionary<short, byte[]>();
        foreach (var child in configuration.GetSection(section).GetChildren())
        {
            if (!short.TryParse(child.Key, out var id) || id <= 0)
            {
                throw new StartupException($"setting {section}:{child.Key} ({Settings.EnvName(section)}__{child.Key}) must be named by a positive key id");
            }
            keys[id] = Secrets.Read(configuration, options, $"{section}:{child.Key}", $"{devFile}-{id}");
        }
        if (keys.Count == 0)
        {
            keys[1] = Secrets.Read(configuration, options, $"{section}:1", $"{devFile}-1");
        }
        return keys;
    }

    private static short CurrentKey(IConfiguration configuration, CoffreOptions options, string section, string setting, string devFile)
    {
        var keys = KeysFrom(configuration, options, section, devFile);
        var current = short.TryParse(configuration[setting], out var c) ? c : keys.Keys.Max();
        return keys.ContainsKey(current)
            ? current
            : throw new StartupException($"setting {setting} ({Settings.EnvName(setting)}) names key {current}, which {section} does not hold");
    }
}
