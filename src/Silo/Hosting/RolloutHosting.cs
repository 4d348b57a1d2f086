using Coffre.Adapters.Local;
using Coffre.Adapters.Postgres;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Grains.Identity;
using Coffre.Grains.Rollout;
using Coffre.Grains;
using Coffre.GraphQL.Activation;
using Coffre.GraphQL.Authorization;
using Coffre.Silo.Security;
using Npgsql;

namespace Coffre.Silo.Hosting;

/// <summary>The national rollout: code keys, activation, and the registry behind imported vaults (read by grains only).</summary>
public static class RolloutHosting
{
    public const string CodeKeysSection = "Coffre:Activation:CodeKeys";
    public const string CurrentCodeKeySetting = "Coffre:Activation:CurrentCodeKeyId";
    public const string DeliveryKeysSection = "Coffre:Activation:DeliveryKeys";
    public const string CurrentDeliveryKeySetting = "Coffre:Activation:CurrentDeliveryKeyId";

    public static IServiceCollection AddCoffreRollout(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        services.AddOptions<ActivationOptions>().Bind(configuration.GetSection(ActivationOptions.Section));
        if (options.Role != CoffreRole.Gateway)
        {
            // Codes are issued and verified on silos only (the activation grain); gateways never see the keys.
            services.AddSingleton(CodeHasherFrom(configuration, options));
            services.AddSingleton(DeliveryCipherFrom(configuration, options));
        }
        services.AddSingleton<IPatientTokenIssuer, PatientTokenIssuer>();
        if (options.Role == CoffreRole.Embedded)
        {
            services.AddSingleton<IRolloutStore>(sp => new InMemoryRolloutStore(sp.GetRequiredService<IOutbox>()));
        }
        else
        {
            services.AddSingleton<IRolloutStore>(sp => new PostgresRolloutStore(sp.GetRequiredService<NpgsqlDataSource>(), PostgresStoreOptions(configuration)));
        }
        services.AddSingleton<RolloutRegistry>();
        services.AddSingleton<IVaultRegistry>(sp => sp.GetRequiredService<RolloutRegistry>());
        services.AddSingleton<IActivationStore>(sp => sp.GetRequiredService<RolloutRegistry>());
        return services;
    }

    /// <summary>Code keys by id (<c>Coffre:Activation:CodeKeys:1</c>, <c>…:2</c>, base64), the current one named by <c>CurrentCodeKeyId</c>.</summary>
    public static CodeHasher CodeHasherFrom(IConfiguration configuration, CoffreOptions options) =>
        new(KeysFrom(configuration, options, CodeKeysSection, "dev-code-key"), CurrentKey(configuration, options, CodeKeysSection, CurrentCodeKeySetting, "dev-code-key"));

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

    /// <summary>Keys that encrypt codes inside activation emails (<c>Coffre:Activation:DeliveryKeys:1</c>, …, base64, 32 bytes).</summary>
    public static DeliveryCodeCipher DeliveryCipherFrom(IConfiguration configuration, CoffreOptions options) =>
        new(KeysFrom(configuration, options, DeliveryKeysSection, "dev-delivery-key"), CurrentKey(configuration, options, DeliveryKeysSection, CurrentDeliveryKeySetting, "dev-delivery-key"));

    /// <summary>Settings of the PostgreSQL rollout store (section <c>Coffre:Rollout:Postgres</c>), e.g. <c>BulkStatementTimeout</c>.</summary>
    public static PostgresRolloutStoreOptions PostgresStoreOptions(IConfiguration configuration) =>
        configuration.GetSection("Coffre:Rollout:Postgres").Get<PostgresRolloutStoreOptions>() ?? new PostgresRolloutStoreOptions();
}
