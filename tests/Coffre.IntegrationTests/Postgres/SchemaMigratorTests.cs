using Coffre.Adapters.Postgres;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit;

namespace Coffre.IntegrationTests.Postgres;

public sealed class SchemaMigratorTests
{
    [Fact]
    public async Task Migrating_twice_applies_each_migration_once()
    {
        var cs = await TestServices.NewDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(cs);
        var migrator = new SchemaMigrator(dataSource);

        var first = await migrator.MigrateAsync();
        var second = await migrator.MigrateAsync();

        Assert.Equal(SchemaMigrator.Migrations.Count, first.Count);
        Assert.Empty(second);
        Assert.Equal(SchemaMigrator.ExpectedVersion, await migrator.CurrentVersionAsync());
        await migrator.EnsureCurrentAsync();
    }

    [Fact]
    public async Task Concurrent_migrations_from_several_processes_leave_one_schema()
    {
        var cs = await TestServices.NewDatabaseAsync();
        var sources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(cs)).ToList();
        var applied = await Task.WhenAll(sources.Select(s => new SchemaMigrator(s).MigrateAsync()));

        Assert.Equal(SchemaMigrator.Migrations.Count, applied.Sum(a => a.Count));
        Assert.Equal((long)SchemaMigrator.Migrations.Count, await TestServices.ScalarAsync<long>(cs, "SELECT count(*) FROM coffre_schema_version"));
        foreach (var s in sources)
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_migration_longer_than_the_connections_command_timeout_completes()
    {
        // The last migration applied again (each file can be) while another session holds a lock its statements wait
        // for: it runs longer than the connection's 1 s command timeout, as a rewrite of a national table would.
        var cs = await TestServices.NewMigratedDatabaseAsync();
        var last = SchemaMigrator.Migrations[^1];
        await TestServices.ScalarAsync<int>(cs, $"DELETE FROM coffre_schema_version WHERE version = {last.Version} RETURNING version");
        await using var holder = new NpgsqlConnection(cs);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var locks = new NpgsqlCommand("LOCK TABLE registry_person, activation_code IN ACCESS SHARE MODE", holder, hold))
        {
            await locks.ExecuteNonQueryAsync();
        }
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cs) { CommandTimeout = 1 }.ConnectionString);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var migrating = new SchemaMigrator(dataSource).MigrateAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.False(migrating.IsCompleted);
        await hold.CommitAsync();

        var applied = await migrating;
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(2), "the migration did not outlast the command timeout");
        Assert.Equal(last.Version, Assert.Single(applied).Version);
        Assert.Equal(SchemaMigrator.ExpectedVersion, await new SchemaMigrator(dataSource).CurrentVersionAsync());
    }

    [Fact]
    public async Task Empty_database_is_reported_as_needing_migration()
    {
        var cs = await TestServices.NewDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(cs);
        var error = await Assert.ThrowsAsync<SchemaVersionException>(() => new SchemaMigrator(dataSource).EnsureCurrentAsync());
        Assert.Equal(0, error.Current);
        Assert.Contains("coffre migrate", error.Message);
    }

    [Fact]
    public async Task Newer_schema_than_the_build_is_refused()
    {
        var cs = await TestServices.NewMigratedDatabaseAsync();
        await TestServices.ScalarAsync<int>(cs, $"INSERT INTO coffre_schema_version(version, name) VALUES ({SchemaMigrator.ExpectedVersion + 1}, 'future') RETURNING version");
        await using var dataSource = NpgsqlDataSource.Create(cs);
        var error = await Assert.ThrowsAsync<SchemaVersionException>(() => new SchemaMigrator(dataSource).MigrateAsync());
        Assert.Contains("newer than this build", error.Message);
    }

    [Fact]
    public async Task Upgrading_to_0022_records_the_claim_of_every_identity_grain_that_stored_state_before()
    {
        // A database as 0021 left it: identity grains' claims live only in their stored state.
        var cs = await TestServices.NewMigratedDatabaseAsync();
        await TestServices.ExecuteAsync(cs, "DROP TABLE identity_claim; DELETE FROM coffre_schema_version WHERE version >= 22");
        var claimed = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var other = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await TestServices.ExecuteAsync(cs, $"""
            INSERT INTO orleans_storage (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring, grainidhash, graintypehash, payloadbinary, version)
            VALUES ('coffre', 'nir-index-v1', 0, 0, 'nir-{claimed}', 1, 2, '\x00', 1),
                   ('coffre', 'vault-v1', 0, 0, 'nir-{other}', 1, 2, '\x00', 1),
                   ('coffre', 'nir-index-v1', 0, 0, 'nir-not-a-hash', 1, 2, '\x00', 1)
            """);

        await using var dataSource = NpgsqlDataSource.Create(cs);
        var applied = await new SchemaMigrator(dataSource).MigrateAsync();

        Assert.Contains(applied, m => m.Version == 22);
        Assert.Equal(claimed, await TestServices.ScalarAsync<string>(cs, "SELECT string_agg(encode(nir_hash, 'hex'), ',') FROM identity_claim"));
    }

    [Fact]
    public async Task Every_query_key_the_providers_need_is_present()
    {
        var cs = await TestServices.NewMigratedDatabaseAsync();
        string[] required =
        [
            "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
            "MembershipReadAllKey", "MembershipReadRowKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
            "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
            "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
            "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
            "UpsertReminderRowKey", "DeleteReminderRowKey", "DeleteReminderRowsKey",
        ];
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT querykey FROM orleansquery", connection);
        var present = new HashSet<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                present.Add(reader.GetString(0));
            }
        }
        Assert.Empty(required.Except(present));
    }
}
