using Coffre.Application.Audit;
using Coffre.Application.Contact;
using Coffre.Application.Directory;
using Coffre.Application.Events;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Coffre.Adapters.Postgres;

/// <summary>Registers PostgreSQL behind the audit log, the outbox, the rollout store and the directory index, and Coffre's schema migrator.</summary>
public static class PostgresAdapter
{
    /// <summary>Npgsql's own read buffer size, which <see cref="WithCoffreDefaults"/> raises to <see cref="ReadBufferSize"/>.</summary>
    public const int NpgsqlReadBufferSize = 8 * 1024;

    /// <summary>The read buffer Coffre gives each connection unless its connection string sets one.</summary>
    public const int ReadBufferSize = 256 * 1024;

    /// <summary>
    /// <paramref name="connectionString"/> with Coffre's defaults where it leaves Npgsql's: a read buffer of
    /// <see cref="ReadBufferSize"/> instead of 8 KiB, so a bulk read (issuance's eligible read of the whole registry)
    /// takes the socket's bytes in fewer, larger reads. At 10 M people this cut the issuing process's CPU by about
    /// 0.3 µs a code (benchmarks/results/issue10-lanes). It costs each open physical connection that buffer.
    /// </summary>
    public static string WithCoffreDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.ReadBufferSize == NpgsqlReadBufferSize)
        {
            builder.ReadBufferSize = ReadBufferSize;
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// <paramref name="dataSource"/> is the process's one pool; <paramref name="auditHeadKey"/> MACs each vault's audit
    /// head. The rollout store reads <see cref="PostgresRolloutStoreOptions"/> and the audit log
    /// <see cref="PostgresAuditLogOptions"/> (bind and validate them at composition).
    /// </summary>
    public static IServiceCollection AddCoffrePostgres(this IServiceCollection services, NpgsqlDataSource dataSource, byte[] auditHeadKey)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(auditHeadKey);
        services.AddSingleton(dataSource);
        services.AddOptions<PostgresRolloutStoreOptions>();
        services.AddSingleton(_ => new SchemaMigrator(dataSource));
        services.AddOptions<PostgresAuditLogOptions>();
        services.AddSingleton(sp => new PostgresAuditLog(dataSource, auditHeadKey, sp.GetRequiredService<IOptions<PostgresAuditLogOptions>>().Value,
            sp.GetRequiredService<ILogger<PostgresAuditLog>>()));
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<PostgresAuditLog>());
        services.AddSingleton<IOutbox>(_ => new PostgresOutbox(dataSource));
        // The rollout store appends an activation's audit event in the settlement's own transaction, on the log's chains.
        services.AddSingleton<IRolloutStore>(sp => new PostgresRolloutStore(dataSource, sp.GetRequiredService<IOptions<PostgresRolloutStoreOptions>>().Value,
            sp.GetService<TimeProvider>(), sp.GetRequiredService<PostgresAuditLog>()));
        services.AddSingleton<IDirectoryIndex>(_ => new PostgresDirectoryIndex(dataSource));
        services.AddSingleton<IVaultEventLog>(_ => new PostgresVaultEventLog(dataSource));
        services.AddSingleton<IContactDirectory>(_ => new PostgresContactDirectory(dataSource));
        return services;
    }
}
