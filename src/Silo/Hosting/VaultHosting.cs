using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Grains.Vaults;
using Coffre.Silo.Security;
using Coffre.Storage.Audit;
using Coffre.Storage.Outbox;
using Npgsql;

namespace Coffre.Silo.Hosting;

/// <summary>
/// What vaults need: the habilitation matrix and the one access evaluator, the NIR hasher, and (on silos) the
/// audit log and the outbox — PostgreSQL in a cluster, in memory when embedded — with the outbox dispatcher.
/// </summary>
public static class VaultHosting
{
    public const string NirKeySetting = "Coffre:Identity:NirKey";
    public const string AuditHeadKeySetting = "Coffre:Audit:HeadKey";
    public const string NotificationFolderSetting = "Coffre:Notifications:FilePath";

    public static IServiceCollection AddCoffreVaults(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        services.AddSingleton(HabilitationMatrix.Default);
        services.AddSingleton<AccessEvaluator>();
        services.AddSingleton(new NirHasher(Secrets.Read(configuration, options, NirKeySetting, "dev-nir-key")));
        services.AddOptions<VaultOptions>().Bind(configuration.GetSection(VaultOptions.Section));
        if (options.Role == CoffreRole.Gateway)
        {
            return services;
        }

        var headKey = Secrets.Read(configuration, options, AuditHeadKeySetting, "dev-audit-head-key");
        if (options.Role == CoffreRole.Embedded)
        {
            services.AddSingleton<IAuditLog>(new Coffre.Grains.Operations.CountingAuditLog(new InMemoryAuditLog(headKey)));
            services.AddSingleton<IOutbox>(sp => new InMemoryOutbox(sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.AddSingleton<PostgresAuditLog>(sp => new PostgresAuditLog(sp.GetRequiredService<NpgsqlDataSource>(), headKey,
                logger: sp.GetRequiredService<ILogger<PostgresAuditLog>>()));
            services.AddSingleton<IAuditLog>(sp => new Coffre.Grains.Operations.CountingAuditLog(sp.GetRequiredService<PostgresAuditLog>()));
            services.AddSingleton<IOutbox>(sp => new PostgresOutbox(sp.GetRequiredService<NpgsqlDataSource>()));
        }
        var folder = Path.GetFullPath(configuration[NotificationFolderSetting] is { Length: > 0 } f ? f : Path.Combine(options.DataPath, "notifications"));
        foreach (var channel in Enum.GetValues<OutboxChannel>())
        {
            // Created (with its folder) when the dispatcher first needs it: an operator command never does.
            services.AddSingleton<IDeliveryChannel>(_ => new FileDeliveryChannel(folder, channel));
        }
        services.AddOptions<OutboxDispatcherOptions>().Bind(configuration.GetSection("Coffre:Outbox"));
        services.AddHostedService<OutboxDispatcher>();
        return services;
    }
}
