using Coffre.Adapters.Postgres;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// The PostgreSQL floor of an initial import: the rows the import just stored, as PostgreSQL's own binary COPY encodes
/// them (dumped to a file before the timer starts), COPYed in one transaction into an unindexed table shaped like
/// <c>registry_person</c> (with its storage parameters: the same fillfactor), then the same three index builds as the
/// import's (at once) and the same ANALYZE. No CSV, no parsing, no validation, no HMAC, no checkpoint per chunk: only
/// what PostgreSQL must do to hold the registry, so the import's rate can be read as a fraction of it and the importer's
/// own CPU is what is left.
/// </summary>
public static class RegistryCopyBaseline
{
    private const string Table = RawCopyBaseline.Schema + ".registry_person";

    public sealed record Result(long Rows, long Bytes, double CopySeconds, double IndexSeconds);

    /// <summary>Dumps the registry to <paramref name="file"/> (binary COPY format) and creates the empty table: not timed.</summary>
    public static async Task<long> PrepareAsync(NpgsqlDataSource dataSource, string file)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var command = new NpgsqlCommand($"""
            DROP SCHEMA IF EXISTS {RawCopyBaseline.Schema} CASCADE;
            CREATE SCHEMA {RawCopyBaseline.Schema};
            {await PostgresRolloutStore.CreateTableLikeRegistrySqlAsync(connection, null, Table)};
            """, connection))
        {
            await command.ExecuteNonQueryAsync();
        }
        await using var output = File.Create(file);
        await using (var dump = await connection.BeginRawBinaryCopyAsync("COPY public.registry_person TO STDOUT (FORMAT BINARY)"))
        {
            dump.ReadTimeout = Timeout.Infinite;
            await dump.CopyToAsync(output);
        }
        return output.Length;
    }

    public static async Task<Result> RunAsync(NpgsqlDataSource dataSource, string file)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long rows;
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using (var input = File.OpenRead(file))
            await using (var copy = await connection.BeginRawBinaryCopyAsync($"COPY {Table} FROM STDIN (FORMAT BINARY)"))
            {
                copy.WriteTimeout = Timeout.Infinite;
                await input.CopyToAsync(copy);
            }
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {Table}", connection);
            rows = (long)(await count.ExecuteScalarAsync())!;
        }
        var copySeconds = clock.Elapsed.TotalSeconds;
        string[] builds =
        [
            $"CREATE UNIQUE INDEX ON {Table} (nir_hash)",
            $"CREATE UNIQUE INDEX ON {Table} (vault_id)",
            $"CREATE INDEX ON {Table} (departement)",
        ];
        await Task.WhenAll(builds.Select(async sql =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync();
        }));
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var analyze = new NpgsqlCommand($"ANALYZE {Table}", connection) { CommandTimeout = 0 })
        {
            await analyze.ExecuteNonQueryAsync();
        }
        return new Result(rows, new FileInfo(file).Length, copySeconds, clock.Elapsed.TotalSeconds - copySeconds);
    }
}
