using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Coffre.Adapters.Blob;
using Coffre.Adapters.Postgres;
using Coffre.Application.Audit;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Content;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit;
using Xunit.Abstractions;
using static Coffre.IntegrationTests.Rollout.RolloutKit;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>
/// The rollout contract on PostgreSQL (a fresh migrated database per test) with print batches in Azurite, plus the SQL
/// checks only a database allows: never two valid codes for a person, and email batch lines and letters matching the codes one for one.
/// </summary>
public sealed class PostgresRolloutStoreTests(ITestOutputHelper output) : RolloutStoreContract(output)
{
    private string _connectionString = "";
    private NpgsqlDataSource? _dataSource;
    private PostgresRolloutStore? _store;
    private PostgresOutbox? _outbox;
    private BlobContainerClient? _container;
    private BlobContentStore? _content;

    protected override IRolloutStore Store => _store!;

    protected override IContentStore Content => _content!;

    protected override IOutbox Outbox => _outbox!;

    protected override string Name => "PostgreSQL + Azurite";

    protected override async Task InitializeStoreAsync()
    {
        _connectionString = await TestServices.NewMigratedDatabaseAsync();
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        _store = new PostgresRolloutStore(_dataSource);
        _outbox = new PostgresOutbox(_dataSource);
        _container = TestServices.NewContainer();
        _content = new BlobContentStore(_container);
    }

    protected override async Task DisposeStoreAsync()
    {
        if (_container is not null)
        {
            await _container.DeleteIfExistsAsync();
        }
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    private Task<long> CountAsync(string sql) => TestServices.ScalarAsync<long>(_connectionString, sql);

    /// <summary>Each registry row's person number, by NIR hash (hex).</summary>
    private async Task<Dictionary<string, long>> PersonNumbersAsync()
    {
        var numbers = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = _dataSource!.CreateCommand("SELECT nir_hash, person_no FROM registry_person");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            numbers.Add(Convert.ToHexString(reader.GetFieldValue<byte[]>(0)), reader.GetInt64(1));
        }
        return numbers;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _dataSource!.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task CheckInvariantsAsync(string campaignId)
    {
        var c = campaignId.Replace("'", "", StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM (SELECT nir_hash FROM activation_code WHERE status = 0 GROUP BY nir_hash HAVING count(*) > 1) twice"));
        // Every email code is a line of a committed email batch (its batch_no), each batch holds exactly its codes, and the
        // batches reach the outbox as one message each, never one per email.
        Assert.Equal(0, await CountAsync($"""
            SELECT count(*) FROM activation_code a
            WHERE a.campaign_id = '{c}' AND a.channel = 0
              AND NOT EXISTS (SELECT 1 FROM email_batch b WHERE b.campaign_id = a.campaign_id AND b.batch_no = a.batch_no)
            """));
        Assert.Equal(0, await CountAsync($"""
            SELECT count(*) FROM email_batch b
            WHERE b.campaign_id = '{c}'
              AND b.emails <> (SELECT count(*) FROM activation_code a WHERE a.campaign_id = b.campaign_id AND a.batch_no = b.batch_no AND a.channel = 0)
            """));
        Assert.Equal(
            await CountAsync($"SELECT count(*) FROM email_batch WHERE campaign_id = '{c}'"),
            await CountAsync($"SELECT count(*) FROM outbox WHERE kind = '{EmailBatchFiles.OutboxKind}' AND recipient = '{c}'"));
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM outbox WHERE kind = 'activation-code' AND payload->>'campaign' = '{c}'"));
        // The files carry the valid email codes (their hash's first bytes), each once.
        var lines = (await EmailBatchLines.ReadAsync(Store, Content, campaignId)).Select(l => Convert.ToHexString(l.CodeHash)).ToList();
        Assert.Equal(lines.Count, lines.Distinct().Count());
        await using (var command = _dataSource!.CreateCommand($"SELECT code_hash FROM activation_code WHERE campaign_id = '{c}' AND channel = 0 AND status = 0"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                Assert.Contains(Convert.ToHexString(reader.GetFieldValue<byte[]>(0).AsSpan(0, EmailBatchFiles.CodeHashPrefix)), lines);
            }
        }
        // Every post code is a letter of a committed batch, and each batch holds exactly its codes.
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM activation_code WHERE campaign_id = '{c}' AND channel = 1 AND batch_no IS NULL"));
        Assert.Equal(0, await CountAsync($"""
            SELECT count(*) FROM print_batch b
            WHERE b.campaign_id = '{c}'
              AND b.letters <> (SELECT count(*) FROM activation_code a WHERE a.campaign_id = b.campaign_id AND a.batch_no = b.batch_no AND a.channel = 1)
            """));
        Assert.Equal(0, await CountAsync($"""
            SELECT count(*) FROM activation_code a
            WHERE a.campaign_id = '{c}' AND a.channel = 1
              AND NOT EXISTS (SELECT 1 FROM print_batch b WHERE b.campaign_id = a.campaign_id AND b.batch_no = a.batch_no)
            """));
    }

    [Fact]
    public async Task The_partial_unique_index_refuses_a_second_valid_code_even_outside_the_store()
    {
        var people = People(1);
        await CommitRowsAsync("imp-sql", people.Select(RolloutKit.Row));
        await CampaignAsync("c-sql");
        var eligible = await EligibleAsync("c-sql");
        await CommitChunkAsync(Chunk("c-sql", eligible).Chunk);
        var error = await Assert.ThrowsAsync<PostgresException>(() => CountAsync("""
            INSERT INTO activation_code (campaign_id, nir_hash, person_no, key_id, code_hash, issued_at, expires_at, channel)
            SELECT 'c-sql', nir_hash, person_no, 1, code_hash, now(), now(), 0 FROM activation_code RETURNING 1::bigint
            """));
        Assert.Equal("activation_code_valid_idx", error.ConstraintName);
    }

    [Fact]
    public async Task A_chunk_whose_people_carry_no_registry_person_number_is_refused_and_stores_nothing()
    {
        await CommitRowsAsync("imp-nonum", People(3).Select(RolloutKit.Row));
        await CampaignAsync("c-nonum");
        var eligible = await EligibleAsync("c-nonum");
        var unnumbered = eligible.Select((p, i) => i == 1 ? p with { PersonNo = 0 } : p).ToList();
        var error = await Assert.ThrowsAsync<RolloutException>(() => CommitChunkAsync(Chunk("c-nonum", unnumbered).Chunk));
        Assert.Contains("person number", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM activation_code"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM print_batch"));
    }

    [Fact]
    public async Task A_settlement_appends_each_activation_event_to_its_vaults_chain_in_its_own_transaction_unless_the_chain_moved()
    {
        await CommitRowsAsync("imp-aud", People(3).Select(RolloutKit.Row));
        await CampaignAsync("c-aud");
        var eligible = await EligibleAsync("c-aud");
        await CommitChunkAsync(Chunk("c-aud", eligible).Chunk);
        await using var log = new PostgresAuditLog(_dataSource!, RandomNumberGenerator.GetBytes(32));
        var store = new PostgresRolloutStore(_dataSource!, audit: log);
        var (a, b, c) = (eligible[0], eligible[1], eligible[2]);
        // b's chain already holds an event the log wrote (and whose head the log keeps in memory).
        Assert.Equal(1, await log.AppendAsync(Event(b.VaultId, "vault.read")));

        var found = await store.FindValidCodesAsync([a.NirHash, b.NirHash, c.NirHash]);
        Assert.Equal([0L, 1L, 0L], found.Select(f => f!.AuditTip!.Sequence));
        Assert.Null((await Store.FindValidCodesAsync([a.NirHash]))[0]!.AuditTip); // a store without the log offers no tip
        ActivationConsume Consume(EligiblePerson person, ActivationCodeRecord code) =>
            new(code.CodeId, person.NirHash, Event(person.VaultId, "vault.activate"), code.AuditTip);

        var settled = await store.SettleActivationsAsync(new ActivationSettlement([Consume(a, found[0]!), Consume(b, found[1]!)], [], 3, T0, T0));
        Assert.Equal(new[] { found[0]!.CodeId, found[1]!.CodeId }.Order(), settled.Used.Order());
        Assert.Equal(settled.Used.Order(), settled.Audited.Order());
        Assert.Equal("vault.activate", Assert.Single((await log.ReadAsync(a.VaultId, null, 10)).Items).Event.Operation);
        // The log continues b's chain after the settlement's event (its cached head is dropped, not trusted), and both verify.
        Assert.Equal(3, await log.AppendAsync(Event(b.VaultId, "vault.read")));
        Assert.True((await log.VerifyAsync(a.VaultId)).Intact);
        Assert.Equal(new ChainVerification(true, 3, null, null), await log.VerifyAsync(b.VaultId));

        // c's chain moves after its tip was read: the code is still used and the person activated, the event left to the caller.
        Assert.Equal(1, await log.AppendAsync(Event(c.VaultId, "vault.read")));
        var late = await store.SettleActivationsAsync(new ActivationSettlement([Consume(c, found[2]!)], [], 3, T0, T0));
        Assert.Equal([found[2]!.CodeId], late.Used);
        Assert.Empty(late.Audited);
        Assert.Equal(PersonStatus.Activated, (await Store.FindPersonAsync(c.NirHash))!.Status);
        Assert.Equal(new ChainVerification(true, 1, null, null), await log.VerifyAsync(c.VaultId));
    }

    private static AuditEvent Event(string vaultId, string operation) =>
        AuditEvents.Create(vaultId, Caller.Operator("system:test"), operation, "vault", AccessDecision.Allow(LegalBasis.Grant, "test"), T0);

    [Fact]
    public async Task Eligible_people_stream_once_each_and_each_chunk_is_copied_in_key_order()
    {
        var people = People(300);
        await ImportAsync(people, "imp-order");
        var departements = people.Select(p => p.Address!.Departement).Distinct().Take(3).ToArray();
        await CampaignAsync("c-order-all");
        await CampaignAsync("c-order-seg", departements);

        // Read as PostgreSQL finds cheapest (no ORDER BY): everyone eligible exactly once, each with a place in the table
        // in (0, 1], under their registry person number. The chunk, whatever the stream's order, COPYs its people in
        // person-number order (the valid-code index's key).
        foreach (var (campaign, expected) in new[] { ("c-order-all", people.Count), ("c-order-seg", people.Count(p => departements.Contains(p.Address!.Departement))) })
        {
            var streamed = new List<EligiblePerson>();
            var tally = new EligibleReadTally();
            var places = new List<double>();
            await foreach (var person in Store.StreamEligibleAsync(campaign, tally))
            {
                streamed.Add(person);
                places.Add(tally.Place);
            }
            Assert.Equal(expected, streamed.Count);
            Assert.Equal(expected, streamed.Select(p => Convert.ToHexString(p.NirHash)).Distinct().Count());
            Assert.All(places, place => Assert.InRange(place, double.Epsilon, 1));
            var numbers = await PersonNumbersAsync();
            Assert.All(streamed, p => Assert.Equal(numbers[Convert.ToHexString(p.NirHash)], p.PersonNo));

            var chunk = Chunk(campaign, streamed).Chunk;
            var inKeyOrder = Enumerable.Range(0, chunk.Count).Select(rank => chunk.PersonInKeyOrder(rank)).ToList();
            Assert.Equal(expected, inKeyOrder.Distinct().Count());
            Assert.All(inKeyOrder.Zip(inKeyOrder.Skip(1)), pair => Assert.True(chunk.PersonNo(pair.First) < chunk.PersonNo(pair.Second),
                $"{campaign}: the chunk's key order is not ascending"));
        }
    }

    [Fact]
    public async Task Person_numbers_follow_the_registrys_order_are_never_reused_and_key_each_code()
    {
        // An initial load interrupted after two chunks, then an opposition of someone not yet loaded (their row, and their
        // number, come first), then the load completes: the rest are numbered in file order, which is also the table's
        // physical order, and the opposed person keeps the number their row was given.
        var people = People(60);
        var file = WriteFile(Files, people.Take(50));
        await InterruptedImportAsync("imp-no", file);
        var opposed = Convert.ToHexString(NirHash(people[40]));
        await Store.RecordOppositionAsync(new OppositionRequest(NirHash(people[40]), OppositionChannel.Operator, "operator:9", T0));
        var opposedNumber = (await PersonNumbersAsync())[opposed];
        await Importer(Store, chunkSize: 10).ImportAsync("imp-no", file, file + ".rejects");

        var loaded = await PersonNumbersAsync();
        Assert.Equal(50, loaded.Values.Distinct().Count());
        Assert.Equal(opposedNumber, loaded[opposed]);
        var inFileOrder = people.Take(50).Select(p => Convert.ToHexString(NirHash(p))).Where(h => h != opposed).Select(h => loaded[h]).ToList();
        Assert.Equal(inFileOrder.Order(), inFileOrder);
        var inHeapOrder = new List<long>();
        await using (var command = _dataSource!.CreateCommand($"SELECT person_no FROM registry_person WHERE nir_hash <> '\\x{opposed}'::bytea ORDER BY ctid"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                inHeapOrder.Add(reader.GetInt64(0));
            }
        }
        Assert.Equal(inFileOrder, inHeapOrder);

        // An upsert changes ten people and adds ten: the ten keep their numbers, the newcomers get higher ones.
        await ImportAsync(people.Take(10).Select(p => p with { GivenNames = "Renommé" }).Concat(people.Skip(50)), "imp-no-2");
        var after = await PersonNumbersAsync();
        Assert.Equal(60, after.Values.Distinct().Count());
        Assert.All(loaded, pair => Assert.Equal(pair.Value, after[pair.Key]));
        Assert.All(people.Skip(50), p => Assert.True(after[Convert.ToHexString(NirHash(p))] > loaded.Values.Max()));

        // Each code carries its person's number; a revocation by NIR finds the code through it.
        await CampaignAsync("c-no");
        await CommitChunkAsync(Chunk("c-no", await EligibleAsync("c-no")).Chunk);
        Assert.Equal(59, await CountAsync("SELECT count(*) FROM activation_code c JOIN registry_person p ON p.nir_hash = c.nir_hash AND p.person_no = c.person_no"));
        Assert.Equal(1, await Store.RevokeCodesAsync(NirHash(people[3]), T0));
        Assert.Equal(58, await CountAsync("SELECT count(*) FROM activation_code WHERE status = 0"));
    }

    [Fact]
    public async Task The_email_routers_lookup_probes_each_persons_code_even_when_the_statistics_predate_the_issuance()
    {
        // Statistics taken while the code table held no valid code (a first campaign's codes all used), then a campaign
        // COPYed in: what the email router finds right after an issuance, before autovacuum catches up. A join of the
        // registry rows with "every valid code" then looked cheap and scanned them all for each page (2.3 s a page at
        // 100 000 codes); the lookup must reach each person's code by one probe of the valid-code index whatever the estimates.
        var people = People(1500);
        await ImportAsync(people, "imp-plan");
        await CampaignAsync("c-plan-old");
        await CommitChunkAsync(Chunk("c-plan-old", (await EligibleAsync("c-plan-old")).Take(300)).Chunk);
        await ExecuteAsync("UPDATE activation_code SET status = 1, closed_at = now()");
        await ExecuteAsync("ANALYZE activation_code");
        await CampaignAsync("c-plan");
        await CommitChunkAsync(Chunk("c-plan", await EligibleAsync("c-plan")).Chunk);

        await using var explained = await ExplainedDataSource.CreateAsync(_connectionString);
        var vaults = people.Take(200).Select(p => RegistryVaultIds.For(NirHash(p))).ToList();
        var found = await new PostgresRolloutStore(explained.Data).FindEmailRecipientsAsync(vaults);

        Assert.Equal(200, found.Count);
        var plan = Assert.Single(explained.PlansOf("FROM activation_code v"));
        Assert.Contains("Index Scan using activation_code_valid_idx", plan, StringComparison.Ordinal);
        Assert.Contains("Index Cond: (person_no = p.person_no)", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Bitmap Heap Scan on activation_code", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activation_rewrites_a_registry_row_on_its_own_page_without_touching_the_indexes_after_an_initial_load()
    {
        // About seven full pages of people, loaded as a national import is (COPY into the load table, indexes built after).
        await ImportAsync(People(200), "imp-hot");
        Assert.Equal(ImportMode.InitialLoad, (await Store.GetImportAsync("imp-hot"))!.Mode);
        await CampaignAsync("c-hot");
        await CommitChunkAsync(Chunk("c-hot", await EligibleAsync("c-hot")).Chunk);
        // The first two rows of every page: both new versions fit in the tenth a page keeps free, so no pruning (which
        // concurrent snapshots may hold back) is needed; a page filled to the brim has room for neither.
        var chosen = new List<byte[]>();
        await using (var command = _dataSource!.CreateCommand("SELECT nir_hash FROM registry_person WHERE (ctid::text::point)[1] <= 2"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                chosen.Add(reader.GetFieldValue<byte[]>(0));
            }
        }
        Assert.InRange(chosen.Count, 12, 20);
        var (updated, hot) = await RegistryUpdatesAsync();

        foreach (var nirHash in chosen)
        {
            var code = (await Store.FindValidCodeAsync(nirHash))!;
            Assert.Single((await Store.SettleActivationsAsync(new ActivationSettlement([new(code.CodeId, nirHash)], [], 3, T0, T0))).Used);
        }

        // The pool's connections close, so their backends hand in their statistics.
        _dataSource.Clear();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var (updatedAfter, hotAfter) = await RegistryUpdatesAsync();
        while (updatedAfter - updated < chosen.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            (updatedAfter, hotAfter) = await RegistryUpdatesAsync();
        }
        Assert.Equal(chosen.Count, updatedAfter - updated);
        Assert.Equal(chosen.Count, hotAfter - hot);
    }

    private async Task<(long Updated, long Hot)> RegistryUpdatesAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'registry_person'::regclass", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    [Fact]
    public async Task Closing_the_window_walks_the_code_table_by_ranges_of_its_blocks_to_the_last()
    {
        var people = People(300);
        await ImportAsync(people);
        var campaign = await CampaignAsync("c-blocks");
        Assert.Equal(300, (await Issuance(Store, Content, chunkSize: 70).IssueAsync("c-blocks")).Issued);
        var pages = await CountAsync("SELECT pg_relation_size('activation_code') / current_setting('block_size')::int");
        Assert.InRange(pages, 5, 12);

        // A chunk of 48 codes is one page here: one statement a page, and the last one knows it was the last.
        var closed = await new OppositionWindow(Store, new FixedClock(campaign.OppositionWindowEndsAt.AddSeconds(1))).CloseAsync("c-blocks", chunkSize: 48);
        Assert.Equal((300L, 300L, (int)pages), (closed.CodesRead, closed.VaultsCreated, closed.Chunks));
        Assert.Equal(300, await CountAsync("SELECT count(*) FROM registry_person WHERE window_closed_at IS NOT NULL"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_registry_and_code_tables_carry_only_the_intended_indexes(bool afterInitialLoad)
    {
        if (afterInitialLoad)
        {
            await ImportAsync(People(30), "imp-idx");
            Assert.Equal(ImportMode.InitialLoad, (await Store.GetImportAsync("imp-idx"))!.Mode);
            Assert.Equal(0, await CountAsync("SELECT count(*) FROM pg_class WHERE relname = 'registry_load'"));
            Assert.Equal(1, await CountAsync("SELECT count(*) FROM pg_constraint WHERE conname = 'registry_person_pkey' AND contype = 'p'"));
            Assert.Equal(2, await CountAsync("SELECT count(*) FROM pg_constraint WHERE conrelid = 'registry_person'::regclass AND contype = 'c'"));
        }
        // Autovacuum back on after the initial load, and room on every page for activation's update (migration 0023).
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM pg_class WHERE relname = 'registry_person' AND reloptions = '{fillfactor=90}'"));
        var indexes = new List<string>();
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT indexname FROM pg_indexes WHERE tablename IN ('registry_person', 'activation_code') ORDER BY indexname
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            indexes.Add(reader.GetString(0));
        }
        Assert.Equal(new[]
        {
            "activation_code_campaign_brin", "activation_code_locked_idx", "activation_code_valid_idx",
            "registry_person_departement_idx", "registry_person_pkey", "registry_person_vault_id_key",
        }, indexes);
    }
}
