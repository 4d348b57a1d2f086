using System.Buffers;
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Coffre.Application.Audit;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Npgsql;
using NpgsqlTypes;

namespace Coffre.Adapters.Postgres;

public sealed class PostgresRolloutStoreOptions
{
    public const string Section = "Coffre:Rollout:Postgres";

    /// <summary>
    /// Try a chunk as a plain COPY into <c>registry_person</c> first (the fast path of a first load) and fall back to
    /// staging + upsert when a row already exists; after one fallback an import uses the upsert for every chunk.
    /// </summary>
    public bool DirectCopyFirst { get; set; } = true;

    /// <summary><c>temp_buffers</c> for the staging table of an import's connection (set before it is first used).</summary>
    [Required, RegularExpression("^[0-9]+(kB|MB|GB)$")]
    public string ImportTempBuffers { get; set; } = "256MB";

    /// <summary><c>work_mem</c> of the eligible-people read (its anti-join with the valid codes).</summary>
    [Required, RegularExpression("^[0-9]+(kB|MB|GB)$")]
    public string EligibleWorkMem { get; set; } = "64MB";

    /// <summary><c>maintenance_work_mem</c> each index build of a completing initial load gets at least (a larger server setting is kept).</summary>
    [Required, RegularExpression("^[0-9]+(kB|MB|GB)$")]
    public string IndexBuildMemory { get; set; } = "256MB";

    /// <summary>
    /// Command timeout of the statements whose time grows with the population — index builds, the load swap, ANALYZE,
    /// staging merges, COPYs, the eligible-people read — instead of the connection's ordinary one (Npgsql's 30 s):
    /// at 68 M people an index build alone takes minutes. Zero waits without limit.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan BulkStatementTimeout { get; set; } = TimeSpan.FromHours(2);
}

/// <summary>
/// The rollout store on PostgreSQL (migration 0005). Bulk paths use raw binary COPY: an import chunk goes straight into
/// <c>registry_person</c> or, when people already exist, into a temporary staging table followed by one
/// <c>INSERT … ON CONFLICT (nir_hash) DO UPDATE</c>, with the checkpoint moved in the same transaction; an issuance
/// chunk COPYs its codes and inserts its print batch row, its email batch row and that batch's one outbox row in one
/// transaction (migration 0021: the emails themselves are lines of a file in the content store, not outbox rows). Activation and
/// opposition are single conditional statements (or one short transaction), so concurrent callers get one winner.
/// </summary>
public sealed class PostgresRolloutStore(NpgsqlDataSource dataSource, PostgresRolloutStoreOptions? options = null, TimeProvider? time = null,
    PostgresAuditLog? audit = null) : IRolloutStore
{
    private const string UniqueViolation = "23505";
    private const string DeadlockDetected = "40P01";
    private const string ValidCodeIndex = "activation_code_valid_idx";
    private const int CopyFlushBytes = 256 * 1024;

    private const string PersonColumns =
        "nir_hash, vault_id, nir_masked, birth_date, family_name, given_names, sex, email, address_line1, address_line2, " +
        "postal_code, city, departement, vitale_hash, representative_nir_hashes, status, import_id, updated_at";

    private const string CampaignColumns =
        "campaign_id, name, departements, created_at, created_by, opposition_window_ends_at, code_validity, status";

    private const string ImportColumns =
        "import_id, file_name, file_sha256, mode, started_at, completed_at, lines_done, rows_accepted, rows_rejected";

    /// <summary>The index-less table an initial load COPYs into; it becomes registry_person when the load completes.</summary>
    private const string LoadTable = "registry_load";

    private readonly PostgresRolloutStoreOptions _options = options ?? new PostgresRolloutStoreOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, bool> _upsertOnly = new(StringComparer.Ordinal);

    // ---------------------------------------------------------------- import

    public async Task<ImportRun?> GetImportAsync(string importId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadImportAsync(connection, null, importId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ImportRun> BeginImportAsync(string importId, string fileName, string fileSha256, DateTimeOffset startedAt,
        ImportMode? mode = ImportMode.Upsert, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(importId);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var sha = Sha256Hex.Normalise(fileSha256) ?? throw new ArgumentException("file SHA-256 must be 64 hex characters", nameof(fileSha256));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // One import starts at a time (the checks below must see each other's result).
        await ExecuteAsync(connection, tx, "LOCK TABLE import_run IN SHARE ROW EXCLUSIVE MODE", cancellationToken).ConfigureAwait(false);
        if (await ReadImportAsync(connection, tx, importId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return string.Equals(existing.FileSha256, sha, StringComparison.Ordinal)
                ? existing
                : throw new ImportFileMismatchException(importId, existing.FileSha256, sha);
        }
        await using (var loading = new NpgsqlCommand("SELECT import_id FROM import_run WHERE mode = 1 AND completed_at IS NULL LIMIT 1", connection, tx))
        {
            if (await loading.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string other)
            {
                throw new ImportModeException($"the initial load '{other}' is not complete: resume it before starting another import");
            }
        }
        if (mode != ImportMode.Upsert)
        {
            bool empty;
            await using (var any = new NpgsqlCommand("SELECT NOT EXISTS (SELECT 1 FROM registry_person)", connection, tx))
            {
                empty = (bool)(await any.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }
            if (!empty && mode == ImportMode.InitialLoad)
            {
                throw new ImportModeException("an initial load needs an empty registry: import with mode Upsert");
            }
            mode = empty ? ImportMode.InitialLoad : ImportMode.Upsert;
        }
        if (mode == ImportMode.InitialLoad)
        {
            await ExecuteAsync(connection, tx, $"""
                DROP TABLE IF EXISTS {LoadTable};
                {await CreateTableLikeRegistrySqlAsync(connection, tx, LoadTable, cancellationToken).ConfigureAwait(false)}
                """, cancellationToken).ConfigureAwait(false);
        }
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO import_run (import_id, file_name, file_sha256, mode, started_at) VALUES ($1, $2, $3, $4, $5)
            """, connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = importId });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = fileName });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sha });
            insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)mode.Value });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = startedAt });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var run = (await ReadImportAsync(connection, tx, importId, cancellationToken).ConfigureAwait(false))!;
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return run;
    }

    public async Task CommitImportChunkAsync(ImportChunk chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var direct = _options.DirectCopyFirst && !_upsertOnly.ContainsKey(chunk.ImportId);
        if (!direct && chunk.Rows > 0)
        {
            await PrepareStagingSessionAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        ImportMode mode;
        await using (var check = new NpgsqlCommand("""
            SELECT mode FROM import_run WHERE import_id = $1 AND lines_done = $2 AND completed_at IS NULL FOR UPDATE
            """, connection, tx))
        {
            check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chunk.ImportId });
            check.Parameters.Add(new NpgsqlParameter<long> { TypedValue = chunk.ResumesAfterLine });
            mode = await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is short m
                ? (ImportMode)m
                : throw new ImportCheckpointException(
                    $"import '{chunk.ImportId}' is no longer at line {chunk.ResumesAfterLine} (another importer, or it is complete): chunk not stored");
        }
        if (chunk.Rows > 0 && mode == ImportMode.InitialLoad)
        {
            await CopyAsync(connection, $"COPY {LoadTable} ({ImportChunk.Columns}) FROM STDIN (FORMAT BINARY)", chunk.Tuples, cancellationToken).ConfigureAwait(false);
        }
        else if (chunk.Rows > 0)
        {
            if (direct)
            {
                await tx.SaveAsync("direct_copy", cancellationToken).ConfigureAwait(false);
                try
                {
                    await CopyAsync(connection, $"COPY registry_person ({ImportChunk.Columns}) FROM STDIN (FORMAT BINARY)", chunk.Tuples, cancellationToken).ConfigureAwait(false);
                    await tx.ReleaseAsync("direct_copy", cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException e) when (e.SqlState == UniqueViolation)
                {
                    // Someone in the chunk is already registered (a re-import, a duplicate across chunks, an opposition).
                    await tx.RollbackAsync("direct_copy", cancellationToken).ConfigureAwait(false);
                    _upsertOnly[chunk.ImportId] = true;
                    direct = false;
                }
            }
            if (!direct)
            {
                await ExecuteAsync(connection, tx, """
                    CREATE TEMP TABLE IF NOT EXISTS registry_incoming (LIKE registry_person INCLUDING DEFAULTS) ON COMMIT DELETE ROWS
                    """, cancellationToken).ConfigureAwait(false);
                await CopyAsync(connection, $"COPY registry_incoming ({ImportChunk.Columns}) FROM STDIN (FORMAT BINARY)", chunk.Tuples, cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, tx, $"""
                    INSERT INTO registry_person AS p ({ImportChunk.Columns})
                    SELECT {ImportChunk.Columns} FROM registry_incoming
                    ON CONFLICT (nir_hash) DO UPDATE SET
                        nir_masked = excluded.nir_masked, birth_date = excluded.birth_date, family_name = excluded.family_name,
                        given_names = excluded.given_names, sex = excluded.sex, email = excluded.email,
                        address_line1 = excluded.address_line1, address_line2 = excluded.address_line2,
                        postal_code = excluded.postal_code, city = excluded.city, departement = excluded.departement,
                        vitale_hash = excluded.vitale_hash, representative_nir_hashes = excluded.representative_nir_hashes,
                        import_id = excluded.import_id, updated_at = excluded.updated_at
                    WHERE p.status NOT IN (1, 3)
                      AND (p.nir_masked, p.birth_date, p.family_name, p.given_names, p.sex, p.email, p.address_line1, p.address_line2,
                           p.postal_code, p.city, p.departement, p.vitale_hash, p.representative_nir_hashes)
                          IS DISTINCT FROM
                          (excluded.nir_masked, excluded.birth_date, excluded.family_name, excluded.given_names, excluded.sex,
                           excluded.email, excluded.address_line1, excluded.address_line2, excluded.postal_code, excluded.city,
                           excluded.departement, excluded.vitale_hash, excluded.representative_nir_hashes)
                    """, cancellationToken).ConfigureAwait(false);
            }
        }
        await using (var checkpoint = new NpgsqlCommand("""
            UPDATE import_run
            SET lines_done = $2, rows_accepted = rows_accepted + $3, rows_rejected = rows_rejected + $4
            WHERE import_id = $1
            """, connection, tx))
        {
            checkpoint.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chunk.ImportId });
            checkpoint.Parameters.Add(new NpgsqlParameter<long> { TypedValue = chunk.LastLine });
            checkpoint.Parameters.Add(new NpgsqlParameter<long> { TypedValue = chunk.Rows });
            checkpoint.Parameters.Add(new NpgsqlParameter<long> { TypedValue = chunk.Rejects.Count });
            await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<ImportRun> CompleteImportAsync(string importId, DateTimeOffset completedAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var run = await ReadImportAsync(connection, null, importId, cancellationToken).ConfigureAwait(false)
            ?? throw new RolloutException($"import '{importId}' does not exist");
        if (run.CompletedAt is not null)
        {
            return run;
        }
        if (run.Mode == ImportMode.InitialLoad)
        {
            await PublishInitialLoadAsync(connection, importId, completedAt, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await using var command = new NpgsqlCommand("UPDATE import_run SET completed_at = coalesce(completed_at, $2) WHERE import_id = $1", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = importId });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = completedAt });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // Fresh statistics for the eligibility and lookup plans after a bulk load (sampled: seconds, not minutes).
        await ExecuteAsync(connection, null, "ANALYZE registry_person", cancellationToken).ConfigureAwait(false);
        return (await ReadImportAsync(connection, null, importId, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// The statement that creates <paramref name="table"/> shaped like <c>registry_person</c>, unindexed, autovacuum off,
    /// with <c>registry_person</c>'s storage parameters: LIKE copies none, and the registry's fillfactor (migration 0023)
    /// must hold for the pages a load writes. Used by the initial load's table and by the benchmark's import floor.
    /// </summary>
    public static async Task<string> CreateTableLikeRegistrySqlAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string table,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var options = new NpgsqlCommand(
            "SELECT coalesce(string_agg(o, ', '), '') FROM pg_class c, unnest(c.reloptions) o " +
            "WHERE c.oid = 'registry_person'::regclass AND o NOT LIKE 'autovacuum\\_enabled=%'", connection, tx);
        var storage = (string)(await options.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return $"CREATE TABLE {table} (LIKE registry_person INCLUDING DEFAULTS INCLUDING CONSTRAINTS) " +
            $"WITH (autovacuum_enabled = false{(storage.Length == 0 ? "" : ", " + storage)})";
    }

    /// <summary>
    /// Builds the loaded table's indexes by sorting (a NIR loaded twice keeps its last line: latest updated_at, then
    /// latest physical position, since the load table only ever receives appends), then swaps it in for registry_person
    /// in one short transaction in which rows written to registry_person meanwhile (oppositions) win. Idempotent: a
    /// crash anywhere leaves either the load table (run again) or the completed import.
    /// </summary>
    private async Task PublishInitialLoadAsync(NpgsqlConnection connection, string importId, DateTimeOffset completedAt, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand($"SELECT to_regclass('{LoadTable}') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                throw new RolloutException($"the initial load '{importId}' has lost its load table");
            }
        }
        string[] builds =
        [
            $"CREATE UNIQUE INDEX IF NOT EXISTS registry_load_nir_idx ON {LoadTable} (nir_hash)",
            $"CREATE UNIQUE INDEX IF NOT EXISTS registry_load_vault_idx ON {LoadTable} (vault_id)",
            $"CREATE INDEX IF NOT EXISTS registry_load_departement_idx ON {LoadTable} (departement)",
        ];
        // The three sorts at once (the cores share them); a NIR loaded twice fails both unique builds: keep its last
        // line, then build what is missing.
        var duplicates = (await Task.WhenAll(builds.Select(sql => BuildIndexAsync(sql, cancellationToken))).ConfigureAwait(false)).Any(d => d);
        if (duplicates)
        {
            await ExecuteAsync(connection, null, $"""
                DELETE FROM {LoadTable} WHERE ctid IN (
                    SELECT id FROM (
                        SELECT l.ctid AS id, row_number() OVER (PARTITION BY l.nir_hash ORDER BY l.updated_at DESC, l.ctid DESC) AS rn
                        FROM {LoadTable} l
                        WHERE l.nir_hash IN (SELECT nir_hash FROM {LoadTable} GROUP BY nir_hash HAVING count(*) > 1)
                    ) ranked
                    WHERE rn > 1)
                """, cancellationToken).ConfigureAwait(false);
            if ((await Task.WhenAll(builds.Select(sql => BuildIndexAsync(sql, cancellationToken))).ConfigureAwait(false)).Any(d => d))
            {
                throw new RolloutException($"the initial load '{importId}' still holds duplicate keys after removing repeated NIRs");
            }
        }

        // person_no too: someone the registry already had keeps their number (their codes are keyed by it).
        const string Columns =
            "vault_id, nir_masked, birth_date, family_name, given_names, sex, email, address_line1, address_line2, postal_code, city, " +
            "departement, vitale_hash, representative_nir_hashes, status, import_id, updated_at, person_no";
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, $"""
            LOCK TABLE registry_person IN ACCESS EXCLUSIVE MODE;
            UPDATE {LoadTable} l SET ({Columns}) = (SELECT {Columns} FROM registry_person p WHERE p.nir_hash = l.nir_hash)
            WHERE l.nir_hash IN (SELECT nir_hash FROM registry_person);
            INSERT INTO {LoadTable} SELECT * FROM registry_person p WHERE NOT EXISTS (SELECT 1 FROM {LoadTable} l WHERE l.nir_hash = p.nir_hash);
            DROP TABLE registry_person;
            ALTER TABLE {LoadTable} RENAME TO registry_person;
            ALTER TABLE registry_person ADD CONSTRAINT registry_person_pkey PRIMARY KEY USING INDEX registry_load_nir_idx;
            ALTER TABLE registry_person ADD CONSTRAINT registry_person_vault_id_key UNIQUE USING INDEX registry_load_vault_idx;
            ALTER INDEX registry_load_departement_idx RENAME TO registry_person_departement_idx;
            ALTER TABLE registry_person RESET (autovacuum_enabled)
            """, cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("UPDATE import_run SET completed_at = coalesce(completed_at, $2) WHERE import_id = $1", connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = importId });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = completedAt });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- registry

    public Task<RegistryPerson?> FindPersonAsync(byte[] nirHash, CancellationToken cancellationToken = default) =>
        FindPersonWhereAsync("nir_hash = $1", new NpgsqlParameter<byte[]> { TypedValue = Hash(nirHash) }, cancellationToken);

    /// <summary>
    /// A vault's registry row, with its opposition window: the latest window end of the campaigns whose valid or locked
    /// code the person holds while registered (two probes of the partial indexes on valid and locked codes).
    /// </summary>
    public async Task<RegistryPerson?> FindPersonByVaultIdAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vaultId);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($$"""
            SELECT {{PersonColumns}}, window_closed_at,
                   CASE WHEN status = 0 AND window_closed_at IS NULL THEN (
                       SELECT max(k.opposition_window_ends_at) FROM campaign k WHERE k.campaign_id IN (
                           SELECT c.campaign_id FROM activation_code c WHERE c.person_no = p.person_no AND c.status = 0
                           UNION ALL
                           SELECT c.campaign_id FROM activation_code c WHERE c.person_no = p.person_no AND c.status = 3))
                   END
            FROM registry_person p WHERE vault_id = $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = vaultId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        var person = ReadPerson(reader);
        return person with
        {
            WindowClosedAt = reader.IsDBNull(18) ? null : reader.GetFieldValue<DateTimeOffset>(18),
            OppositionWindowEndsAt = reader.IsDBNull(19) ? null : reader.GetFieldValue<DateTimeOffset>(19),
        };
    }

    /// <summary>About how many code rows one 8 KiB page holds (a row is about 160 bytes): a chunk's blocks per code asked for.</summary>
    private const int CodesPerBlock = 48;

    public async Task<WindowCloseChunk> CloseOppositionWindowChunkAsync(string campaignId, long after, int chunkSize, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(campaignId);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        var first = (uint)Math.Min(after, uint.MaxValue);
        var last = (uint)Math.Min(after + Math.Max(1, chunkSize / CodesPerBlock), uint.MaxValue);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One statement per chunk: the codes of the campaign in a range of the table's blocks (a TID range scan: no index
        // on code order, migration 0025), their people still registered with no window closed marked in the same statement.
        // The table's size, read in the same statement, says whether this was the last range.
        await using var command = Bulk(new NpgsqlCommand("""
            WITH codes AS (
                SELECT nir_hash FROM activation_code
                WHERE ctid >= $2 AND ctid < $3 AND campaign_id = $1
            ), created AS (
                UPDATE registry_person p SET window_closed_at = $4, updated_at = $4
                WHERE p.nir_hash IN (SELECT nir_hash FROM codes) AND p.status = 0 AND p.window_closed_at IS NULL
                  -- not while they hold a valid or locked code of a campaign whose window is still open
                  AND NOT EXISTS (SELECT 1 FROM activation_code o JOIN campaign k ON k.campaign_id = o.campaign_id
                                  WHERE o.person_no = p.person_no AND o.status IN (0, 3) AND k.opposition_window_ends_at > $4)
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM codes), (SELECT count(*) FROM created),
                   pg_relation_size('activation_code') / current_setting('block_size')::int
            """, connection));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
        command.Parameters.Add(new NpgsqlParameter<NpgsqlTid> { TypedValue = new NpgsqlTid(first, 0), NpgsqlDbType = NpgsqlDbType.Tid });
        command.Parameters.Add(new NpgsqlParameter<NpgsqlTid> { TypedValue = new NpgsqlTid(last, 0), NpgsqlDbType = NpgsqlDbType.Tid });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = RolloutRules.Micros(at) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new WindowCloseChunk(last, (int)reader.GetInt64(0), (int)reader.GetInt64(1), Done: last >= reader.GetInt64(2));
    }

    public async Task<IReadOnlyList<string>> ListVaultsBornOnAsync(DateOnly birthDate, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One read (a scan of the registry, once a day, under the bulk timeout); opposed people have no birth date left.
        await using var command = Bulk(new NpgsqlCommand(
            "SELECT vault_id FROM registry_person WHERE birth_date = $1 AND status IN (0, 2) ORDER BY vault_id", connection));
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = birthDate });
        var vaults = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            vaults.Add(reader.GetString(0));
        }
        return vaults;
    }

    public async Task<long> CountPeopleAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Bulk(new NpgsqlCommand("SELECT count(*) FROM registry_person", connection));
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<RegistryPerson?> FindPersonWhereAsync(string where, NpgsqlParameter parameter, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT {PersonColumns} FROM registry_person WHERE {where}", connection);
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadPerson(reader) : null;
    }

    private static RegistryPerson ReadPerson(NpgsqlDataReader r)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        var line1 = S(8);
        return new RegistryPerson(
            r.GetFieldValue<byte[]>(0),
            r.GetString(1),
            S(2),
            r.IsDBNull(3) ? null : r.GetFieldValue<DateOnly>(3),
            S(4),
            S(5),
            r.IsDBNull(6) ? Sex.Unknown : (Sex)r.GetInt16(6),
            S(7),
            line1 is null ? null : new PostalAddress(line1, S(9), S(10) ?? "", S(11) ?? ""),
            S(12),
            r.IsDBNull(13) ? null : r.GetFieldValue<byte[]>(13),
            r.IsDBNull(14) ? [] : r.GetFieldValue<byte[][]>(14),
            (PersonStatus)r.GetInt16(15),
            S(16),
            r.GetFieldValue<DateTimeOffset>(17));
    }

    // ---------------------------------------------------------------- campaigns

    public async Task<Campaign> CreateCampaignAsync(NewCampaign campaign, DateTimeOffset createdAt, CancellationToken cancellationToken = default)
    {
        var wanted = RolloutRules.Campaign(campaign, createdAt);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO campaign ({CampaignColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)
            ON CONFLICT (campaign_id) DO NOTHING
            """, connection))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = wanted.CampaignId });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = wanted.Name });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)wanted.Departements?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = wanted.CreatedAt });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = wanted.CreatedBy });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = wanted.OppositionWindowEndsAt });
            insert.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = wanted.CodeValidity, NpgsqlDbType = NpgsqlDbType.Interval });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var stored = (await ReadCampaignsAsync(connection, wanted.CampaignId, cancellationToken).ConfigureAwait(false))[0];
        RolloutRules.CheckSameDefinition(stored, wanted);
        return stored;
    }

    public async Task<Campaign?> GetCampaignAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var list = await ReadCampaignsAsync(connection, campaignId, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    public async Task<IReadOnlyList<Campaign>> ListCampaignsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadCampaignsAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sets the campaign's status. When its issuance is over (<see cref="CampaignStatus.Issued"/>), the code and batch
    /// tables get fresh planner statistics (ANALYZE reads a fixed-size sample, not the whole table): a national campaign has just COPYed
    /// millions of rows into tables whose last statistics may describe them nearly empty, and every plan the email
    /// router, activation and the counts make until autovacuum catches up would be made on those.
    /// </summary>
    public async Task SetCampaignStatusAsync(string campaignId, CampaignStatus status, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("UPDATE campaign SET status = $2 WHERE campaign_id = $1", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)status });
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                throw new CampaignNotFoundException(campaignId);
            }
        }
        if (status == CampaignStatus.Issued)
        {
            await ExecuteAsync(connection, null, "ANALYZE activation_code, email_batch, print_batch", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<CampaignCounts> GetCampaignCountsAsync(string campaignId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var campaign = await GetCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false) ?? throw new CampaignNotFoundException(campaignId);
        var segment = campaign.Departements is not null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Named("""
            SELECT
                count(*) FILTER (WHERE status = 0 AND expires_at >= @now),
                count(*) FILTER (WHERE status = 0 AND expires_at >= @now AND channel = 0),
                count(*) FILTER (WHERE status = 0 AND expires_at >= @now AND channel = 1),
                count(*) FILTER (WHERE status = 1),
                count(*) FILTER (WHERE status = 2),
                count(*) FILTER (WHERE status = 3),
                count(*) FILTER (WHERE status = 4 OR (status = 0 AND expires_at < @now)),
                count(*) FILTER (WHERE channel = 0)
            FROM activation_code WHERE campaign_id = @campaign
            """, campaign, now));
        batch.BatchCommands.Add(Named($"""
            SELECT count(*) FILTER (WHERE status = 2), count(*) FILTER (WHERE status IN (1, 3))
            FROM registry_person p {(segment ? "WHERE p.departement = ANY(@departements)" : "")}
            """, campaign, now));
        batch.BatchCommands.Add(Named("SELECT count(*), coalesce(sum(letters), 0)::bigint FROM print_batch WHERE campaign_id = @campaign", campaign, now));
        // Emails not yet settled: the lines of its email batches the router has not reached, plus requeued lines waiting
        // in the outbox as ordinary activation-code messages.
        batch.BatchCommands.Add(Named("""
            SELECT coalesce((SELECT sum(emails - sent_through) FROM email_batch WHERE campaign_id = @campaign), 0)::bigint
                 + (SELECT count(*) FROM outbox
                    WHERE kind = 'activation-code' AND delivered_at IS NULL AND payload->>'campaign' = @campaign)
            """, campaign, now));
        batch.BatchCommands.Add(Named(CountsSql(segment), campaign, now));
        batch.BatchCommands.Add(Named("""
            SELECT count(*), count(*) FILTER (WHERE status = 0), count(*) FILTER (WHERE status = 2)
            FROM email_bounce WHERE campaign_id = @campaign
            """, campaign, now));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var codes = Enumerable.Range(0, 8).Select(reader.GetInt64).ToArray();
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (activated, opposed) = (reader.GetInt64(0), reader.GetInt64(1));
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (batches, letters) = (reader.GetInt64(0), reader.GetInt64(1));
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var pending = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (eligible, minorsUnreachable) = (reader.GetInt64(0), reader.GetInt64(1));
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (bounced, awaitingPost, unreachable) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        return new CampaignCounts(eligible, codes[0], codes[1], codes[2], codes[3], codes[4], codes[5], codes[6],
            activated, opposed, batches, letters, codes[7], pending, bounced, awaitingPost, unreachable, minorsUnreachable);
    }

    public async Task<IReadOnlyList<PrintBatch>> ListPrintBatchesAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT campaign_id, batch_no, content_key, letters, sha256, created_at FROM print_batch
            WHERE campaign_id = $1 ORDER BY batch_no
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
        var list = new List<PrintBatch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new PrintBatch(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }
        return list;
    }

    private static async Task<List<Campaign>> ReadCampaignsAsync(NpgsqlConnection connection, string? campaignId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {CampaignColumns} FROM campaign {(campaignId is null ? "" : "WHERE campaign_id = $1")} ORDER BY created_at, campaign_id", connection);
        if (campaignId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
        }
        var list = new List<Campaign>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new Campaign(
                reader.GetString(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<string[]>(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetFieldValue<TimeSpan>(6),
                (CampaignStatus)reader.GetInt16(7)));
        }
        return list;
    }

    // ---------------------------------------------------------------- issuance

    // A person under 18 at @minors_born_after (RolloutRules.MinorsBornAfter) is written to at their legal representatives'
    // contact: the first registry row of representative_nir_hashes (in order) neither opposed nor closed that has an email,
    // and for post the first that has an address. Anyone else (an adult, or a row without a birth date) at their own row.
    private const string Minor = "(p.birth_date > @minors_born_after)";

    /// <summary>
    /// A sub-select of <paramref name="columns"/> from the first registry row of <paramref name="representatives"/> (in
    /// order) neither opposed nor closed that satisfies <paramref name="having"/>: one primary-key probe per representative
    /// until one qualifies.
    /// </summary>
    private static string FirstRepresentative(string columns, string having, string representatives = "p.representative_nir_hashes", string gate = "") => $"""
        SELECT {columns} FROM unnest({representatives}) WITH ORDINALITY AS u(h, o) JOIN registry_person r ON r.nir_hash = u.h
        WHERE r.status IN (0, 2) AND {having} {gate} ORDER BY u.o LIMIT 1
        """;

    /// <summary>
    /// A <c>LEFT JOIN LATERAL</c> named <paramref name="alias"/> on <see cref="FirstRepresentative"/>. The LIMIT keeps
    /// PostgreSQL from pulling the subquery up, so it runs once per outer row that reaches the join, and
    /// <paramref name="gate"/> (outer columns only) stops it before any probe.
    /// </summary>
    private static string RepresentativeWith(string alias, string columns, string having, string gate = "") =>
        $"LEFT JOIN LATERAL ({FirstRepresentative(columns, having, gate: gate)}) {alias} ON true";

    private const string AddressColumns = "r.address_line1, r.address_line2, r.postal_code, r.city";

    /// <summary>What the eligible read may leave out because its snapshot shows it cannot matter.</summary>
    /// <param name="Bounces">The campaign has email bounces: join them (a person whose bounce awaits its round is left to
    /// it, and one whose email bounced is written to by post).</param>
    /// <param name="Codes">Some valid or locked code exists: leave out the people holding one.</param>
    private sealed record EligibleJoins(bool Bounces, bool Codes)
    {
        /// <summary>Every join: for a statement that runs outside the snapshot that looked.</summary>
        public static readonly EligibleJoins All = new(true, true);
    }

    /// <summary>One row: whether the campaign has email bounces, and whether any valid or locked code exists (the partial indexes' first entries).</summary>
    private const string EligibleJoinsSql = """
        SELECT EXISTS (SELECT 1 FROM email_bounce WHERE campaign_id = @campaign),
               EXISTS (SELECT 1 FROM activation_code WHERE status = 0) OR EXISTS (SELECT 1 FROM activation_code WHERE status = 3)
        """;

    private const string ByEmail = "(s.email IS NOT NULL AND NOT s.bounced)";

    /// <summary>
    /// The eligible people of both classes in one scan of the registry (<see cref="ReadEligible"/>'s columns, named), or
    /// one of them by <c>@nir</c>: registered, in the segment, holding no valid or locked code, and reachable, except that
    /// minors none of whose representatives can be written to are returned too (no email and a null
    /// <c>representative_address</c>) so that the reader counts them.
    /// </summary>
    /// <remarks>
    /// A minor's representatives are probed in sub-selects under a <c>CASE</c> on the birth date, which PostgreSQL runs only
    /// for the rows that take that branch: the email for every minor, the address only for a minor with no usable email.
    /// <c>OFFSET 0</c> keeps the inner select whole, so its email sub-select runs once per row, not once per reference.
    /// The read was two statements until 2026-12-07 (adults, then minors with two laterals each, each a scan of the
    /// registry): at 1 M people the two cost PostgreSQL 1.33 + 1.44 s; this one 2.29 s with every join, 1.39 s with the
    /// bounces' join and the two code anti-joins left out when the snapshot has none (<see cref="EligibleJoins"/>).
    /// A person whose activation email of this campaign bounced is never emailed again in it: while a bounce awaits its
    /// round (status 0) the round posts their letter, so issuance leaves them to it; after that (posted, unreachable,
    /// superseded) a new code goes by post, or nowhere without a postal address. Joined once (a hash join on the
    /// campaign's few bounces), not probed per row.
    /// </remarks>
    private static string EligibleSql(bool segment, EligibleJoins joins, bool byNir = false) => $"""
        SELECT s.nir_hash, s.vault_id, {ByEmail} AS by_email,
               CASE WHEN NOT {ByEmail} THEN s.given_names END AS given_names,
               CASE WHEN NOT {ByEmail} AND NOT s.minor THEN s.family_name END AS family_name,
               CASE WHEN NOT {ByEmail} AND NOT s.minor THEN s.address_line1 END AS address_line1,
               CASE WHEN NOT {ByEmail} AND NOT s.minor THEN s.address_line2 END AS address_line2,
               CASE WHEN NOT {ByEmail} AND NOT s.minor THEN s.postal_code END AS postal_code,
               CASE WHEN NOT {ByEmail} AND NOT s.minor THEN s.city END AS city,
               s.minor,
               CASE WHEN NOT {ByEmail} AND s.minor THEN (
                   {FirstRepresentative("ARRAY[r.address_line1, r.address_line2, r.postal_code, r.city]", "r.address_line1 IS NOT NULL", "s.representatives")}
               ) END AS representative_address,
               s.ctid, s.person_no
        FROM (
            SELECT p.nir_hash, p.person_no, p.vault_id, p.given_names, p.family_name, p.address_line1, p.address_line2, p.postal_code, p.city, p.ctid,
                   p.representative_nir_hashes AS representatives, {Minor} IS TRUE AS minor,
                   CASE WHEN {Minor} THEN ({FirstRepresentative("r.email", "r.email IS NOT NULL")}) ELSE p.email END AS email,
                   {(joins.Bounces ? "eb.nir_hash IS NOT NULL" : "false")} AS bounced
            FROM registry_person p
            {(joins.Bounces ? "LEFT JOIN (SELECT nir_hash, bool_or(status = 0) AS awaiting FROM email_bounce WHERE campaign_id = @campaign GROUP BY nir_hash) eb ON eb.nir_hash = p.nir_hash" : "")}
            WHERE p.status = 0
            {(joins.Bounces ? "AND eb.awaiting IS NOT TRUE" : "")}
            {(segment ? "AND p.departement = ANY(@departements)" : "")}
            {(byNir ? "AND p.nir_hash = @nir" : "")}
            {(joins.Codes ? """
                AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.person_no = p.person_no AND c.status = 0)
                AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.person_no = p.person_no AND c.status = 3)
                """ : "")}
            OFFSET 0
        ) s
        WHERE s.minor OR {ByEmail} OR s.address_line1 IS NOT NULL
        """;

    /// <summary>One row: the eligible people (both classes), and the minors nobody can be written to.</summary>
    private static string CountsSql(bool segment) => $"""
        SELECT count(*) FILTER (WHERE NOT e.minor OR e.by_email OR e.representative_address IS NOT NULL),
               count(*) FILTER (WHERE e.minor AND NOT e.by_email AND e.representative_address IS NULL)
        FROM ({EligibleSql(segment, EligibleJoins.All)} OFFSET 0) e
        """;

    // For the keyed reads of one contact (a batch of emails, a bounce round): the same laterals, gated on the birth date.
    private static readonly string RepresentativeEmail = RepresentativeWith("re", "r.email", "r.email IS NOT NULL", $"AND {Minor}");

    private static readonly string RepresentativeAddress = RepresentativeWith("ra", AddressColumns, "r.address_line1 IS NOT NULL", $"AND {Minor}");

    private const string Email = $"CASE WHEN {Minor} THEN re.email ELSE p.email END";

    private static string Address(string column) => $"CASE WHEN {Minor} THEN ra.{column} ELSE p.{column} END";

    /// <summary>
    /// One statement (<see cref="EligibleSql"/>) in a REPEATABLE READ (read-only) transaction, after a look in the same
    /// snapshot at whether the campaign has bounces and whether any valid or locked code exists: the joins that cannot
    /// match are left out (a first national campaign has neither). Not ordered: PostgreSQL reads the registry as it finds
    /// cheapest (a sequential scan for a national campaign), and issuance sorts each chunk by person number before its
    /// COPY (<see cref="IssuanceChunk.PersonInKeyOrder"/>). Person numbers follow the registry's physical order (migration
    /// 0024), so a scan's chunks enter the unique index on valid codes near its right edge.
    /// </summary>
    /// <remarks>
    /// While that index was keyed by the NIR hash (until migration 0024), reading the registry by walking its primary key
    /// cost PostgreSQL 2.5 µs a person against 0.9 for a scan (benchmarks/results/issue10-floor, 10 M people), and each
    /// chunk of a scan, sorted, still entered the index at random leaves: 1.0–1.6 µs a code more than one ascending run.
    /// Until 2026-12-07 the read was ordered by <c>nir_hash</c>, walking the primary key
    /// (benchmarks/results/issue10-sorted: 46 s in random order, 24 s in ascending order for 4 M code rows).
    /// The minors none of whose representatives can be written to are read too and counted into the tally, not returned
    /// (issuance reads the segment once: no count before, none after). Each row's heap block over the table's size gives
    /// the tally's <see cref="EligibleReadTally.Place"/>.
    /// </remarks>
    public async IAsyncEnumerable<EligiblePerson> StreamEligibleAsync(string campaignId, EligibleReadTally tally, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tally);
        var campaign = await GetCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false) ?? throw new CampaignNotFoundException(campaignId);
        var segment = campaign.Departements is not null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, $"SET LOCAL work_mem = '{_options.EligibleWorkMem.Replace("'", "", StringComparison.Ordinal)}'", cancellationToken).ConfigureAwait(false);
        double blocks;
        EligibleJoins joins;
        await using (var look = new NpgsqlCommand($"SELECT pg_relation_size('registry_person') / current_setting('block_size')::int, j.* FROM ({EligibleJoinsSql}) j", connection, tx))
        {
            look.Parameters.Add(new NpgsqlParameter<string>("campaign", campaign.CampaignId));
            await using var row = await look.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await row.ReadAsync(cancellationToken).ConfigureAwait(false);
            blocks = Math.Max(1, Convert.ToDouble(row.GetValue(0), CultureInfo.InvariantCulture));
            joins = new EligibleJoins(row.GetBoolean(1), row.GetBoolean(2));
        }
        await using var command = Bulk(new NpgsqlCommand(EligibleSql(segment, joins), connection, tx));
        AddEligibleParameters(command.Parameters, campaign);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var unreachable = 0L;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (ReadEligible(reader) is not { } person)
            {
                unreachable++;
                continue;
            }
            tally.Place = Math.Min(1, (reader.GetFieldValue<NpgsqlTid>(11).BlockNumber + 1) / blocks);
            yield return person;
        }
        tally.UnreachableMinors += unreachable;
    }

    public async Task<EligiblePerson?> FindEligibleAsync(string campaignId, byte[] nirHash, CancellationToken cancellationToken = default)
    {
        var campaign = await GetCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false) ?? throw new CampaignNotFoundException(campaignId);
        var segment = campaign.Departements is not null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(EligibleSql(segment, EligibleJoins.All, byNir: true), connection);
        AddEligibleParameters(command.Parameters, campaign);
        command.Parameters.Add(new NpgsqlParameter<byte[]>("nir", Hash(nirHash)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEligible(reader) : null;
    }

    public Task<long> CountEligibleAsync(string campaignId, CancellationToken cancellationToken = default) =>
        CountAsync(campaignId, segment => $"SELECT c.eligible FROM ({CountsSql(segment)}) c(eligible, unreachable)", cancellationToken);

    public Task<long> CountUnreachableMinorsAsync(string campaignId, CancellationToken cancellationToken = default) =>
        CountAsync(campaignId, segment => $"SELECT c.unreachable FROM ({CountsSql(segment)}) c(eligible, unreachable)", cancellationToken);

    public Task<EligibleCounts> CountEligibleAndUnreachableAsync(string campaignId, CancellationToken cancellationToken = default) =>
        CountAsync(campaignId, CountsSql, row => new EligibleCounts(row.GetInt64(0), row.GetInt64(1)), cancellationToken);

    private Task<long> CountAsync(string campaignId, Func<bool, string> sql, CancellationToken cancellationToken) =>
        CountAsync(campaignId, sql, row => row.GetInt64(0), cancellationToken);

    /// <summary>Runs the one-row count statement <paramref name="sql"/>(segment) with the campaign's parameters.</summary>
    private async Task<T> CountAsync<T>(string campaignId, Func<bool, string> sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var campaign = await GetCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false) ?? throw new CampaignNotFoundException(campaignId);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql(campaign.Departements is not null), connection);
        AddEligibleParameters(command.Parameters, campaign);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? read(reader) : throw new RolloutException("a count returned no row");
    }

    public async Task<long> ExpireCodesAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // Only campaigns old enough to have expired codes are looked at (a code is issued after its campaign is created;
        // a day of margin covers clock differences), so this costs nothing while every campaign is younger than its validity.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE activation_code SET status = 4, closed_at = $1
            WHERE campaign_id IN (SELECT campaign_id FROM campaign WHERE created_at + code_validity - interval '1 day' < $1)
              AND status = 0 AND expires_at < $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> AllocatePrintBatchAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "UPDATE campaign SET next_batch_no = next_batch_no + 1 WHERE campaign_id = $1 RETURNING next_batch_no - 1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int batchNo
            ? batchNo
            : throw new CampaignNotFoundException(campaignId);
    }

    public async Task<IAsyncDisposable> LockIssuanceAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended('coffre-issuance:' || $1, 0))", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
            if (!(bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                throw new IssuanceInProgressException(campaignId);
            }
            return new AdvisoryLock(connection, campaignId);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task CommitIssuanceAsync(IssuanceChunk chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        RolloutRules.CheckChunk(chunk);
        if (chunk.Count == 0)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CopyCodesAsync(connection, chunk, cancellationToken).ConfigureAwait(false);
            if (chunk.EmailBatch is { } emails)
            {
                // The batch row, and the one outbox message that hands the batch to its router (a replay names the same id).
                await using var insert = new NpgsqlCommand("""
                    WITH batch AS (
                        INSERT INTO email_batch (campaign_id, batch_no, content_key, emails, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                    )
                    INSERT INTO outbox (id, channel, recipient, kind, payload, created_at, available_at) VALUES ($7, $8, $1, $9, $10::jsonb, $6, $6)
                    ON CONFLICT (id) DO NOTHING
                    """, connection, tx);
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = emails.CampaignId });
                insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = emails.BatchNo });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = emails.ContentKey });
                insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = emails.Emails });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = emails.Sha256 });
                insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = emails.CreatedAt });
                insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = EmailBatchFiles.MessageId(emails.CampaignId, emails.BatchNo) });
                insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)OutboxChannel.Email });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = EmailBatchFiles.OutboxKind });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = EmailBatchFiles.MessagePayload(emails.CampaignId, emails.BatchNo) });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (chunk.PrintBatch is { } batch)
            {
                await using var insert = new NpgsqlCommand("""
                    INSERT INTO print_batch (campaign_id, batch_no, content_key, letters, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                    """, connection, tx);
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.CampaignId });
                insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.BatchNo });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.ContentKey });
                insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Letters });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.Sha256 });
                insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = batch.CreatedAt });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (chunk.PostedBounces.Count > 0)
            {
                await using var posted = new NpgsqlCommand("""
                    UPDATE email_bounce SET status = 1, batch_no = $2, settled_at = $3 WHERE outbox_id = ANY($1) AND status = 0
                    """, connection, tx);
                posted.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. chunk.PostedBounces] });
                posted.Parameters.Add(new NpgsqlParameter<int> { TypedValue = chunk.BatchNo ?? throw new RolloutException("a chunk that posts bounces has no print batch") });
                posted.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = chunk.IssuedAt });
                await posted.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation && e.ConstraintName == ValidCodeIndex)
        {
            throw new IssuanceConflictException(
                $"an issuance chunk of campaign '{chunk.CampaignId}' ({chunk.Count} codes) was refused: someone in it already holds a valid code", e);
        }
    }

    private async Task CopyCodesAsync(NpgsqlConnection connection, IssuanceChunk chunk, CancellationToken cancellationToken)
    {
        var campaign = Encoding.UTF8.GetBytes(chunk.CampaignId);
        var copy = Bulk(await connection.BeginRawBinaryCopyAsync(
            "COPY activation_code (campaign_id, nir_hash, person_no, key_id, code_hash, issued_at, expires_at, channel, batch_no) FROM STDIN (FORMAT BINARY)",
            cancellationToken).ConfigureAwait(false));
        await WriteCopyAsync(copy, chunk.Count, (w, rank) =>
        {
            // In person-number order: each chunk's codes enter the unique index on valid codes as one ascending run.
            var i = chunk.PersonInKeyOrder(rank);
            var personNo = chunk.PersonNo(i);
            if (personNo < 1)
            {
                // The registry's numbers start at 1: a person not read from this registry (a store without numbers).
                throw new RolloutException($"an issuance chunk of campaign '{chunk.CampaignId}' holds a person without a registry person number");
            }
            PgBinary.Row(w, 9);
            PgBinary.TextUtf8(w, campaign);
            PgBinary.Bytea(w, chunk.NirHash(i));
            PgBinary.Int64(w, personNo);
            PgBinary.Int16(w, chunk.KeyId);
            PgBinary.Bytea(w, chunk.CodeHash(i));
            PgBinary.TimestampTz(w, chunk.IssuedAt);
            PgBinary.TimestampTz(w, chunk.ExpiresAt);
            PgBinary.Int16(w, (short)chunk.Channel(i));
            // The print batch for post, the email batch for email: the chunk's one batch number.
            PgBinary.Int32(w, chunk.BatchNo!.Value);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Header, <paramref name="rows"/> rows encoded by <paramref name="row"/> and flushed every 256 KiB, trailer, then completes the COPY.</summary>
    private static async Task WriteCopyAsync(NpgsqlRawCopyStream copy, int rows, Action<IBufferWriter<byte>, int> row, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(CopyFlushBytes + 64 * 1024);
        try
        {
            buffer.Write(PgBinary.Header);
            for (var i = 0; i < rows; i++)
            {
                row(buffer, i);
                if (buffer.WrittenCount >= CopyFlushBytes)
                {
                    await copy.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    buffer.ResetWrittenCount();
                }
            }
            buffer.Write(PgBinary.Trailer);
            await copy.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CancelQuietlyAsync(copy).ConfigureAwait(false);
            throw;
        }
        await copy.DisposeAsync().ConfigureAwait(false);
    }

    private async Task CopyAsync(NpgsqlConnection connection, string command, SegmentBuffer tuples, CancellationToken cancellationToken)
    {
        var copy = Bulk(await connection.BeginRawBinaryCopyAsync(command, cancellationToken).ConfigureAwait(false));
        try
        {
            await copy.WriteAsync(PgBinary.Header.ToArray(), cancellationToken).ConfigureAwait(false);
            await tuples.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(PgBinary.Trailer.ToArray(), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CancelQuietlyAsync(copy).ConfigureAwait(false);
            throw;
        }
        await copy.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task CancelQuietlyAsync(NpgsqlRawCopyStream copy)
    {
        try
        {
            await copy.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is PostgresException or NpgsqlException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection is going away with its transaction; the original error is what matters.
        }
        try
        {
            await copy.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is PostgresException or NpgsqlException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    public async Task<int> RevokeCodesAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var revoked = await RevokeAsync(connection, tx, Hash(nirHash), at, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return revoked;
    }

    public async Task<int> RevokeCodesOfOpposedAsync(DateTimeOffset since, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            WITH revoked AS (
                UPDATE activation_code c SET status = 2, closed_at = $2
                FROM opposition o JOIN registry_person p ON p.nir_hash = o.nir_hash
                WHERE o.recorded_at >= $1 AND c.person_no = p.person_no AND c.status = 0
                RETURNING c.nir_hash
            ), dropped AS (
                DELETE FROM outbox x USING revoked r, registry_person p
                WHERE p.nir_hash = r.nir_hash AND x.recipient = p.vault_id AND x.kind = 'activation-code' AND x.delivered_at IS NULL
            )
            SELECT count(*)::int FROM revoked
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = since });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Valid and locked codes → revoked; undelivered activation emails of the person dropped. Returns codes revoked.</summary>
    private static async Task<int> RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction tx, byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            WITH person AS (
                SELECT person_no FROM registry_person WHERE nir_hash = $1
            ), valid AS (
                UPDATE activation_code SET status = 2, closed_at = $2 WHERE person_no = (SELECT person_no FROM person) AND status = 0 RETURNING 1
            ), locked AS (
                UPDATE activation_code SET status = 2, closed_at = $2 WHERE person_no = (SELECT person_no FROM person) AND status = 3 RETURNING 1
            ), dropped AS (
                DELETE FROM outbox x USING registry_person p
                WHERE p.nir_hash = $1 AND x.recipient = p.vault_id AND x.kind = 'activation-code' AND x.delivered_at IS NULL
            )
            SELECT ((SELECT count(*) FROM valid) + (SELECT count(*) FROM locked))::int
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = nirHash });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>A row of <see cref="EligibleSql"/>, or null for a minor none of whose representatives can be written to.</summary>
    private static EligiblePerson? ReadEligible(NpgsqlDataReader r)
    {
        var byEmail = r.GetBoolean(2);
        var minor = r.GetBoolean(9);
        if (byEmail)
        {
            return new EligiblePerson(r.GetFieldValue<byte[]>(0), r.GetString(1), true, null, null, null, minor, r.GetInt64(12));
        }
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        string?[]? address = minor ? (r.IsDBNull(10) ? null : r.GetFieldValue<string?[]>(10)) : [S(5), S(6), S(7), S(8)];
        if (minor && address is null)
        {
            return null;
        }
        return new EligiblePerson(r.GetFieldValue<byte[]>(0), r.GetString(1), false, S(3), S(4),
            address is [{ } line1, var line2, var postalCode, var city] ? new PostalAddress(line1, line2, postalCode ?? "", city ?? "") : null, minor,
            r.GetInt64(12));
    }

    private void AddEligibleParameters(NpgsqlParameterCollection parameters, Campaign campaign)
    {
        parameters.Add(new NpgsqlParameter<string>("campaign", campaign.CampaignId));
        parameters.Add(MinorsBornAfter(_time.GetUtcNow()));
        if (campaign.Departements is { } departements)
        {
            parameters.Add(new NpgsqlParameter<string[]>("departements", departements.ToArray()));
        }
    }

    private static NpgsqlBatchCommand Named(string sql, Campaign campaign, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(sql);
        if (sql.Contains("@campaign", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("campaign", campaign.CampaignId));
        }
        if (sql.Contains("@now", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        }
        if (sql.Contains("@departements", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>("departements", campaign.Departements!.ToArray()));
        }
        if (sql.Contains("@minors_born_after", StringComparison.Ordinal))
        {
            command.Parameters.Add(MinorsBornAfter(now));
        }
        return command;
    }

    private static NpgsqlParameter<DateOnly> MinorsBornAfter(DateTimeOffset now) => new("minors_born_after", RolloutRules.MinorsBornAfter(now));

    // ---------------------------------------------------------------- campaign emails

    public async Task<IReadOnlyDictionary<string, EmailRecipient>> FindEmailRecipientsAsync(IReadOnlyCollection<string> vaultIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vaultIds);
        var found = new Dictionary<string, EmailRecipient>(vaultIds.Count, StringComparer.Ordinal);
        if (vaultIds.Count == 0)
        {
            return found;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // The valid-code probe is the partial unique index (at most one valid code per person), one probe per person: a
        // lateral, so the plan cannot turn into a scan of every valid code joined afterwards. A plain join did, while an
        // issuance's fresh codes were not yet in the statistics (2.3 s per page of 200 at 100 000 codes, the router's
        // first minute in benchmarks/results/issue10-router).
        await using var command = new NpgsqlCommand($"""
            SELECT p.vault_id, {Email}, p.given_names, p.status, c.campaign_id, {Minor} IS TRUE, c.code_hash
            FROM registry_person p {RepresentativeEmail}
            LEFT JOIN LATERAL (
                SELECT v.campaign_id, v.code_hash FROM activation_code v WHERE v.person_no = p.person_no AND v.status = 0 AND v.channel = 0 LIMIT 1
            ) c ON true
            WHERE p.vault_id = ANY(@vaults)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]>("vaults", [.. vaultIds]));
        command.Parameters.Add(MinorsBornAfter(_time.GetUtcNow()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var vaultId = reader.GetString(0);
            found[vaultId] = new EmailRecipient(vaultId, reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                (PersonStatus)reader.GetInt16(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6));
        }
        return found;
    }

    private const string EmailBatchColumns =
        "campaign_id, batch_no, content_key, emails, sha256, created_at, sent_through, sent, bounced, undeliverable, requeued, completed_at";

    public async Task<EmailBatch?> GetEmailBatchAsync(string campaignId, int batchNo, CancellationToken cancellationToken = default) =>
        (await ReadEmailBatchesAsync(campaignId, batchNo, cancellationToken).ConfigureAwait(false)).SingleOrDefault();

    public Task<IReadOnlyList<EmailBatch>> ListEmailBatchesAsync(string campaignId, CancellationToken cancellationToken = default) =>
        ReadEmailBatchesAsync(campaignId, null, cancellationToken);

    private async Task<IReadOnlyList<EmailBatch>> ReadEmailBatchesAsync(string campaignId, int? batchNo, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(campaignId);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            SELECT {EmailBatchColumns} FROM email_batch WHERE campaign_id = $1 {(batchNo is null ? "" : "AND batch_no = $2")} ORDER BY batch_no
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
        if (batchNo is { } n)
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = n });
        }
        var list = new List<EmailBatch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new EmailBatch(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8), reader.GetInt32(9),
                reader.GetInt32(10), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
        }
        return list;
    }

    public async Task<bool> AdvanceEmailBatchAsync(EmailBatchAdvance advance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(advance);
        RolloutRules.CheckAdvance(advance);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The guard first: the row lock it takes makes a second router wait, then find sent_through moved and change nothing.
        await using (var update = new NpgsqlCommand("""
            UPDATE email_batch
            SET sent_through = $4, sent = sent + $5, bounced = bounced + $6, undeliverable = undeliverable + $7, requeued = requeued + $8,
                completed_at = coalesce(completed_at, $9)
            WHERE campaign_id = $1 AND batch_no = $2 AND sent_through = $3
            """, connection, tx))
        {
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = advance.CampaignId });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = advance.BatchNo });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = advance.From });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = advance.To });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = advance.Sent });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = advance.Bounced });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = advance.Undeliverable });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = advance.RequeuedMessages.Count });
            update.Parameters.Add(new NpgsqlParameter { Value = advance.CompletedAt is { } at ? at : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return false;
            }
        }
        if (advance.RequeuedMessages.Count > 0)
        {
            var requeued = advance.RequeuedMessages;
            await using var insert = new NpgsqlCommand("""
                INSERT INTO outbox (id, channel, recipient, kind, payload, created_at, available_at)
                SELECT id, $2, recipient, $4, payload::jsonb, $6, $6 FROM unnest($1::uuid[], $3::text[], $5::text[]) AS m(id, recipient, payload)
                ON CONFLICT (id) DO NOTHING
                """, connection, tx);
            insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. requeued.Select(m => m.Id)] });
            insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)OutboxChannel.Email });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. requeued.Select(m => m.Recipient)] });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DeliveryCodeCipher.OutboxKind });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. requeued.Select(m => m.PayloadJson)] });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _time.GetUtcNow() });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<int> RecordEmailBouncesAsync(IReadOnlyList<EmailBounce> bounces, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bounces);
        if (bounces.Count == 0)
        {
            return 0;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One statement, so one transaction: the bounce rows and the revocation of each person's email code of that
        // campaign. A replay inserts nothing (ON CONFLICT), so it revokes nothing either: a code issued later by post
        // (channel 1) is never touched.
        await using var command = new NpgsqlCommand("""
            WITH incoming AS (
                SELECT b.outbox_id, b.campaign_id, p.nir_hash, p.person_no, p.vault_id
                FROM unnest($1::uuid[], $2::text[], $3::text[]) AS b(outbox_id, campaign_id, vault_id)
                JOIN registry_person p ON p.vault_id = b.vault_id
            ), recorded AS (
                INSERT INTO email_bounce (outbox_id, campaign_id, nir_hash, vault_id, bounced_at)
                SELECT outbox_id, campaign_id, nir_hash, vault_id, $4 FROM incoming
                ON CONFLICT (outbox_id) DO NOTHING
                RETURNING outbox_id
            ), revoked AS (
                UPDATE activation_code c SET status = 2, closed_at = $4
                FROM recorded r JOIN incoming i USING (outbox_id)
                WHERE c.person_no = i.person_no AND c.campaign_id = i.campaign_id AND c.status = 0 AND c.channel = 0
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM recorded)::int, (SELECT count(*) FROM revoked)::int
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. bounces.Select(b => b.OutboxId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. bounces.Select(b => b.CampaignId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. bounces.Select(b => b.VaultId)] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = RolloutRules.Micros(at) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetInt32(0);
    }

    public async Task<IReadOnlyList<BouncedPerson>> ListBouncesAwaitingPostAsync(string campaignId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(campaignId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // A minor's letter goes to their representative's address, as issuance's would.
        await using var command = new NpgsqlCommand($"""
            SELECT b.outbox_id, b.nir_hash, b.vault_id,
                   p.status = 0
                   AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.person_no = p.person_no AND c.status = 0)
                   AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.person_no = p.person_no AND c.status = 3),
                   p.given_names, CASE WHEN {Minor} IS NOT TRUE THEN p.family_name END,
                   {Address("address_line1")}, {Address("address_line2")}, {Address("postal_code")}, {Address("city")},
                   {Minor} IS TRUE, p.person_no
            FROM email_bounce b JOIN registry_person p ON p.nir_hash = b.nir_hash {RepresentativeAddress}
            WHERE b.campaign_id = @campaign AND b.status = 0
            ORDER BY b.bounced_at, b.outbox_id
            LIMIT @max
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string>("campaign", campaignId));
        command.Parameters.Add(new NpgsqlParameter<int>("max", max));
        command.Parameters.Add(MinorsBornAfter(_time.GetUtcNow()));
        var list = new List<BouncedPerson>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var line1 = S(6);
            list.Add(new BouncedPerson(reader.GetGuid(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2), reader.GetBoolean(3), S(4), S(5),
                line1 is null ? null : new PostalAddress(line1, S(7), S(8) ?? "", S(9) ?? ""), reader.GetBoolean(10), reader.GetInt64(11)));
        }
        return list;
    }

    public async Task<int> SettleBouncesAsync(IReadOnlyList<Guid> outboxIds, BounceStatus status, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outboxIds);
        if (status is not (BounceStatus.Unreachable or BounceStatus.Superseded))
        {
            throw new ArgumentOutOfRangeException(nameof(status), "bounces are settled as unreachable or superseded (posting commits with the letter)");
        }
        if (outboxIds.Count == 0)
        {
            return 0;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "UPDATE email_bounce SET status = $2, settled_at = $3 WHERE outbox_id = ANY($1) AND status = 0", connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. outboxIds] });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)status });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = RolloutRules.Micros(at) });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- activation

    public async Task RecordIdentityClaimAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "INSERT INTO identity_claim (nir_hash, claimed_at) VALUES ($1, $2) ON CONFLICT (nir_hash) DO NOTHING", connection);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(nirHash) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<ActivationCodeRecord?> FindValidCodeAsync(byte[] nirHash, CancellationToken cancellationToken = default) =>
        (await FindValidCodesAsync([Hash(nirHash)], cancellationToken).ConfigureAwait(false))[0];

    public async Task<IReadOnlyList<ActivationCodeRecord?>> FindValidCodesAsync(IReadOnlyList<byte[]> nirHashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nirHashes);
        var found = new Dictionary<string, ActivationCodeRecord>(nirHashes.Count, StringComparer.Ordinal);
        if (nirHashes.Count > 0)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("""
                SELECT c.code_id, c.campaign_id, c.key_id, c.code_hash, c.issued_at, c.expires_at, c.attempts,
                       p.vault_id, p.birth_date, p.vitale_hash, p.status, p.nir_hash,
                       CASE WHEN p.vitale_hash IS NULL AND p.representative_nir_hashes IS NOT NULL THEN ARRAY(
                           SELECT r.vitale_hash FROM registry_person r
                           WHERE r.nir_hash = ANY(p.representative_nir_hashes) AND r.vitale_hash IS NOT NULL AND r.status IN (0, 2)
                           ORDER BY r.nir_hash)
                       END,
                       CASE WHEN p.vitale_hash IS NULL AND p.representative_nir_hashes IS NOT NULL THEN ARRAY(
                           SELECT r.nir_hash FROM registry_person r
                           WHERE r.nir_hash = ANY(p.representative_nir_hashes) AND r.vitale_hash IS NOT NULL AND r.status IN (0, 2)
                           ORDER BY r.nir_hash)
                       END,
                       EXISTS (SELECT 1 FROM identity_claim k WHERE k.nir_hash = p.nir_hash)
                FROM registry_person p JOIN activation_code c ON c.person_no = p.person_no AND c.status = 0
                WHERE p.nir_hash = any($1)
                """)
                    {
                        Parameters = { new NpgsqlParameter<byte[][]> { TypedValue = [.. nirHashes.Select(Hash)] } },
                    },
                },
            };
            if (audit is not null)
            {
                // With the audit log, the tips of the people's registry vaults (their ids derive from the NIR hashes) are read
                // in the same round trip, by key and planned for each group with its values (the setting lasts to the batch's
                // end): audit_head starts empty and grows by a row per activated vault, and a plan made while it was small
                // scans the whole table for every group (a join to it did at N = 1 M: PostgreSQL CPU per activation
                // 150 → 284 µs). The codes' query above keeps its cached plan.
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT vault_id, seq, hash FROM audit_head WHERE vault_id = any($1)")
                {
                    Parameters = { new NpgsqlParameter<string[]> { TypedValue = [.. nirHashes.Select(h => RegistryVaultIds.For(h))] } },
                });
            }
            await using var r = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found[Convert.ToHexString(r.GetFieldValue<byte[]>(11))] = new ActivationCodeRecord(
                    r.GetInt64(0), r.GetString(1), r.GetInt16(2), r.GetFieldValue<byte[]>(3),
                    r.GetFieldValue<DateTimeOffset>(4), r.GetFieldValue<DateTimeOffset>(5), r.GetInt16(6),
                    r.GetString(7), r.IsDBNull(8) ? null : r.GetFieldValue<DateOnly>(8), r.IsDBNull(9) ? null : r.GetFieldValue<byte[]>(9),
                    (PersonStatus)r.GetInt16(10), r.IsDBNull(12) ? null : r.GetFieldValue<byte[][]>(12),
                    r.IsDBNull(13) ? null : r.GetFieldValue<byte[][]>(13), r.GetBoolean(14));
            }
            if (audit is not null && await r.NextResultAsync(cancellationToken).ConfigureAwait(false)
                && await r.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
                var tips = new Dictionary<string, AuditChainTip>(StringComparer.Ordinal);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    tips[r.GetString(0)] = new AuditChainTip(r.GetInt64(1), r.GetFieldValue<byte[]>(2));
                }
                foreach (var key in found.Keys.ToList())
                {
                    found[key] = found[key] with { AuditTip = tips.GetValueOrDefault(found[key].VaultId) ?? AuditChainTip.Start() };
                }
            }
        }
        return [.. nirHashes.Select(h => found.GetValueOrDefault(Convert.ToHexString(h)))];
    }

    public async Task<SettledActivations> SettleActivationsAsync(ActivationSettlement settlement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settlement);
        ArgumentOutOfRangeException.ThrowIfLessThan(settlement.MaxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settlement.MaxAttempts, short.MaxValue);
        if (settlement.Consume.Select(c => c.CodeId).Distinct().Count() != settlement.Consume.Count)
        {
            throw new ArgumentException("a code is consumed at most once per settlement", nameof(settlement));
        }
        var links = ActivationAuditLinks(settlement.Consume);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (links.Count > 0)
        {
            try
            {
                var settled = await SettleAsync(connection, settlement, links, cancellationToken).ConfigureAwait(false);
                audit!.ExtendedElsewhere(links.Where(l => settled.Audited.Contains(l.CodeId)).Select(l => l.Link.Event.VaultId));
                return settled;
            }
            catch (PostgresException e) when (e.SqlState is UniqueViolation or DeadlockDetected)
            {
                // A chain moved since its tip was read (another writer appended first): the statement applied nothing.
                // The same group settles without its events, which the caller appends through the audit log.
            }
        }
        return await SettleAsync(connection, settlement, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The consumes' activation events chained onto the tips read with their codes (none without the audit log): hash and
    /// head MAC computed here, since the database holds neither the canonical form nor the key.
    /// </summary>
    private List<(long CodeId, AuditChainLink Link, byte[] Mac)> ActivationAuditLinks(IReadOnlyList<ActivationConsume> consume)
    {
        var links = new List<(long, AuditChainLink, byte[])>();
        if (audit is null)
        {
            return links;
        }
        var vaults = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in consume)
        {
            if (c is not { Audit: { } auditEvent, AuditTip: { } tip })
            {
                continue;
            }
            var normalised = AuditChain.Normalise(auditEvent);
            if (!vaults.Add(normalised.VaultId))
            {
                throw new ArgumentException("a vault's chain is extended at most once per settlement", nameof(consume));
            }
            var hash = AuditChain.ComputeHash(tip.Hash, normalised);
            links.Add((c.CodeId, new AuditChainLink(tip.Sequence + 1, normalised, tip.Hash, hash), audit.HeadMac(normalised.VaultId, tip.Sequence + 1, hash)));
        }
        return links;
    }

    /// <summary>
    /// Codes are found through their person (registry primary key, then the person's one valid code in
    /// activation_code_valid_idx) and checked by code_id there: activation_code has no index on code_id (migration 0025).
    /// </summary>
    private static readonly string SettleActivationsSql = $"""
        WITH consumed AS (
            UPDATE activation_code c SET status = 1, closed_at = $6
            FROM registry_person p
            WHERE p.nir_hash = any($13) AND p.status = 0
              AND c.person_no = p.person_no AND c.status = 0 AND c.code_id = any($4) AND c.expires_at >= $7
            RETURNING c.code_id, c.nir_hash
        ), activated AS (
            UPDATE registry_person p SET status = 2, updated_at = $6
            FROM consumed WHERE p.nir_hash = consumed.nir_hash AND p.status = 0
        ), refused AS (
            SELECT r.code_id, r.counted, r.shard, r.nir_hash FROM unnest($1::bigint[], $2::smallint[], $3::smallint[], $12::bytea[]) AS r(code_id, counted, shard, nir_hash)
            UNION ALL
            SELECT w.code_id, 1::smallint, w.shard, w.nir_hash FROM unnest($4::bigint[], $5::smallint[], $13::bytea[]) AS w(code_id, shard, nir_hash)
            WHERE w.code_id NOT IN (SELECT code_id FROM consumed)
        ), counted AS (
            UPDATE activation_code c
            SET attempts = c.attempts + n.n,
                status = CASE WHEN c.attempts + n.n >= $8 THEN 3 ELSE c.status END,
                closed_at = CASE WHEN c.attempts + n.n >= $8 THEN $6 ELSE c.closed_at END
            FROM (SELECT code_id, nir_hash, sum(counted)::smallint AS n FROM refused WHERE counted > 0 GROUP BY code_id, nir_hash) n
            JOIN registry_person p ON p.nir_hash = n.nir_hash
            WHERE c.person_no = p.person_no AND c.status = 0 AND c.code_id = n.code_id AND c.code_id NOT IN (SELECT code_id FROM consumed)
        ), tally AS (
            INSERT INTO activation_refusal AS t (day, shard, refusals)
            SELECT $9, shard, count(*) FROM refused GROUP BY shard
            ON CONFLICT (day, shard) DO UPDATE SET refusals = t.refusals + excluded.refusals
        ), audited AS (
            SELECT a.* FROM unnest($10::bigint[], $11::bytea[], {AuditEventRows.Arguments(14)}) AS a(code_id, mac, {AuditEventRows.Columns})
            WHERE a.code_id IN (SELECT code_id FROM consumed)
        ), audit_events AS (
            INSERT INTO audit_event ({AuditEventRows.Columns}) SELECT {AuditEventRows.Columns} FROM audited
        ), audit_heads AS (
            INSERT INTO audit_head AS h (vault_id, seq, hash, mac) SELECT vault_id, seq, hash, mac FROM audited
            ON CONFLICT (vault_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac WHERE h.seq = excluded.seq - 1
        )
        SELECT c.code_id, c.code_id IN (SELECT code_id FROM audited) FROM consumed c
        """;

    /// <summary>
    /// One statement (so one transaction) for the whole group, the same text whatever its mix of outcomes. The consume
    /// re-checks every condition under the row lock, so concurrent groups (or silos) get one winner per code; a consume it
    /// refuses is a refusal like the others. The counted attempts skip the codes used here (a row is modified by one part
    /// of the statement only); the tally adds each shard's refusals. Each used code's activation event (when given) joins
    /// its vault's chain at the tip read with the code: the event's key (vault, seq) is unique, so a chain that moved
    /// since fails the statement with a unique violation and nothing is applied (the head moves only from the tip, so its
    /// append-only trigger never fires first).
    /// </summary>
    private async Task<SettledActivations> SettleAsync(NpgsqlConnection connection, ActivationSettlement settlement,
        IReadOnlyList<(long CodeId, AuditChainLink Link, byte[] Mac)> links, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(SettleActivationsSql, connection);
        var refusals = settlement.Refusals;
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. refusals.Select(r => r.CodeId ?? -1)] });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. refusals.Select(r => (short)(r.CountAttempt && r.CodeId is not null ? 1 : 0))] });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. refusals.Select(r => RefusalShard(Hash(r.NirHash)))] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. settlement.Consume.Select(c => c.CodeId)] });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. settlement.Consume.Select(c => RefusalShard(Hash(c.NirHash)))] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = settlement.Now });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = settlement.ExpiryCutoff });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settlement.MaxAttempts });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = RolloutRules.RefusalDay(settlement.Now) });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. links.Select(l => l.CodeId)] });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. links.Select(l => l.Mac)] });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. refusals.Select(r => Hash(r.NirHash))] });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. settlement.Consume.Select(c => Hash(c.NirHash))] });
        command.Parameters.AddRange(AuditEventRows.Parameters([.. links.Select(l => l.Link)]));
        var used = new HashSet<long>();
        var audited = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            used.Add(reader.GetInt64(0));
            if (reader.GetBoolean(1))
            {
                audited.Add(reader.GetInt64(0));
            }
        }
        // The events' inserts finish after the last row: an error there surfaces here, before anything is returned.
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        return new SettledActivations(used, audited);
    }

    public async Task<FailedAttemptResult> RecordFailedAttemptAsync(byte[] nirHash, long codeId, int maxAttempts, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxAttempts, short.MaxValue);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE activation_code
            SET attempts = attempts + 1,
                status = CASE WHEN attempts + 1 >= $2 THEN 3 ELSE 0 END,
                closed_at = CASE WHEN attempts + 1 >= $2 THEN $3 END
            WHERE person_no = (SELECT person_no FROM registry_person WHERE nir_hash = $4) AND status = 0 AND code_id = $1
            RETURNING attempts, status
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = codeId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxAttempts });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(nirHash) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new FailedAttemptResult(true, reader.GetInt16(0), reader.GetInt16(1) == (short)CodeStatus.Locked)
            : new FailedAttemptResult(false, 0, false);
    }

    public async Task<bool> ConsumeCodeAsync(byte[] nirHash, long codeId, DateTimeOffset now, CancellationToken cancellationToken = default,
        DateTimeOffset? expiryCutoff = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            WITH used AS (
                UPDATE activation_code c SET status = 1, closed_at = $2
                FROM registry_person p
                WHERE p.nir_hash = $4 AND p.status = 0
                  AND c.person_no = p.person_no AND c.status = 0 AND c.code_id = $1 AND c.expires_at >= $3
                RETURNING c.nir_hash
            )
            UPDATE registry_person p SET status = 2, updated_at = $2
            FROM used WHERE p.nir_hash = used.nir_hash AND p.status = 0
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = codeId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = expiryCutoff ?? now });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(nirHash) });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<bool> MarkActivatedAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("UPDATE registry_person SET status = 2, updated_at = $2 WHERE nir_hash = $1 AND status = 0", connection);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(nirHash) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<FailedAttemptResult> RecordRefusalAsync(byte[] nirHash, long? codeId, bool countAttempt, int maxAttempts, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxAttempts, short.MaxValue);
        var hash = Hash(nirHash);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One statement for every refusal: the code update finds no row without a code (-1) and adds 0 when the
        // attempt does not count; the tally upsert always writes, so every refusal commits a write.
        await using var command = new NpgsqlCommand("""
            WITH counted AS (
                UPDATE activation_code
                SET attempts = attempts + $2,
                    status = CASE WHEN $2 > 0 AND attempts + $2 >= $3 THEN 3 ELSE status END,
                    closed_at = CASE WHEN $2 > 0 AND attempts + $2 >= $3 THEN $4 ELSE closed_at END
                WHERE person_no = (SELECT person_no FROM registry_person WHERE nir_hash = $7) AND status = 0 AND code_id = $1
                RETURNING attempts, status
            ), tally AS (
                INSERT INTO activation_refusal AS r (day, shard, refusals) VALUES ($5, $6, 1)
                ON CONFLICT (day, shard) DO UPDATE SET refusals = r.refusals + 1
            )
            SELECT attempts, status FROM counted
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = codeId ?? -1 });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)(countAttempt ? 1 : 0) });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxAttempts });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = RolloutRules.RefusalDay(at) });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = RefusalShard(hash) });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = hash });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && countAttempt
            ? new FailedAttemptResult(true, reader.GetInt16(0), reader.GetInt16(1) == (short)CodeStatus.Locked)
            : new FailedAttemptResult(false, 0, false);
    }

    public async Task<long> CountRefusalsAsync(DateOnly day, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(refusals), 0)::bigint FROM activation_refusal WHERE day = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    internal static short RefusalShard(byte[] nirHash) => (short)(nirHash[0] & 63);

    // ---------------------------------------------------------------- opposition

    public async Task<OppositionResult> RecordOppositionAsync(OppositionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var nirHash = Hash(request.NirHash);
        ArgumentException.ThrowIfNullOrEmpty(request.RecordedBy);
        var vaultId = RegistryVaultIds.For(nirHash);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        string receipt;
        DateTimeOffset recordedAt;
        bool already;
        await using (var insert = new NpgsqlCommand("""
            WITH added AS (
                INSERT INTO opposition (nir_hash, recorded_at, channel, recorded_by, receipt_id) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (nir_hash) DO NOTHING
                RETURNING receipt_id, recorded_at
            )
            SELECT receipt_id, recorded_at, false FROM added
            UNION ALL
            SELECT receipt_id, recorded_at, true FROM opposition WHERE nir_hash = $1 AND NOT EXISTS (SELECT 1 FROM added)
            """, connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = nirHash });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = request.At });
            insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)request.Channel });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = request.RecordedBy });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = RolloutRules.NewReceiptId() });
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new RolloutException("the opposition was neither recorded nor found");
            }
            (receipt, recordedAt, already) = (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetBoolean(2));
        }

        bool wasActivated;
        await using (var purge = new NpgsqlCommand("""
            WITH purged AS (
                UPDATE registry_person SET
                    nir_masked = NULL, birth_date = NULL, family_name = NULL, given_names = NULL, sex = NULL, email = NULL,
                    address_line1 = NULL, address_line2 = NULL, postal_code = NULL, city = NULL, vitale_hash = NULL,
                    representative_nir_hashes = NULL, import_id = NULL,
                    status = CASE WHEN status IN (2, 3) THEN 3 ELSE 1 END, updated_at = $3
                WHERE nir_hash = $1
                RETURNING status
            ), added AS (
                -- Not in the registry (or inserted by an import since this statement's snapshot: then purge it too).
                INSERT INTO registry_person (nir_hash, vault_id, status, updated_at)
                SELECT $1, $2, 1, $3 WHERE NOT EXISTS (SELECT 1 FROM purged)
                ON CONFLICT (nir_hash) DO UPDATE SET
                    nir_masked = NULL, birth_date = NULL, family_name = NULL, given_names = NULL, sex = NULL, email = NULL,
                    address_line1 = NULL, address_line2 = NULL, postal_code = NULL, city = NULL, vitale_hash = NULL,
                    representative_nir_hashes = NULL, import_id = NULL,
                    status = CASE WHEN registry_person.status IN (2, 3) THEN 3 ELSE 1 END, updated_at = excluded.updated_at
                RETURNING status
            )
            -- Closed (3) after the update exactly when the person had activated (2) or was already closed.
            SELECT coalesce((SELECT status = 3 FROM purged), (SELECT status = 3 FROM added), false)
            """, connection, tx))
        {
            purge.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = nirHash });
            purge.Parameters.Add(new NpgsqlParameter<string> { TypedValue = vaultId });
            purge.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = request.At });
            wasActivated = (bool)(await purge.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        var revoked = await RevokeAsync(connection, tx, nirHash, request.At, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new OppositionResult(receipt, recordedAt, vaultId, already, wasActivated, revoked);
    }

    public async Task<Opposition?> GetOppositionAsync(byte[] nirHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT nir_hash, recorded_at, channel, recorded_by, receipt_id FROM opposition WHERE nir_hash = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(nirHash) });
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new Opposition(r.GetFieldValue<byte[]>(0), r.GetFieldValue<DateTimeOffset>(1), (OppositionChannel)r.GetInt16(2), r.GetString(3), r.GetString(4))
            : null;
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Builds one index of the load table on its own connection; true when a unique build met duplicates.</summary>
    private async Task<bool> BuildIndexAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Raise maintenance_work_mem for the sort, never lower a larger server setting.
        await using (var memory = new NpgsqlCommand("""
            SELECT set_config('maintenance_work_mem',
                CASE WHEN pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes($1) THEN $1
                     ELSE current_setting('maintenance_work_mem') END, false)
            """, connection))
        {
            memory.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _options.IndexBuildMemory });
            await memory.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        bool duplicates;
        try
        {
            await ExecuteAsync(connection, null, sql, cancellationToken).ConfigureAwait(false);
            duplicates = false;
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            duplicates = true;
        }
        await ExecuteAsync(connection, null, "RESET maintenance_work_mem", cancellationToken).ConfigureAwait(false);
        return duplicates;
    }

    private async Task PrepareStagingSessionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // temp_buffers can only change before the session first touches a temporary table (pooled sessions may have).
        await using var show = new NpgsqlCommand("SELECT current_setting('temp_buffers'), to_regclass('pg_temp.registry_incoming') IS NOT NULL", connection);
        await using (var reader = await show.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (reader.GetString(0) == _options.ImportTempBuffers || reader.GetBoolean(1))
            {
                return;
            }
        }
        try
        {
            await ExecuteAsync(connection, null, $"SET temp_buffers = '{_options.ImportTempBuffers.Replace("'", "", StringComparison.Ordinal)}'", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException)
        {
            // This session already used temporary tables: the default buffers still work, only slower.
        }
    }

    private static async Task<ImportRun?> ReadImportAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string importId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {ImportColumns} FROM import_run WHERE import_id = $1", connection, tx);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = importId });
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        return new ImportRun(r.GetString(0), r.GetString(1), r.GetString(2), (ImportMode)r.GetInt16(3), r.GetFieldValue<DateTimeOffset>(4),
            r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8));
    }

    /// <summary>Runs a DDL, session or bulk statement under <see cref="PostgresRolloutStoreOptions.BulkStatementTimeout"/>.</summary>
    private async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = Bulk(new NpgsqlCommand(sql, connection, tx));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private int BulkTimeoutSeconds => (int)Math.Min(int.MaxValue, Math.Max(0, _options.BulkStatementTimeout.TotalSeconds));

    /// <summary>A statement whose time grows with the population: its own timeout, not the connection's.</summary>
    private NpgsqlCommand Bulk(NpgsqlCommand command)
    {
        command.CommandTimeout = BulkTimeoutSeconds;
        return command;
    }

    /// <summary>A COPY: its reads and writes (and the wait for its completion) under the bulk timeout.</summary>
    private NpgsqlRawCopyStream Bulk(NpgsqlRawCopyStream copy)
    {
        if (copy.CanTimeout)
        {
            var milliseconds = BulkTimeoutSeconds == 0 ? Timeout.Infinite : (int)Math.Min(int.MaxValue, BulkTimeoutSeconds * 1000L);
            copy.ReadTimeout = milliseconds;
            copy.WriteTimeout = milliseconds;
        }
        return copy;
    }

    private static byte[] Hash(byte[] nirHash)
    {
        ArgumentNullException.ThrowIfNull(nirHash);
        return nirHash.Length == 32 ? nirHash : throw new ArgumentException("a NIR hash is 32 bytes", nameof(nirHash));
    }

    private sealed class AdvisoryLock(NpgsqlConnection connection, string campaignId) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended('coffre-issuance:' || $1, 0))", connection);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = campaignId });
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
