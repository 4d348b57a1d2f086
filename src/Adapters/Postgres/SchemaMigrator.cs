using System.Text.RegularExpressions;
using Npgsql;

namespace Coffre.Adapters.Postgres;

/// <summary>
/// Applies Coffre's own PostgreSQL schema (deploy/sql/NNNN_name.sql, embedded in this assembly) in version
/// order. Idempotent and safe to run concurrently: every run takes one session advisory lock first, applies
/// each missing migration in its own transaction and records it in <c>coffre_schema_version</c>.
/// </summary>
public sealed partial class SchemaMigrator(NpgsqlDataSource dataSource)
{
    /// <summary>Advisory lock id ("coffre" in ASCII), shared by every process that migrates.</summary>
    private const long LockId = 0x636f66667265;

    public static IReadOnlyList<Migration> Migrations { get; } = LoadMigrations();

    /// <summary>The schema version this build expects.</summary>
    public static int ExpectedVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    /// <summary>Applies what is missing and returns the migrations applied by this call.</summary>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockId})", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS coffre_schema_version (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken).ConfigureAwait(false);
            var current = await ReadVersionAsync(connection, cancellationToken).ConfigureAwait(false);
            if (current > ExpectedVersion)
            {
                throw new SchemaVersionException(current, ExpectedVersion);
            }
            var applied = new List<Migration>();
            foreach (var migration in Migrations.Where(m => m.Version > current))
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                // No command timeout: a migration may rewrite or index a national table (0024 rewrites the registry), far
                // longer than the connection's ordinary timeout; it runs under the advisory lock and stops on cancellation.
                await using (var command = new NpgsqlCommand(migration.Sql, connection, tx) { CommandTimeout = 0 })
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await using (var record = new NpgsqlCommand("INSERT INTO coffre_schema_version(version, name) VALUES ($1, $2)", connection, tx))
                {
                    record.Parameters.AddWithValue(migration.Version);
                    record.Parameters.AddWithValue(migration.Name);
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                applied.Add(migration);
            }
            return applied;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockId})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the applied schema version (0 when Coffre's schema was never applied).</summary>
    public async Task<int> CurrentVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadVersionAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws <see cref="SchemaVersionException"/> unless the database is exactly at <see cref="ExpectedVersion"/>.</summary>
    public async Task EnsureCurrentAsync(CancellationToken cancellationToken = default)
    {
        var current = await CurrentVersionAsync(cancellationToken).ConfigureAwait(false);
        if (current != ExpectedVersion)
        {
            throw new SchemaVersionException(current, ExpectedVersion);
        }
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass('coffre_schema_version') IS NOT NULL", connection);
        var exists = (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (!exists)
        {
            return 0;
        }
        command.CommandText = "SELECT coalesce(max(version), 0) FROM coffre_schema_version";
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static List<Migration> LoadMigrations()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(resource);
            if (!match.Success)
            {
                continue;
            }
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Version == list[i - 1].Version)
            {
                throw new InvalidOperationException($"two migrations carry version {list[i].Version}");
            }
        }
        return list;
    }

    [GeneratedRegex(@"^sql/(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();
}

public sealed record Migration(int Version, string Name, string Sql);

/// <summary>The database schema is not the version this build needs.</summary>
public sealed class SchemaVersionException(int current, int expected) : Exception(current < expected
    ? $"PostgreSQL schema is at version {current}, this build needs {expected}: run 'coffre migrate'"
    : $"PostgreSQL schema is at version {current}, newer than this build ({expected}): upgrade Coffre")
{
    public int Current { get; } = current;
    public int Expected { get; } = expected;
}
