using Coffre.Adapters.Postgres;
using Coffre.Application.Audit;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Audit;

/// <summary>The audit-log contract on PostgreSQL, plus what only a database allows: tampering behind the log's back.</summary>
public sealed class PostgresAuditLogTests(ITestOutputHelper output) : AuditLogContract(output)
{
    private string _connectionString = "";
    private NpgsqlDataSource? _dataSource;
    private PostgresAuditLog? _log;

    protected override IAuditLog Log => _log!;

    protected override string Name => "PostgreSQL, batched";

    public override async Task InitializeAsync()
    {
        _connectionString = await TestServices.NewMigratedDatabaseAsync();
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        _log = new PostgresAuditLog(_dataSource, HeadKey);
    }

    public override async Task DisposeAsync()
    {
        if (_log is not null)
        {
            await _log.DisposeAsync();
        }
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    /// <summary>Runs SQL as the superuser with ordinary triggers off (what the append-only trigger cannot stop).</summary>
    private async Task TamperAsync(string sql, string vault)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("SET LOCAL session_replication_role = replica", connection, tx))
        {
            await off.ExecuteNonQueryAsync();
        }
        await using (var command = new NpgsqlCommand(sql, connection, tx))
        {
            command.Parameters.AddWithValue("vault", vault);
            Assert.True(await command.ExecuteNonQueryAsync() > 0, "the tampering changed nothing");
        }
        await tx.CommitAsync();
    }

    private async Task<PostgresException> RefusedAsync(string sql, string vault)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("vault", vault);
        return await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task Chain_heads_of_new_vaults_are_read_by_index_probes_after_the_head_table_grew_under_prepared_statements()
    {
        // A young database (a few thousand chains): the first batches, each of many new vaults as activations bring them,
        // prepare the head reads (Npgsql), and PostgreSQL then keeps one generic plan for each until the next ANALYZE —
        // at this size, scans of whole tables. The tables then grow as a national activation makes them grow (a chain per
        // vault), without an ANALYZE: measured in the benchmark, 19 ms and 6 ms a batch at 40 000 chains.
        await using var explained = await ExplainedDataSource.CreateAsync(_connectionString);
        await using var log = new PostgresAuditLog(explained.Data, HeadKey);
        await log.AppendAsync(Event(NewVault(), 1));
        await GrowChainsAsync("young", 2_500);
        for (var round = 0; round < 12; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => log.AppendAsync(Event(NewVault(), 1))));
        }
        await GrowChainsAsync("grown", 50_000);

        Assert.All(await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => log.AppendAsync(Event(NewVault(), 1)))), sequence => Assert.Equal(1, sequence));

        var plan = explained.PlansOf("FROM audit_head WHERE vault_id = ANY")[^1];
        Assert.True(plan.Contains("Index Scan", StringComparison.Ordinal) && !plan.Contains("Seq Scan on audit_head", StringComparison.Ordinal), plan);
        var firstEvent = explained.PlansOf("FROM audit_head h WHERE h.vault_id = v")[^1];
        Assert.True(!firstEvent.Contains("Seq Scan on audit_head", StringComparison.Ordinal) && !firstEvent.Contains("Seq Scan on audit_event", StringComparison.Ordinal), firstEvent);
    }

    /// <summary>Other vaults' chains, each a head and its first event (copies of one real event): the sizes the planner weighs.</summary>
    private Task GrowChainsAsync(string prefix, int count) => TestServices.ExecuteAsync(_connectionString, $"""
        INSERT INTO audit_head (vault_id, seq, hash, mac)
        SELECT 'v-{prefix}-' || g, 1, '\x00', '\x00' FROM generate_series(1, {count}) g;
        INSERT INTO audit_event (vault_id, seq, at, actor_kind, actor_id, actor_profession, action, operation, target, allowed, basis, reason, prev_hash, hash, count, first_at)
        SELECT 'v-{prefix}-' || g, 1, e.at, e.actor_kind, e.actor_id, e.actor_profession, e.action, e.operation, e.target, e.allowed, e.basis, e.reason, e.prev_hash, e.hash, e.count, e.first_at
        FROM (SELECT * FROM audit_event LIMIT 1) e, generate_series(1, {count}) g;
        """);

    [Fact]
    public async Task Edited_event_is_reported_at_its_sequence()
    {
        var vault = NewVault();
        await AppendAllAsync(vault, 10);
        await TamperAsync("UPDATE audit_event SET allowed = NOT allowed WHERE vault_id = @vault AND seq = 4", vault);

        var result = await Log.VerifyAsync(vault);
        Assert.False(result.Intact);
        Assert.Equal(4, result.FirstBrokenSequence);
        Assert.Equal("event 4 was modified", result.Problem);
    }

    [Fact]
    public async Task Edited_time_is_reported_at_its_sequence()
    {
        var vault = NewVault();
        await AppendAllAsync(vault, 5);
        await TamperAsync("UPDATE audit_event SET at = at + interval '1 microsecond' WHERE vault_id = @vault AND seq = 2", vault);

        var result = await Log.VerifyAsync(vault);
        Assert.Equal(2, result.FirstBrokenSequence);
        Assert.Equal("event 2 was modified", result.Problem);
    }

    [Fact]
    public async Task Deleted_middle_event_is_reported_missing()
    {
        var vault = NewVault();
        await AppendAllAsync(vault, 10);
        await TamperAsync("DELETE FROM audit_event WHERE vault_id = @vault AND seq = 5", vault);

        var result = await Log.VerifyAsync(vault);
        Assert.False(result.Intact);
        Assert.Equal(5, result.FirstBrokenSequence);
        Assert.Equal("event 5 is missing", result.Problem);
    }

    [Fact]
    public async Task Deleted_tail_is_reported()
    {
        var vault = NewVault();
        await AppendAllAsync(vault, 10);
        await TamperAsync("DELETE FROM audit_event WHERE vault_id = @vault AND seq >= 9", vault);

        var result = await Log.VerifyAsync(vault);
        Assert.False(result.Intact);
        Assert.Equal(9, result.FirstBrokenSequence);
        Assert.Equal("events after 8 were removed", result.Problem);
    }

    [Fact]
    public async Task Head_rewritten_to_hide_a_deleted_tail_is_reported()
    {
        var vault = NewVault();
        await AppendAllAsync(vault, 10);
        await TamperAsync("""
            DELETE FROM audit_event WHERE vault_id = @vault AND seq >= 9;
            UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_event WHERE vault_id = @vault AND seq = 8) WHERE vault_id = @vault
            """, vault);

        var result = await Log.VerifyAsync(vault);
        Assert.False(result.Intact);
        Assert.Equal("chain head was modified", result.Problem);
    }

    [Fact]
    public async Task Plain_update_delete_and_truncate_of_audit_rows_are_refused()
    {
        var vault = NewVault();
        await AppendAllAsync(vault, 3);

        var update = await RefusedAsync("UPDATE audit_event SET allowed = NOT allowed WHERE vault_id = @vault AND seq = 2", vault);
        Assert.Contains("append-only", update.MessageText);
        var delete = await RefusedAsync("DELETE FROM audit_event WHERE vault_id = @vault", vault);
        Assert.Contains("append-only", delete.MessageText);
        var truncate = await RefusedAsync("TRUNCATE audit_event", vault);
        Assert.Contains("append-only", truncate.MessageText);
        var headDelete = await RefusedAsync("DELETE FROM audit_head WHERE vault_id = @vault", vault);
        Assert.Contains("never deleted", headDelete.MessageText);
        var headBack = await RefusedAsync("UPDATE audit_head SET seq = 2 WHERE vault_id = @vault", vault);
        Assert.Contains("only moves forward", headBack.MessageText);

        Assert.Equal(new ChainVerification(true, 3, null, null), await Log.VerifyAsync(vault));
    }

    [Fact]
    public async Task A_second_writer_on_the_same_vault_is_caught_up_after_a_conflict()
    {
        var vault = NewVault();
        await using var otherSource = NpgsqlDataSource.Create(_connectionString);
        await using var other = new PostgresAuditLog(otherSource, HeadKey);

        Assert.Equal(new long[] { 1, 2, 3 }, await AppendAllAsync(vault, 3));   // this writer caches head 3
        Assert.Equal(4, await other.AppendAsync(Event(vault, 4)));
        Assert.Equal(5, await other.AppendAsync(Event(vault, 5)));
        Assert.Equal(6, await Log.AppendAsync(Event(vault, 6)));              // stale cache: conflict, re-read, retry

        Assert.Equal(new ChainVerification(true, 6, null, null), await Log.VerifyAsync(vault));
    }

    [Fact]
    public void Options_out_of_range_are_refused_with_the_setting_named_when_the_log_is_built()
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgresAuditLog(_dataSource!, HeadKey, new PostgresAuditLogOptions { Linger = TimeSpan.FromMilliseconds(10) }));
        Assert.Contains("Linger", e.Message);
        Assert.Contains("must be between", e.Message);
    }

    [Fact]
    public async Task Two_writers_appending_to_the_same_vaults_at_once_leave_intact_chains()
    {
        await using var otherSource = NpgsqlDataSource.Create(_connectionString);
        await using var other = new PostgresAuditLog(otherSource, HeadKey, new PostgresAuditLogOptions { MaxConflictRetries = 50 });
        await using var mineSource = NpgsqlDataSource.Create(_connectionString);
        await using var mine = new PostgresAuditLog(mineSource, HeadKey, new PostgresAuditLogOptions { MaxConflictRetries = 50 });
        var vaults = Enumerable.Range(0, 4).Select(_ => NewVault()).ToArray();

        var appends = Enumerable.Range(0, 400).Select(i =>
        {
            var writer = i % 2 == 0 ? mine : other;
            return writer.AppendAsync(Event(vaults[i % 4], i));
        });
        await Task.WhenAll(appends);

        foreach (var vault in vaults)
        {
            Assert.Equal(new ChainVerification(true, 100, null, null), await Log.VerifyAsync(vault));
        }
    }

    [Fact]
    public async Task Dispose_writes_every_queued_event_then_refuses_more()
    {
        var vault = NewVault();
        await using var source = NpgsqlDataSource.Create(_connectionString);
        var log = new PostgresAuditLog(source, HeadKey);
        var queued = Enumerable.Range(1, 300).Select(i => log.AppendAsync(Event(vault, i))).ToList();
        await log.DisposeAsync();

        // Committed before DisposeAsync returned (callers' continuations may still be running).
        Assert.Equal(new ChainVerification(true, 300, null, null), await Log.VerifyAsync(vault));
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), (await Task.WhenAll(queued)).Order());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(Event(vault, 301)));
    }

    [Fact]
    public async Task Appends_fail_and_are_never_acknowledged_when_the_database_is_unreachable()
    {
        var missing = new NpgsqlConnectionStringBuilder(_connectionString) { Database = "no_such_database_" + Guid.NewGuid().ToString("N")[..8] };
        await using var source = NpgsqlDataSource.Create(missing.ConnectionString);
        await using var log = new PostgresAuditLog(source, HeadKey);
        var vault = NewVault();

        var attempts = Enumerable.Range(1, 20).Select(i => log.AppendAsync(Event(vault, i))).ToList();
        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAsync<PostgresException>(() => attempt);
        }
    }

    [Fact]
    public async Task A_vault_whose_head_was_removed_is_refused_while_other_vaults_append()
    {
        var broken = NewVault();
        var healthy = NewVault();
        await AppendAllAsync(broken, 2);
        await TamperAsync("DELETE FROM audit_head WHERE vault_id = @vault", broken);
        await using var source = NpgsqlDataSource.Create(_connectionString);
        await using var fresh = new PostgresAuditLog(source, HeadKey);   // nothing cached

        var refused = fresh.AppendAsync(Event(broken, 3));
        var accepted = fresh.AppendAsync(Event(healthy, 1));
        await Assert.ThrowsAsync<AuditChainBrokenException>(() => refused);
        Assert.Equal(1, await accepted);
        Assert.Equal("chain head is missing", (await fresh.VerifyAsync(broken)).Problem);
        Assert.True((await fresh.VerifyAsync(healthy)).Intact);
    }
}
