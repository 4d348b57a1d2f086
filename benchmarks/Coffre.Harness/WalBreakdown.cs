using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// Where a phase's WAL went, read back from the log itself with <c>pg_walinspect</c> (PostgreSQL 15+): per relation,
/// how many block changes its records logged and how many of them carried a full-page image; per record type
/// (resource manager and record), how many records, their bytes and their page-image bytes. The log is read after the
/// phase, so the reading costs the phase nothing; at 5 000 activations a second it takes a few seconds.
/// </summary>
public static class WalBreakdown
{
    /// <summary>Loads the extension (a superuser's session, as the harness's own cluster gives it).</summary>
    public static async Task EnableAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_walinspect", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A WAL position as PostgreSQL writes it (<c>X/Y</c>) from its byte offset.</summary>
    public static string Lsn(long offset) =>
        string.Create(CultureInfo.InvariantCulture, $"{(ulong)offset >> 32:X}/{(ulong)offset & 0xFFFFFFFF:X}");

    // A block reference in pg_walinspect's text: "blkref #0: rel 1663/16384/16402 fork main blk 7" (tablespace/database/
    // file; the fork may be left out), followed by " FPW" or " (FPW); hole: …" when the record carries the block's image. A
    // file is named only in its own database (another database's file number may name an unrelated relation here).
    private const string BlockPattern = @"rel \d+/(\d+)/(\d+)(?: fork (\w+))? blk \d+( \(?FPW)?";

    // The run's records are read from the log once, into a temporary table both lists group.
    private const string Records = "pg_temp.wal_breakdown_records";

    private const string ByRelationSql = $"""
        SELECT CASE WHEN b[1]::oid = (SELECT oid FROM pg_database WHERE datname = current_database())
                    THEN coalesce(pg_filenode_relation(0, b[2]::oid)::regclass::text, 'file ' || b[2])
                    WHEN b[1] = '0' THEN 'shared catalog'
                    ELSE 'another database' END
                   || CASE WHEN coalesce(b[3], 'main') = 'main' THEN '' ELSE ' (' || b[3] || ')' END,
               count(*), count(b[4])
        FROM {Records} r,
             regexp_matches(r.block_ref, '{BlockPattern}', 'g') b
        GROUP BY 1 ORDER BY 3 DESC, 2 DESC LIMIT $1
        """;

    private const string ByRecordSql = $"""
        SELECT resource_manager || '/' || record_type, count(*), sum(record_length)::bigint, sum(fpi_length)::bigint
        FROM {Records}
        GROUP BY 1 ORDER BY sum(record_length) DESC LIMIT $1
        """;

    /// <summary>
    /// The breakdown of the WAL written since <paramref name="fromLsn"/> (a byte offset, as
    /// <see cref="ResourceProbe.Sample.WalLsn"/>), the <paramref name="top"/> largest of each list.
    /// </summary>
    public static async Task<JsonObject> ReadAsync(NpgsqlDataSource dataSource, long fromLsn, int top = 12)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var relations = new JsonArray();
        var records = new JsonArray();
        var result = new JsonObject { ["byRelation"] = relations, ["byRecord"] = records };
        await using (var position = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::bigint", connection))
        {
            if ((long)(await position.ExecuteScalarAsync())! <= fromLsn)
            {
                return result; // nothing written (and flushed) since
            }
        }
        // Up to the end of the flushed log: PostgreSQL 15 refuses an end position that is not behind the flushed one and
        // has a function for "to the end"; 16 and later clamp a later end to it (and dropped that function).
        var source = connection.PostgreSqlVersion.Major >= 16
            ? "pg_get_wal_records_info($1::pg_lsn, 'FFFFFFFF/FFFFFFFF')"
            : "pg_get_wal_records_info_till_end_of_wal($1::pg_lsn)";
        await using (var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {Records}", connection))
        {
            await drop.ExecuteNonQueryAsync();
        }
        await using (var copy = new NpgsqlCommand($"CREATE TEMP TABLE {Records} AS SELECT resource_manager, record_type, record_length, fpi_length, block_ref FROM {source}", connection) { CommandTimeout = 600 })
        {
            copy.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Lsn(fromLsn) });
            await copy.ExecuteNonQueryAsync();
        }
        await ReadRowsAsync(connection, ByRelationSql, top, relations, r => new JsonObject
        {
            ["relation"] = r.GetString(0),
            ["blockChanges"] = r.GetInt64(1),
            ["fullPageImages"] = r.GetInt64(2),
        });
        await ReadRowsAsync(connection, ByRecordSql, top, records, r => new JsonObject
        {
            ["record"] = r.GetString(0),
            ["count"] = r.GetInt64(1),
            ["bytes"] = r.GetInt64(2),
            ["fullPageImageBytes"] = r.GetInt64(3),
        });
        await using (var drop = new NpgsqlCommand($"DROP TABLE {Records}", connection))
        {
            await drop.ExecuteNonQueryAsync();
        }
        return result;
    }

    private static async Task ReadRowsAsync(NpgsqlConnection connection, string sql, int top, JsonArray into, Func<NpgsqlDataReader, JsonObject> row)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = top });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            into.Add(row(reader));
        }
    }
}
