using System.Text;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using static Coffre.IntegrationTests.Rollout.RolloutKit;
using Coffre.Domain.Rollout;
using Xunit.Abstractions;
using Xunit;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>
/// The contract every <see cref="IRolloutStore"/> passes, PostgreSQL (cluster, with Azurite for print batches) and
/// in-memory (embedded, local disk) alike: the store's operations, then import, opposition and issuance end to end.
/// </summary>
public abstract partial class RolloutStoreContract(ITestOutputHelper output) : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private readonly string _files = Path.Combine(Path.GetTempPath(), "coffre-rollout-" + Guid.NewGuid().ToString("N")[..12]);

    protected ITestOutputHelper Output { get; } = output;

    protected abstract IRolloutStore Store { get; }

    protected abstract IContentStore Content { get; }

    protected abstract IOutbox Outbox { get; }

    /// <summary>Store-specific checks after an issuance (the PostgreSQL tests count rows in SQL).</summary>
    protected virtual Task CheckInvariantsAsync(string campaignId) => Task.CompletedTask;

    protected abstract Task InitializeStoreAsync();

    protected abstract Task DisposeStoreAsync();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_files);
        await InitializeStoreAsync();
    }

    public async Task DisposeAsync()
    {
        await DisposeStoreAsync();
        Directory.Delete(_files, recursive: true);
    }

    protected string Files => _files;

    // ------------------------------------------------------------------ helpers

    private static long _nextIndex = 1000;

    /// <summary>
    /// Synthetic adults not used by another test of this process (the registry is per test anyway). Minors are left out:
    /// their codes go to their legal representatives, who need not be among these people (RolloutStoreContract.Minors.cs).
    /// </summary>
    protected static List<PersonRecord> People(int count)
    {
        var people = new List<PersonRecord>(count);
        while (people.Count < count)
        {
            var person = Person(Interlocked.Increment(ref _nextIndex));
            if (person.RepresentativeNirs.Count == 0)
            {
                people.Add(person);
            }
        }
        return people;
    }

    protected async Task CommitRowsAsync(string importId, IEnumerable<RegistryRow> rows)
    {
        var run = await Store.GetImportAsync(importId) ?? await Store.BeginImportAsync(importId, "test.csv", new string('a', 64), T0);
        using var chunk = new ImportChunk(importId, run.LinesDone, T0);
        var line = run.LinesDone;
        foreach (var row in rows)
        {
            Assert.True(chunk.Add(++line, row));
        }
        await Store.CommitImportChunkAsync(chunk);
    }

    protected Task<Campaign> CampaignAsync(string id, IReadOnlyList<string>? departements = null, TimeSpan? validity = null) =>
        Store.CreateCampaignAsync(new NewCampaign(id, "Campaign " + id, departements, "operator:test", CodeValidity: validity), T0);

    /// <summary>A chunk giving each person a code: email when they have one, else a letter in batch <paramref name="batchNo"/>.</summary>
    protected static (IssuanceChunk Chunk, Dictionary<string, string> Codes) Chunk(string campaignId, IEnumerable<EligiblePerson> people, int batchNo = 1,
        short keyId = 1, DateTimeOffset? issuedAt = null, TimeSpan? validity = null)
    {
        var list = people.ToList();
        var hasher = Hasher(keyId);
        var chunk = new IssuanceChunk(Math.Max(1, list.Count));
        var at = issuedAt ?? T0;
        var expires = at + (validity ?? TimeSpan.FromDays(42));
        chunk.Reset(campaignId, keyId, at, expires);
        var codes = new Dictionary<string, string>();
        foreach (var person in list)
        {
            var code = ActivationCodes.Generate();
            codes[person.VaultId] = code;
            if (person.HasEmail)
            {
                chunk.AddEmail(person.NirHash, person.PersonNo, person.VaultId, code);
            }
            else
            {
                chunk.AddLetter(person.NirHash, person.PersonNo, person.VaultId, code);
            }
        }
        chunk.HashCodes(hasher);
        chunk.BatchNo = batchNo;
        if (chunk.Letters > 0)
        {
            chunk.PrintBatch = new PrintBatch(campaignId, batchNo, PrintBatchFiles.CsvKey(campaignId, batchNo), chunk.Letters, new string('0', 64), at);
        }
        return (chunk, codes);
    }

    /// <summary>
    /// Commits a chunk built by <see cref="Chunk"/> as issuance does: its email batch file first (in the content store;
    /// an email-only chunk takes the campaign's next free batch number), then the store's one transaction.
    /// </summary>
    protected async Task CommitChunkAsync(IssuanceChunk chunk)
    {
        if (chunk.Emails > 0 && chunk.EmailBatch is null)
        {
            if (chunk.Letters == 0)
            {
                do
                {
                    chunk.BatchNo = await Store.AllocatePrintBatchAsync(chunk.CampaignId);
                }
                while (await Store.GetEmailBatchAsync(chunk.CampaignId, chunk.BatchNo.Value) is not null);
            }
            var key = EmailBatchFiles.FileKey(chunk.CampaignId, chunk.BatchNo!.Value);
            var lines = new System.Buffers.ArrayBufferWriter<byte>();
            EmailBatchFiles.Write(lines, chunk, Cipher);
            using var file = new MemoryStream(lines.WrittenSpan.ToArray());
            var stored = await Content.WriteAsync(new ContentKey(key), file);
            chunk.EmailBatch = new EmailBatch(chunk.CampaignId, chunk.BatchNo.Value, key, chunk.Emails, stored.Sha256, chunk.IssuedAt);
        }
        await Store.CommitIssuanceAsync(chunk);
    }

    /// <summary>The activation emails the router would still send, from every campaign's email batch files.</summary>
    protected Task<List<OutboxMessage>> ActivationMessagesAsync() => EmailBatchLines.SendableAsync(Store, Content);

    /// <summary>Imports <paramref name="file"/> in chunks of 10 lines and cancels the import once two chunks are committed.</summary>
    protected async Task InterruptedImportAsync(string importId, string file)
    {
        using var cancel = new CancellationTokenSource();
        var chunks = 0;
        var progress = new SyncProgress<ImportProgress>(_ =>
        {
            if (++chunks == 2)
            {
                cancel.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Importer(Store, chunkSize: 10).ImportAsync(importId, file, file + ".rejects", progress, cancel.Token));
    }

    protected async Task ImportAsync(IEnumerable<PersonRecord> people, string? importId = null, int chunkSize = 100_000)
    {
        var file = WriteFile(Files, people);
        var result = await Importer(Store, chunkSize).ImportAsync(importId ?? "imp-" + Guid.NewGuid().ToString("N")[..8], file, file + ".rejects");
        Assert.Equal(0, result.Rejected);
    }

    // ------------------------------------------------------------------ import and registry

    [Fact]
    public async Task Import_chunk_inserts_then_updates_without_duplicates_and_moves_the_checkpoint()
    {
        var people = People(5);
        var run = await Store.BeginImportAsync("imp-1", "people.csv", new string('b', 64), T0);
        Assert.Equal(0, run.LinesDone);

        using (var chunk = new ImportChunk("imp-1", 0, T0))
        {
            Assert.True(chunk.Add(1, Row(people[0])));
            Assert.True(chunk.Add(2, Row(people[1])));
            Assert.False(chunk.Add(3, Row(people[1])));       // same NIR twice in a chunk: refused, the importer splits
            chunk.Reject(new RowError(3, "nir", "is required"));
            Assert.True(chunk.Add(4, Row(people[2])));
            await Store.CommitImportChunkAsync(chunk);
        }
        run = (await Store.GetImportAsync("imp-1"))!;
        Assert.Equal((4L, 3L, 1L), (run.LinesDone, run.RowsAccepted, run.RowsRejected));

        // The next chunk updates person 1 (new email) and adds person 3.
        var moved = people[1] with { Email = "moved@example.test" };
        using (var chunk = new ImportChunk("imp-1", 4, T0.AddMinutes(1)))
        {
            chunk.Add(5, Row(moved));
            chunk.Add(6, Row(people[3]));
            await Store.CommitImportChunkAsync(chunk);
        }
        Assert.Equal(4, await Store.CountPeopleAsync());
        var stored = (await Store.FindPersonAsync(NirHash(people[1])))!;
        Assert.Equal("moved@example.test", stored.Email);
        Assert.Equal(T0.AddMinutes(1), stored.UpdatedAt);
        Assert.Equal(PersonStatus.Registered, stored.Status);

        // A chunk that does not continue from the checkpoint is refused and stores nothing.
        using (var stale = new ImportChunk("imp-1", 4, T0))
        {
            stale.Add(5, Row(people[4]));
            await Assert.ThrowsAsync<ImportCheckpointException>(() => Store.CommitImportChunkAsync(stale));
        }
        Assert.Null(await Store.FindPersonAsync(NirHash(people[4])));

        var completed = await Store.CompleteImportAsync("imp-1", T0.AddHours(1));
        Assert.Equal(T0.AddHours(1), completed.CompletedAt);
        using (var late = new ImportChunk("imp-1", 6, T0))
        {
            late.Add(7, Row(people[4]));
            await Assert.ThrowsAsync<ImportCheckpointException>(() => Store.CommitImportChunkAsync(late));
        }
    }

    [Fact]
    public async Task An_import_resumes_only_with_the_same_file()
    {
        await Store.BeginImportAsync("imp-sha", "a.csv", new string('c', 64), T0);
        Assert.Equal(new string('c', 64), (await Store.BeginImportAsync("imp-sha", "a.csv", new string('C', 64), T0.AddHours(1))).FileSha256);
        var error = await Assert.ThrowsAsync<ImportFileMismatchException>(() => Store.BeginImportAsync("imp-sha", "a.csv", new string('d', 64), T0));
        Assert.Equal(new string('c', 64), error.Expected);
    }

    [Fact]
    public async Task A_person_is_found_by_nir_hash_and_by_the_derived_vault_id_with_every_field()
    {
        var minor = Enumerable.Range(1, 200).Select(i => Person(i)).First(p => p.RepresentativeNirs.Count > 0);
        await CommitRowsAsync("imp-find", [Row(minor)]);

        var byNir = (await Store.FindPersonAsync(NirHash(minor)))!;
        var vaultId = RegistryVaultIds.For(NirHash(minor));
        Assert.True(Ids.IsVaultId(vaultId));
        Assert.Equal(vaultId, byNir.VaultId);
        var byVault = (await Store.FindPersonByVaultIdAsync(vaultId))!;
        foreach (var person in new[] { byNir, byVault })
        {
            Assert.Equal(NirHash(minor), person.NirHash);
            Assert.Equal(Nir.Mask(minor.Nir), person.NirMasked);
            Assert.Equal(minor.BirthDate, person.BirthDate);
            Assert.Equal((minor.FamilyName, minor.GivenNames, minor.Sex, minor.Email), (person.FamilyName, person.GivenNames, person.Sex, person.Email));
            Assert.Equal(minor.Address, person.Address);
            Assert.Equal(minor.Address!.Departement, person.Departement);
            Assert.Equal(minor.VitaleSerial is null ? null : VitaleHash(minor.VitaleSerial), person.VitaleHash);
            Assert.Equal(minor.RepresentativeNirs.Select(NirHash), person.RepresentativeNirHashes);
            Assert.Equal(minor.RepresentativeNirs.Select(n => RegistryVaultIds.For(NirHash(n))), person.RepresentativeVaultIds);
            Assert.Equal("imp-find", person.ImportId);
            Assert.False(person.Opposed);
        }
        Assert.Null(await Store.FindPersonByVaultIdAsync(Ids.NewVaultId()));
        Assert.Null(await Store.FindPersonAsync(new byte[32]));
    }

    // ------------------------------------------------------------------ campaigns

    [Fact]
    public async Task Campaign_creation_is_idempotent_and_checked()
    {
        var created = await CampaignAsync("c-75", ["75", "2a", "75"]);
        Assert.Equal(new[] { "2A", "75" }, created.Departements);
        Assert.Equal(T0.AddDays(42), created.OppositionWindowEndsAt);
        Assert.Equal(TimeSpan.FromDays(42), created.CodeValidity);
        Assert.Equal(CampaignStatus.Created, created.Status);
        Assert.Equal(created, await CampaignAsync("c-75", ["2A", "75"]));
        Assert.Equal(created, await Store.GetCampaignAsync("c-75"));

        await Assert.ThrowsAsync<CampaignConflictException>(() => CampaignAsync("c-75", ["75"]));
        await Assert.ThrowsAsync<ArgumentException>(() => CampaignAsync("C 75"));
        await Assert.ThrowsAsync<ArgumentException>(() => CampaignAsync("c-empty", []));
        Assert.Null(await Store.GetCampaignAsync("nope"));

        var everyone = await Store.CreateCampaignAsync(new NewCampaign("c-all", "All", null, "op", TimeSpan.FromDays(7), TimeSpan.FromDays(10)), T0);
        Assert.Null(everyone.Departements);
        Assert.Equal(T0.AddDays(7), everyone.OppositionWindowEndsAt);
        Assert.Equal(new[] { "c-75", "c-all" }, (await Store.ListCampaignsAsync()).Select(c => c.CampaignId));

        await Store.SetCampaignStatusAsync("c-all", CampaignStatus.Closed);
        Assert.Equal(CampaignStatus.Closed, (await Store.GetCampaignAsync("c-all"))!.Status);
        await Assert.ThrowsAsync<CampaignNotFoundException>(() => Store.SetCampaignStatusAsync("nope", CampaignStatus.Closed));

        Assert.Equal(1, await Store.AllocatePrintBatchAsync("c-75"));
        Assert.Equal(2, await Store.AllocatePrintBatchAsync("c-75"));
        Assert.Equal(1, await Store.AllocatePrintBatchAsync("c-all"));
        await Assert.ThrowsAsync<CampaignNotFoundException>(() => Store.AllocatePrintBatchAsync("nope"));
    }

    [Fact]
    public async Task Eligible_people_page_by_nir_hash_within_the_segment()
    {
        var people = People(40);
        var unreachable = people[0] with { Email = null, Address = null };
        await CommitRowsAsync("imp-el", [Row(unreachable), .. people.Skip(1).Select(Row)]);
        var departements = people.Skip(1).Select(p => p.Address!.Departement).Distinct().Take(3).ToArray();
        await CampaignAsync("c-seg", departements);
        await CampaignAsync("c-all");

        var all = await EligibleAsync("c-all");
        var expected = people.Skip(1).Select(NirHash).OrderBy(h => h, ByteOrder).ToList();
        Assert.Equal(expected, all.Select(p => p.NirHash));
        Assert.Equal(39, await Store.CountEligibleAsync("c-all"));

        var streamed = new List<EligiblePerson>();
        await foreach (var person in Store.StreamEligibleAsync("c-all"))
        {
            streamed.Add(person);
        }
        Assert.Equal(expected, streamed.Select(p => p.NirHash).OrderBy(h => h, ByteOrder));

        var inSegment = people.Skip(1).Where(p => departements.Contains(p.Address!.Departement)).ToList();
        var segment = await EligibleAsync("c-seg");
        Assert.Equal(inSegment.Select(NirHash).OrderBy(h => h, ByteOrder), segment.Select(p => p.NirHash));
        Assert.Equal(inSegment.Count, await Store.CountEligibleAsync("c-seg"));

        foreach (var person in all)
        {
            var source = people.Single(p => NirHash(p).SequenceEqual(person.NirHash));
            Assert.Equal(RegistryVaultIds.For(person.NirHash), person.VaultId);
            Assert.Equal(source.Email is not null, person.HasEmail);
            if (person.HasEmail)
            {
                Assert.Null(person.Address);   // an email person's address is not needed (nor sent)
            }
            else
            {
                Assert.Equal((source.GivenNames, source.FamilyName, source.Address), (person.GivenNames, person.FamilyName, person.Address));
            }
        }
        Assert.NotNull(await Store.FindEligibleAsync("c-all", NirHash(people[5])));
        Assert.Null(await Store.FindEligibleAsync("c-all", NirHash(unreachable)));
    }

    // ------------------------------------------------------------------ issuance chunks

    [Fact]
    public async Task An_issuance_chunk_stores_codes_its_email_batch_and_its_print_batch_together()
    {
        var people = People(12).Select((p, i) => p with { Email = i % 2 == 0 ? null : $"p{i}@example.test" }).ToList();
        await CommitRowsAsync("imp-iss", people.Select(Row));
        await CampaignAsync("c-iss");
        var eligible = await EligibleAsync("c-iss");
        var (chunk, codes) = Chunk("c-iss", eligible, batchNo: await Store.AllocatePrintBatchAsync("c-iss"));
        await CommitChunkAsync(chunk);

        var counts = await Store.GetCampaignCountsAsync("c-iss", T0);
        Assert.Equal(0, counts.Eligible);
        Assert.Equal(12, counts.IssuedValid);
        Assert.Equal(chunk.Emails, counts.ValidByEmail);
        Assert.Equal(chunk.Letters, counts.ValidByPost);
        Assert.Equal(chunk.Emails, counts.EmailCodes);
        Assert.Equal(chunk.Emails, counts.EmailsPending);
        Assert.Equal((1L, (long)chunk.Letters), (counts.PrintBatches, counts.Letters));
        Assert.True(chunk.Emails > 0 && chunk.Letters > 0);

        var batch = Assert.Single(await Store.ListPrintBatchesAsync("c-iss"));
        Assert.Equal((1, chunk.Letters, "print/c-iss/000001.csv"), (batch.BatchNo, batch.Letters, batch.ContentKey));

        var hasher = Hasher();
        foreach (var person in eligible)
        {
            var valid = (await Store.FindValidCodeAsync(person.NirHash))!;
            Assert.Equal(("c-iss", (short)1, T0, T0.AddDays(42), 0), (valid.CampaignId, valid.KeyId, valid.IssuedAt, valid.ExpiresAt, valid.Attempts));
            Assert.True(hasher.Verify(codes[person.VaultId], valid.KeyId, valid.CodeHash));
            Assert.Equal(person.VaultId, valid.VaultId);
            Assert.True(valid.PersonRegistered);
            var source = people.Single(p => NirHash(p).SequenceEqual(person.NirHash));
            Assert.Equal(source.BirthDate, valid.BirthDate);
        }
        var messages = await ActivationMessagesAsync();
        Assert.Equal(chunk.Emails, messages.Count);
        foreach (var message in messages)
        {
            Assert.Equal(OutboxChannel.Email, message.Channel);
            Assert.Equal(codes[message.Recipient], Cipher.DecryptCode(message.PayloadJson, message.Recipient));
            Assert.Equal("c-iss", DeliveryPayload.Parse(message.PayloadJson).Campaign);
        }

        // The emails are one batch under the chunk's number, handed to the router by ONE outbox message (no row per email).
        var emails = Assert.Single(await Store.ListEmailBatchesAsync("c-iss"));
        Assert.Equal((1, chunk.Emails, "email/c-iss/000001.bin", 0, (DateTimeOffset?)null), (emails.BatchNo, emails.Emails, emails.ContentKey, emails.SentThrough, emails.CompletedAt));
        Assert.Equal(emails, await Store.GetEmailBatchAsync("c-iss", 1));
        var handed = Assert.Single(await Outbox.ClaimAsync(1_000, TimeSpan.FromMinutes(1)));
        Assert.Equal((EmailBatchFiles.MessageId("c-iss", 1), OutboxChannel.Email, "c-iss", EmailBatchFiles.OutboxKind),
            (handed.Id, handed.Channel, handed.Recipient, handed.Kind));
        Assert.Equal(("c-iss", 1), EmailBatchFiles.ParseMessagePayload(handed.PayloadJson));
        var lines = await EmailBatchLines.ReadAsync(Store, Content, "c-iss");
        Assert.Equal(eligible.Where(p => p.HasEmail).Select(p => p.VaultId).Order(), lines.Select(l => l.VaultId).Order());
        foreach (var line in lines)
        {
            var valid = (await Store.FindValidCodeAsync(eligible.Single(p => p.VaultId == line.VaultId).NirHash))!;
            Assert.True(line.Carries(valid.CodeHash));
        }
    }

    [Fact]
    public async Task Replaying_a_committed_chunk_stores_nothing_more()
    {
        var people = People(5).Select(p => p with { Email = $"{Guid.NewGuid():N}@example.test" }).ToList();
        await CommitRowsAsync("imp-rep", people.Select(Row));
        await CampaignAsync("c-rep");
        var eligible = await EligibleAsync("c-rep");
        var (chunk, _) = Chunk("c-rep", eligible);
        await CommitChunkAsync(chunk);
        var before = await Store.GetCampaignCountsAsync("c-rep", T0);

        await Assert.ThrowsAsync<IssuanceConflictException>(() => Store.CommitIssuanceAsync(chunk));

        Assert.Equal(before, await Store.GetCampaignCountsAsync("c-rep", T0));
        Assert.Equal(5, Assert.Single(await Store.ListEmailBatchesAsync("c-rep")).Emails);
        Assert.Single(await Outbox.ClaimAsync(1_000, TimeSpan.FromMinutes(1)), m => m.Kind == EmailBatchFiles.OutboxKind);
        Assert.Equal(5, (await EmailBatchLines.ReadAsync(Store, Content, "c-rep")).Count);
    }

    [Fact]
    public async Task An_email_batch_advances_once_per_page_requeues_idempotently_and_counts_what_is_pending()
    {
        var people = People(6).Select(p => p with { Email = $"{Guid.NewGuid():N}@example.test" }).ToList();
        await CommitRowsAsync("imp-adv", people.Select(Row));
        await CampaignAsync("c-adv");
        var (chunk, _) = Chunk("c-adv", await EligibleAsync("c-adv"));
        await CommitChunkAsync(chunk);
        var batchNo = chunk.BatchNo!.Value;
        Assert.Equal(6, (await Store.GetCampaignCountsAsync("c-adv", T0)).EmailsPending);
        var lines = await EmailBatchLines.ReadAsync(Store, Content, "c-adv");

        // Lines 0..3: two sent, one bounced, one requeued (a transient failure) as an ordinary activation-code message.
        var requeued = EmailBatchLines.Message(lines[3]);
        Assert.True(await Store.AdvanceEmailBatchAsync(new EmailBatchAdvance("c-adv", batchNo, 0, 4, 2, 1, 0, [requeued], null)));
        // A second router with the same page finds sent_through moved: nothing changes, nothing is counted twice.
        Assert.False(await Store.AdvanceEmailBatchAsync(new EmailBatchAdvance("c-adv", batchNo, 0, 4, 2, 1, 0, [requeued], null)));
        var batch = (await Store.GetEmailBatchAsync("c-adv", batchNo))!;
        Assert.Equal((4, 2, 1, 0, 1, (DateTimeOffset?)null), (batch.SentThrough, batch.Sent, batch.Bounced, batch.Undeliverable, batch.Requeued, batch.CompletedAt));
        Assert.Equal(2 + 1, (await Store.GetCampaignCountsAsync("c-adv", T0)).EmailsPending);   // 2 lines left + the requeued one

        // The rest of the file, with the same requeued id again (a resent page): still one outbox message for it.
        var done = T0.AddMinutes(5);
        Assert.True(await Store.AdvanceEmailBatchAsync(new EmailBatchAdvance("c-adv", batchNo, 4, 6, 1, 0, 0, [requeued], done)));
        batch = (await Store.GetEmailBatchAsync("c-adv", batchNo))!;
        Assert.Equal((6, 3, 1, 0, 2, done), (batch.SentThrough, batch.Sent, batch.Bounced, batch.Undeliverable, batch.Requeued, batch.CompletedAt));
        var claimed = await Outbox.ClaimAsync(1_000, TimeSpan.FromMinutes(1));
        var retry = Assert.Single(claimed, m => m.Kind == DeliveryCodeCipher.OutboxKind);
        Assert.Equal((requeued.Id, requeued.Recipient, OutboxChannel.Email), (retry.Id, retry.Recipient, retry.Channel));
        Assert.Equal(Cipher.DecryptCode(requeued.PayloadJson, requeued.Recipient), Cipher.DecryptCode(retry.PayloadJson, retry.Recipient));
        Assert.Equal(1, (await Store.GetCampaignCountsAsync("c-adv", T0)).EmailsPending);
        await Outbox.MarkDeliveredAsync([retry.Id]);
        Assert.Equal(0, (await Store.GetCampaignCountsAsync("c-adv", T0)).EmailsPending);

        // An advance whose outcomes do not add up to its lines is refused before it reaches the store.
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AdvanceEmailBatchAsync(new EmailBatchAdvance("c-adv", batchNo, 6, 6, 1, 0, 0, [], null)));
    }

    [Fact]
    public async Task A_chunk_giving_someone_a_second_valid_code_fails_whole()
    {
        var people = People(6);
        await CommitRowsAsync("imp-dup", people.Select(Row));
        await CampaignAsync("c-dup");
        var eligible = await EligibleAsync("c-dup");
        await CommitChunkAsync(Chunk("c-dup", eligible.Take(2), batchNo: 1).Chunk);
        var before = await Store.GetCampaignCountsAsync("c-dup", T0);
        var messagesBefore = (await ActivationMessagesAsync()).Count;
        var emailBatchesBefore = (await Store.ListEmailBatchesAsync("c-dup")).Count;

        // People 1..5 but person 1 already holds a valid code.
        var (conflicting, _) = Chunk("c-dup", eligible.Skip(1), batchNo: 2);
        await Assert.ThrowsAsync<IssuanceConflictException>(() => CommitChunkAsync(conflicting));

        var after = await Store.GetCampaignCountsAsync("c-dup", T0);
        Assert.Equal(before with { Eligible = after.Eligible }, after);
        Assert.Equal(4, after.Eligible);
        Assert.Equal(messagesBefore, (await ActivationMessagesAsync()).Count);
        Assert.DoesNotContain(await Store.ListPrintBatchesAsync("c-dup"), b => b.BatchNo == 2);
        Assert.Equal(emailBatchesBefore, (await Store.ListEmailBatchesAsync("c-dup")).Count);
    }

    [Fact]
    public async Task Codes_lock_after_too_many_failures_and_are_single_use()
    {
        var people = People(3);
        await CommitRowsAsync("imp-act", people.Select(Row));
        await CampaignAsync("c-act");
        var eligible = await EligibleAsync("c-act");
        await CommitChunkAsync(Chunk("c-act", eligible).Chunk);
        var (a, b, c) = (eligible[0].NirHash, eligible[1].NirHash, eligible[2].NirHash);

        // Three attempts allowed: the third failure locks.
        var codeA = (await Store.FindValidCodeAsync(a))!;
        Assert.Equal(new FailedAttemptResult(false, 0, false), await Store.RecordFailedAttemptAsync(a, -5, 3, T0));   // no such code
        Assert.Equal(new FailedAttemptResult(false, 0, false), await Store.RecordFailedAttemptAsync(b, codeA.CodeId, 3, T0));   // not b's code
        Assert.False(await Store.ConsumeCodeAsync(b, codeA.CodeId, T0));
        Assert.Equal(new FailedAttemptResult(true, 1, false), await Store.RecordFailedAttemptAsync(a, codeA.CodeId, 3, T0));
        Assert.Equal(1, (await Store.FindValidCodeAsync(a))!.Attempts);
        Assert.Equal(new FailedAttemptResult(true, 2, false), await Store.RecordFailedAttemptAsync(a, codeA.CodeId, 3, T0));
        Assert.Equal(new FailedAttemptResult(true, 3, true), await Store.RecordFailedAttemptAsync(a, codeA.CodeId, 3, T0));
        Assert.Null(await Store.FindValidCodeAsync(a));
        Assert.Equal(new FailedAttemptResult(false, 0, false), await Store.RecordFailedAttemptAsync(a, codeA.CodeId, 3, T0));
        Assert.False(await Store.ConsumeCodeAsync(a, codeA.CodeId, T0));
        Assert.Null(await Store.FindEligibleAsync("c-act", a));     // locked: a re-issue is needed
        Assert.Equal(1, (await Store.GetCampaignCountsAsync("c-act", T0)).Locked);

        // Single use under concurrency: one winner, the person is activated.
        var codeB = (await Store.FindValidCodeAsync(b))!;
        var wins = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.ConsumeCodeAsync(b, codeB.CodeId, T0.AddDays(1)))));
        Assert.Single(wins, w => w);
        Assert.Null(await Store.FindValidCodeAsync(b));
        Assert.Equal(PersonStatus.Activated, (await Store.FindPersonAsync(b))!.Status);
        Assert.False(await Store.MarkActivatedAsync(b, T0));
        Assert.Null(await Store.FindEligibleAsync("c-act", b));

        // Expiry is enforced.
        var codeC = (await Store.FindValidCodeAsync(c))!;
        Assert.False(await Store.ConsumeCodeAsync(c, codeC.CodeId, codeC.ExpiresAt.AddTicks(10)));
        Assert.True(await Store.ConsumeCodeAsync(c, codeC.CodeId, codeC.ExpiresAt));

        var counts = await Store.GetCampaignCountsAsync("c-act", T0);
        Assert.Equal((2L, 1L, 0L, 2L), (counts.Used, counts.Locked, counts.IssuedValid, counts.Activated));
    }

    [Fact]
    public async Task A_refusal_is_always_tallied_and_counts_an_attempt_only_when_asked()
    {
        var people = People(2);
        await CommitRowsAsync("imp-ref", people.Select(Row));
        await CampaignAsync("c-ref");
        var eligible = await EligibleAsync("c-ref");
        await CommitChunkAsync(Chunk("c-ref", eligible).Chunk);
        var a = eligible[0].NirHash;
        var code = (await Store.FindValidCodeAsync(a))!;
        var unknown = new byte[32];
        unknown[0] = 0x41;
        var day = DateOnly.FromDateTime(T0.UtcDateTime);
        var before = await Store.CountRefusalsAsync(day);

        // Not proven (wrong birth date or Vitale serial): tallied, the code untouched however many times.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(new FailedAttemptResult(false, 0, false), await Store.RecordRefusalAsync(a, code.CodeId, false, 3, T0));
        }
        Assert.Equal(0, (await Store.FindValidCodeAsync(a))!.Attempts);
        // No code (unknown person, used or locked code): tallied the same way.
        Assert.Equal(new FailedAttemptResult(false, 0, false), await Store.RecordRefusalAsync(unknown, null, true, 3, T0));
        // Proven: counted, and the third locks.
        Assert.Equal(new FailedAttemptResult(true, 1, false), await Store.RecordRefusalAsync(a, code.CodeId, true, 3, T0));
        Assert.Equal(new FailedAttemptResult(true, 2, false), await Store.RecordRefusalAsync(a, code.CodeId, true, 3, T0));
        Assert.Equal(new FailedAttemptResult(true, 3, true), await Store.RecordRefusalAsync(a, code.CodeId, true, 3, T0));
        Assert.Null(await Store.FindValidCodeAsync(a));
        Assert.Equal(new FailedAttemptResult(false, 0, false), await Store.RecordRefusalAsync(a, code.CodeId, true, 3, T0));
        Assert.Equal(before + 10, await Store.CountRefusalsAsync(day));
    }

    [Fact]
    public async Task A_settlement_uses_still_valid_codes_once_tallies_every_refusal_and_counts_only_what_is_asked()
    {
        var people = People(5);
        await CommitRowsAsync("imp-set", people.Select(Row));
        await CampaignAsync("c-set");
        var eligible = await EligibleAsync("c-set");
        await CommitChunkAsync(Chunk("c-set", eligible).Chunk);
        var (a, b, c, d, e) = (eligible[0].NirHash, eligible[1].NirHash, eligible[2].NirHash, eligible[3].NirHash, eligible[4].NirHash);
        var unknown = new byte[32];
        unknown[0] = 0x42;

        // One read for many people, in order, a person named twice answered twice, an unknown one null.
        var found = await Store.FindValidCodesAsync([a, unknown, b, a]);
        Assert.Equal(4, found.Count);
        Assert.Null(found[1]);
        Assert.Equal((await Store.FindValidCodeAsync(a))!.CodeId, found[0]!.CodeId);
        Assert.Equal(found[0]!.CodeId, found[3]!.CodeId);
        var (codeA, codeB) = (found[0]!, found[2]!);
        var codeC = (await Store.FindValidCodeAsync(c))!;
        var codeD = (await Store.FindValidCodeAsync(d))!;
        var codeE = (await Store.FindValidCodeAsync(e))!;
        await Store.RecordFailedAttemptAsync(d, codeD.CodeId, 3, T0);
        await Store.RecordFailedAttemptAsync(d, codeD.CodeId, 3, T0);
        Assert.True(await Store.ConsumeCodeAsync(e, codeE.CodeId, T0)); // another group (or silo) used e's code first
        var day = DateOnly.FromDateTime(T0.UtcDateTime);
        var before = await Store.CountRefusalsAsync(day);

        var settled = await Store.SettleActivationsAsync(new ActivationSettlement(
            Consume: [new(codeA.CodeId, a), new(codeE.CodeId, e)],
            Refusals: [new(b, codeB.CodeId, CountAttempt: false), new(c, codeC.CodeId, CountAttempt: true), new(d, codeD.CodeId, CountAttempt: true), new(unknown, null, CountAttempt: true)],
            MaxAttempts: 3, Now: T0, ExpiryCutoff: T0));
        // e's code was used meanwhile: its consume is lost and becomes a refusal (nothing left to count); a's is used.
        Assert.Equal([codeA.CodeId], settled.Used.Order());
        Assert.Empty(settled.Audited); // no activation event was given
        Assert.Equal(PersonStatus.Activated, (await Store.FindPersonAsync(a))!.Status);
        Assert.Null(await Store.FindValidCodeAsync(a));
        Assert.Equal(0, (await Store.FindValidCodeAsync(b))!.Attempts);
        Assert.Equal(1, (await Store.FindValidCodeAsync(c))!.Attempts);
        Assert.Null(await Store.FindValidCodeAsync(d)); // third counted attempt: locked
        Assert.Null(await Store.FindValidCodeAsync(e));
        Assert.Equal(PersonStatus.Activated, (await Store.FindPersonAsync(e))!.Status);
        Assert.Equal(before + 5, await Store.CountRefusalsAsync(day));

        // A code used already is not used again; an empty settlement changes nothing.
        Assert.Empty((await Store.SettleActivationsAsync(new ActivationSettlement([new(codeA.CodeId, a)], [], 3, T0, T0))).Used);
        Assert.Empty((await Store.SettleActivationsAsync(new ActivationSettlement([], [], 3, T0, T0))).Used);
        Assert.Equal(before + 6, await Store.CountRefusalsAsync(day));
    }

    [Fact]
    public async Task Revoking_makes_a_person_eligible_again_and_withdraws_their_pending_email()
    {
        var people = People(4).Select(p => p with { Email = $"{Guid.NewGuid():N}@example.test" }).ToList();
        await CommitRowsAsync("imp-rev", people.Select(Row));
        await CampaignAsync("c-rev");
        var eligible = await EligibleAsync("c-rev");
        await CommitChunkAsync(Chunk("c-rev", eligible).Chunk);
        var target = eligible[0];
        var code = (await Store.FindValidCodeAsync(target.NirHash))!;
        await Store.RecordFailedAttemptAsync(target.NirHash, code.CodeId, 1, T0);   // locked

        Assert.Equal(1, await Store.RevokeCodesAsync(target.NirHash, T0));
        Assert.Equal(0, await Store.RevokeCodesAsync(target.NirHash, T0));
        Assert.NotNull(await Store.FindEligibleAsync("c-rev", target.NirHash));
        var messages = await ActivationMessagesAsync();
        Assert.Equal(3, messages.Count);
        Assert.DoesNotContain(messages, m => m.Recipient == target.VaultId);

        await CommitChunkAsync(Chunk("c-rev", [target]).Chunk);
        Assert.NotEqual(code.CodeHash, (await Store.FindValidCodeAsync(target.NirHash))!.CodeHash);
        var counts = await Store.GetCampaignCountsAsync("c-rev", T0);
        Assert.Equal((4L, 1L, 0L), (counts.IssuedValid, counts.Revoked, counts.Locked));
    }

    [Fact]
    public async Task Expired_codes_are_swept_and_their_people_become_eligible()
    {
        var people = People(3);
        await CommitRowsAsync("imp-exp", people.Select(Row));
        await CampaignAsync("c-exp", validity: TimeSpan.FromDays(1));
        var eligible = await EligibleAsync("c-exp");
        await CommitChunkAsync(Chunk("c-exp", eligible, validity: TimeSpan.FromDays(1)).Chunk);

        Assert.Equal(0, await Store.ExpireCodesAsync(T0.AddHours(23)));
        Assert.Equal(3, (await Store.GetCampaignCountsAsync("c-exp", T0.AddDays(2))).Expired);
        Assert.Equal(3, await Store.ExpireCodesAsync(T0.AddDays(3)));
        Assert.Equal(3, await Store.CountEligibleAsync("c-exp"));
        var counts = await Store.GetCampaignCountsAsync("c-exp", T0.AddDays(3));
        Assert.Equal((0L, 3L), (counts.IssuedValid, counts.Expired));
    }

    [Fact]
    public async Task Only_one_issuance_run_of_a_campaign_at_a_time()
    {
        await CampaignAsync("c-lock");
        await CampaignAsync("c-lock2");
        var held = await Store.LockIssuanceAsync("c-lock");
        await Assert.ThrowsAsync<IssuanceInProgressException>(() => Store.LockIssuanceAsync("c-lock"));
        await (await Store.LockIssuanceAsync("c-lock2")).DisposeAsync();
        await held.DisposeAsync();
        await (await Store.LockIssuanceAsync("c-lock")).DisposeAsync();
    }

    // ------------------------------------------------------------------ opposition

    [Fact]
    public async Task Opposition_purges_revokes_gives_a_receipt_and_survives_a_reimport()
    {
        var people = People(3);
        await CommitRowsAsync("imp-opp", people.Select(Row));
        await CampaignAsync("c-opp");
        var eligible = await EligibleAsync("c-opp");
        await CommitChunkAsync(Chunk("c-opp", eligible).Chunk);
        var target = people[0];
        var hash = NirHash(target);

        var first = await Store.RecordOppositionAsync(new OppositionRequest(hash, OppositionChannel.Operator, "operator:42", T0));
        Assert.False(first.AlreadyRecorded);
        Assert.False(first.WasActivated);
        Assert.Equal(1, first.CodesRevoked);
        Assert.Equal(RegistryVaultIds.For(hash), first.VaultId);
        Assert.StartsWith("opp-", first.ReceiptId, StringComparison.Ordinal);

        var again = await Store.RecordOppositionAsync(new OppositionRequest(hash, OppositionChannel.Person, first.VaultId, T0.AddDays(1)));
        Assert.Equal((first.ReceiptId, first.RecordedAt, true, 0), (again.ReceiptId, again.RecordedAt, again.AlreadyRecorded, again.CodesRevoked));
        var record = (await Store.GetOppositionAsync(hash))!;
        Assert.Equal((OppositionChannel.Operator, "operator:42", first.ReceiptId), (record.Channel, record.RecordedBy, record.ReceiptId));

        var purged = (await Store.FindPersonAsync(hash))!;
        Assert.Equal(PersonStatus.Opposed, purged.Status);
        Assert.True(purged.Opposed);
        Assert.Equal((first.VaultId, target.Address!.Departement), (purged.VaultId, purged.Departement));
        Assert.Null(purged.NirMasked);
        Assert.Null(purged.BirthDate);
        Assert.Null(purged.FamilyName);
        Assert.Null(purged.GivenNames);
        Assert.Null(purged.Email);
        Assert.Null(purged.Address);
        Assert.Null(purged.VitaleHash);
        Assert.Empty(purged.RepresentativeNirHashes);
        Assert.Null(await Store.FindValidCodeAsync(hash));
        Assert.DoesNotContain(await ActivationMessagesAsync(), m => m.Recipient == first.VaultId);

        // A re-import never brings the person's data back, nor makes them eligible.
        await CommitRowsAsync("imp-opp", [Row(target)]);
        var reimported = (await Store.FindPersonAsync(hash))!;
        Assert.Equal((purged.Status, purged.FamilyName, purged.Email, purged.UpdatedAt), (reimported.Status, reimported.FamilyName, reimported.Email, reimported.UpdatedAt));
        await Store.RevokeCodesAsync(NirHash(people[1]), T0);
        Assert.Null(await Store.FindEligibleAsync("c-opp", hash));
        Assert.NotNull(await Store.FindEligibleAsync("c-opp", NirHash(people[1])));
        Assert.Equal(1, (await Store.GetCampaignCountsAsync("c-opp", T0)).Opposed);
    }

    [Fact]
    public async Task Opposition_of_someone_not_yet_imported_keeps_them_out_and_after_activation_closes()
    {
        var (later, activated) = (People(1)[0], People(1)[0]);
        var early = await Store.RecordOppositionAsync(new OppositionRequest(NirHash(later), OppositionChannel.Person, "self", T0));
        Assert.False(early.WasActivated);
        await CommitRowsAsync("imp-early", [Row(later), Row(activated)]);
        var stub = (await Store.FindPersonAsync(NirHash(later)))!;
        Assert.Equal(PersonStatus.Opposed, stub.Status);
        Assert.Null(stub.FamilyName);

        await CampaignAsync("c-early");
        var eligible = Assert.Single(await EligibleAsync("c-early"));
        await CommitChunkAsync(Chunk("c-early", [eligible]).Chunk);
        Assert.True(await Store.ConsumeCodeAsync(eligible.NirHash, (await Store.FindValidCodeAsync(eligible.NirHash))!.CodeId, T0));

        var closing = await Store.RecordOppositionAsync(new OppositionRequest(eligible.NirHash, OppositionChannel.Person, eligible.VaultId, T0.AddDays(3)));
        Assert.True(closing.WasActivated);
        Assert.Equal(PersonStatus.Closed, (await Store.FindPersonAsync(eligible.NirHash))!.Status);
        Assert.True((await Store.RecordOppositionAsync(new OppositionRequest(eligible.NirHash, OppositionChannel.Person, "self", T0.AddDays(4)))).WasActivated);
    }

    [Fact]
    public async Task Codes_committed_by_a_chunk_that_read_someone_before_their_opposition_are_revoked_afterwards()
    {
        var people = People(3);
        await CommitRowsAsync("imp-race", people.Select(Row));
        await CampaignAsync("c-race");
        var eligible = await EligibleAsync("c-race");
        var target = eligible[0];
        await Store.RecordOppositionAsync(new OppositionRequest(target.NirHash, OppositionChannel.Person, "self", T0.AddMinutes(1)));
        await CommitChunkAsync(Chunk("c-race", eligible).Chunk);   // read before the opposition, committed after

        Assert.Equal(1, await Store.RevokeCodesOfOpposedAsync(T0, T0.AddMinutes(2)));
        Assert.Null(await Store.FindValidCodeAsync(target.NirHash));
        Assert.Equal(2, (await Store.GetCampaignCountsAsync("c-race", T0)).IssuedValid);
    }

    // ------------------------------------------------------------------ population import

    [Fact]
    public async Task Import_validates_every_row_and_reports_rejects_with_line_field_and_rule()
    {
        var people = People(8);
        var lines = people.Select(PopulationCsv.Format).ToList();
        var badNir = lines[1].Replace(people[1].Nir, people[1].Nir[..13] + (people[1].Nir[13] == '0' ? "1" : "0") + people[1].Nir[14], StringComparison.Ordinal);
        lines[1] = badNir;
        lines.Insert(3, "too;few;fields");
        lines[5] = PopulationCsv.Format(people[4] with { FamilyName = " " });
        lines.Add(PopulationCsv.Format(people[7] with { Email = "not-an-email" }));
        var file = WriteFile(Files, lines);
        var report = Path.Combine(Files, "rejects.csv");

        var result = await Importer(Store).ImportAsync("imp-bad", file, report);

        var expected = lines.Select((l, i) => PopulationCsv.ParseLine(i + 1, l, Today)).Where(r => r.Error is not null).Select(r => r.Error!).ToList();
        Assert.Equal(4, expected.Count);
        Assert.Equal((10L, 6L, 4L), (result.LinesDone, result.Accepted, result.Rejected));
        var reportLines = File.ReadAllLines(report);
        Assert.Equal(PopulationImporter.ReportHeader, reportLines[0]);
        Assert.Equal(expected.Select(e => $"{e.Line};{e.Field};{e.Rule}"), reportLines.Skip(1));
        Assert.Equal(new[] { "nir", "line", "family_name", "email" }, expected.Select(e => e.Field));
        Assert.Equal(6, await Store.CountPeopleAsync());
        Assert.Null(await Store.FindPersonAsync(NirHash(people[4])));

        var run = (await Store.GetImportAsync("imp-bad"))!;
        Assert.NotNull(run.CompletedAt);
        Assert.Equal(Path.GetFileName(file), run.FileName);

        // The same import id again: nothing to do.
        var again = await Importer(Store).ImportAsync("imp-bad", file, report);
        Assert.True(again.AlreadyComplete);
        Assert.Equal(6, await Store.CountPeopleAsync());
    }

    [Fact]
    public async Task Reimport_updates_without_duplicates_and_the_last_line_of_a_nir_wins()
    {
        var people = People(30);
        await ImportAsync(people);
        Assert.Equal(30, await Store.CountPeopleAsync());

        // A new file: everyone again, a few changed, one twice (the later line wins), plus newcomers.
        var changed = people.Select((p, i) => i % 5 == 0 ? p with { Email = $"new{i}@example.test", Address = p.Address! with { City = "Ailleurs" } } : p).ToList();
        var newcomers = People(5);
        var twice = changed[3] with { GivenNames = "Premier" };
        var file = WriteFile(Files, [.. new[] { twice }.Concat(changed).Concat(newcomers).Concat([changed[3] with { GivenNames = "Dernier" }]).Select(PopulationCsv.Format)]);
        var result = await Importer(Store, chunkSize: 7).ImportAsync("imp-second", file, file + ".rejects");

        Assert.Equal((37L, 37L, 0L), (result.LinesDone, result.Accepted, result.Rejected));
        Assert.Equal(35, await Store.CountPeopleAsync());
        for (var i = 0; i < people.Count; i++)
        {
            var stored = (await Store.FindPersonAsync(NirHash(people[i])))!;
            var want = i == 3 ? changed[3] with { GivenNames = "Dernier" } : changed[i];
            Assert.Equal((want.Email, want.Address, want.GivenNames), (stored.Email, stored.Address, stored.GivenNames));
        }
    }

    [Theory]
    [InlineData(ImportMode.InitialLoad)]
    [InlineData(ImportMode.Upsert)]
    public async Task An_interrupted_import_resumes_and_stores_every_row_exactly_once(ImportMode mode)
    {
        var people = People(1000);
        var lines = people.Select(PopulationCsv.Format).ToList();
        foreach (var at in new[] { 10, 333, 640, 999 })
        {
            lines[at] = lines[at].Replace(";", ";;", StringComparison.Ordinal);   // wrong field count
        }
        var file = WriteFile(Files, lines);
        var report = Path.Combine(Files, "resume-rejects.csv");
        using var cancel = new CancellationTokenSource();
        var chunks = 0;
        var progress = new SyncProgress<ImportProgress>(_ =>
        {
            if (++chunks == 3)
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Importer(Store, chunkSize: 100, mode).ImportAsync("imp-resume", file, report, progress, cancel.Token));
        var interrupted = (await Store.GetImportAsync("imp-resume"))!;
        Assert.Null(interrupted.CompletedAt);
        Assert.Equal(mode, interrupted.Mode);
        Assert.InRange(interrupted.LinesDone, 300, 999);
        Assert.Equal(0, interrupted.LinesDone % 100);
        Assert.Equal(interrupted.LinesDone - interrupted.RowsRejected, interrupted.RowsAccepted);
        // Upsert rows are visible as chunks commit; an initial load publishes at completion.
        Assert.Equal(mode == ImportMode.Upsert ? interrupted.RowsAccepted : 0, await Store.CountPeopleAsync());

        // Resuming with another file is refused.
        var other = WriteFile(Files, lines.Take(10));
        await Assert.ThrowsAsync<ImportFileMismatchException>(() => Importer(Store).ImportAsync("imp-resume", other, report));

        var resumed = await Importer(Store, chunkSize: 100, mode == ImportMode.Upsert ? ImportMode.InitialLoad : ImportMode.Upsert).ImportAsync("imp-resume", file, report);
        Assert.True(resumed.Resumed);
        Assert.Equal((1000L, 996L, 4L), (resumed.LinesDone, resumed.Accepted, resumed.Rejected));
        Assert.Equal(996, await Store.CountPeopleAsync());
        Assert.Equal(new[] { "11;line", "334;line", "641;line", "1000;line" }, File.ReadAllLines(report).Skip(1).Select(l => string.Join(';', l.Split(';')[..2])));
        foreach (var person in people.Where((_, i) => i is not (10 or 333 or 640 or 999)))
        {
            Assert.NotNull(await Store.FindPersonAsync(NirHash(person)));
        }
    }

    [Fact]
    public async Task A_file_with_a_wrong_header_is_refused()
    {
        var path = Path.Combine(Files, "wrong.csv");
        await File.WriteAllTextAsync(path, "nir;name\n1;2\n");
        await Assert.ThrowsAsync<PopulationFileException>(() => Importer(Store).ImportAsync("imp-header", path, path + ".rejects"));
        Assert.Equal(0, await Store.CountPeopleAsync());
    }

    [Fact]
    public async Task An_initial_load_publishes_at_completion_with_the_last_line_of_a_nir_and_oppositions_recorded_meanwhile()
    {
        var people = People(50);
        var lines = people.Select(PopulationCsv.Format).Append(PopulationCsv.Format(people[3] with { GivenNames = "Dernier" })).ToList();
        var file = WriteFile(Files, lines);
        await InterruptedImportAsync("imp-initial", file);
        Assert.Equal(ImportMode.InitialLoad, (await Store.GetImportAsync("imp-initial"))!.Mode);
        Assert.Equal(0, await Store.CountPeopleAsync());

        // While it is incomplete: no other import; oppositions are recorded and win at completion.
        await Assert.ThrowsAsync<ImportModeException>(() => Store.BeginImportAsync("imp-other", "x.csv", new string('e', 64), T0));
        var loaded = NirHash(people[5]);
        var notYet = NirHash(people[40]);
        await Store.RecordOppositionAsync(new OppositionRequest(loaded, OppositionChannel.Person, "self", T0));
        await Store.RecordOppositionAsync(new OppositionRequest(notYet, OppositionChannel.Operator, "operator:9", T0));

        var completed = await Importer(Store, chunkSize: 10).ImportAsync("imp-initial", file, file + ".rejects");
        Assert.Equal((51L, 51L), (completed.LinesDone, completed.Accepted));
        Assert.Equal(50, await Store.CountPeopleAsync());
        Assert.Equal("Dernier", (await Store.FindPersonAsync(NirHash(people[3])))!.GivenNames);
        foreach (var opposed in new[] { loaded, notYet })
        {
            var person = (await Store.FindPersonAsync(opposed))!;
            Assert.Equal(PersonStatus.Opposed, person.Status);
            Assert.Null(person.FamilyName);
        }
        var other = (await Store.FindPersonByVaultIdAsync(RegistryVaultIds.For(NirHash(people[7]))))!;
        Assert.Equal(people[7].FamilyName, other.FamilyName);

        // The registry is no longer empty: another initial load is refused, an upsert works.
        await Assert.ThrowsAsync<ImportModeException>(() => Store.BeginImportAsync("imp-again", "y.csv", new string('f', 64), T0, ImportMode.InitialLoad));
        Assert.Equal(ImportMode.Upsert, (await Store.BeginImportAsync("imp-again", "y.csv", new string('f', 64), T0, null)).Mode);
    }

    // ------------------------------------------------------------------ issuance service

    [Fact]
    public async Task Opposition_before_issuance_means_no_code_and_after_issuance_revokes_and_purges()
    {
        var people = People(20);
        await ImportAsync(people);
        await CampaignAsync("c-o");
        var before = NirHash(people[0]);
        var receipt = await Store.RecordOppositionAsync(new OppositionRequest(before, OppositionChannel.Person, "self", T0));

        var result = await Issuance(Store, Content).IssueAsync("c-o");
        Assert.Equal(19, result.Issued);
        Assert.Null(await Store.FindValidCodeAsync(before));
        Assert.Null(await Store.FindEligibleAsync("c-o", before));
        Assert.Equal(receipt.ReceiptId, (await Store.GetOppositionAsync(before))!.ReceiptId);

        var after = NirHash(people[1]);
        Assert.NotNull(await Store.FindValidCodeAsync(after));
        var opposed = await Store.RecordOppositionAsync(new OppositionRequest(after, OppositionChannel.Operator, "operator:1", T0.AddDays(1)));
        Assert.Equal(1, opposed.CodesRevoked);
        Assert.Null(await Store.FindValidCodeAsync(after));
        Assert.Null((await Store.FindPersonAsync(after))!.FamilyName);

        var counts = await Store.GetCampaignCountsAsync("c-o", T0);
        Assert.Equal((18L, 1L, 2L), (counts.IssuedValid, counts.Revoked, counts.Opposed));
        Assert.Equal(0, (await Issuance(Store, Content).IssueAsync("c-o")).Issued);
    }

    [Fact]
    public async Task Issuance_crashing_after_some_chunks_is_completed_by_a_rerun_with_one_valid_code_each()
    {
        var people = People(600);
        await ImportAsync(people);
        await CampaignAsync("c-crash");
        var failing = new FailingContentStore(Content, failOnWrite: 7);   // the 4th chunk's print batch (2 writes per chunk)

        await Assert.ThrowsAsync<ContentStoreUnavailableException>(() => Issuance(Store, failing, chunkSize: 50).IssueAsync("c-crash"));
        var partial = await Store.GetCampaignCountsAsync("c-crash", T0);
        Assert.InRange(partial.IssuedValid, 50, 550);
        Assert.Equal(CampaignStatus.Issuing, (await Store.GetCampaignAsync("c-crash"))!.Status);

        var rerun = await Issuance(Store, Content, chunkSize: 50).IssueAsync("c-crash");
        Assert.Equal(600 - partial.IssuedValid, rerun.Issued);
        Assert.Equal(CampaignStatus.Issued, (await Store.GetCampaignAsync("c-crash"))!.Status);
        await CheckEveryoneHoldsOneDeliveredCodeAsync("c-crash", people, Hasher());
    }

    [Fact]
    public async Task Issuance_cancelled_midway_is_completed_by_a_rerun_with_one_valid_code_each()
    {
        var people = People(500);
        await ImportAsync(people);
        await CampaignAsync("c-cancel");
        using var cancel = new CancellationTokenSource();
        var committed = 0;
        var progress = new SyncProgress<IssuanceProgress>(_ =>
        {
            if (Interlocked.Increment(ref committed) == 2)
            {
                cancel.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Issuance(Store, Content, chunkSize: 40).IssueAsync("c-cancel", progress, cancel.Token));
        var partial = await Store.GetCampaignCountsAsync("c-cancel", T0);
        Assert.InRange(partial.IssuedValid, 80, 499);

        await Issuance(Store, Content, chunkSize: 40).IssueAsync("c-cancel");
        await CheckEveryoneHoldsOneDeliveredCodeAsync("c-cancel", people, Hasher());
    }

    [Fact]
    public async Task Codes_issued_under_an_older_key_still_verify_after_rotation()
    {
        var people = People(120);
        await ImportAsync(people);
        var departements = people.Select(p => p.Address!.Departement).Distinct().ToList();
        var firstHalf = departements.Take(departements.Count / 2).ToList();
        await CampaignAsync("c-key1", firstHalf);
        await CampaignAsync("c-key2");

        await Issuance(Store, Content, codeKey: 1).IssueAsync("c-key1");
        await Issuance(Store, Content, codeKey: 2).IssueAsync("c-key2");

        var both = Hasher(current: 2);
        var delivered = await DeliveredCodesAsync(["c-key1", "c-key2"]);
        Assert.Equal(120, delivered.Count);
        var onlyKey2 = new CodeHasher(new Dictionary<short, byte[]> { [2] = CodeKey2 }, 2);
        var keyIds = new Dictionary<short, int>();
        foreach (var person in people)
        {
            var valid = (await Store.FindValidCodeAsync(NirHash(person)))!;
            var inFirst = firstHalf.Contains(person.Address!.Departement);
            Assert.Equal(inFirst ? "c-key1" : "c-key2", valid.CampaignId);
            Assert.Equal(inFirst ? (short)1 : (short)2, valid.KeyId);
            Assert.True(both.Verify(delivered[valid.VaultId], valid.KeyId, valid.CodeHash));
            Assert.Equal(!inFirst, onlyKey2.Verify(delivered[valid.VaultId], valid.KeyId, valid.CodeHash));
            keyIds[valid.KeyId] = keyIds.GetValueOrDefault(valid.KeyId) + 1;
        }
        Assert.Equal(2, keyIds.Count);
    }

    [Fact]
    public async Task Reissue_revokes_the_previous_code_and_delivers_a_new_one()
    {
        var people = People(30);
        await ImportAsync(people);
        await CampaignAsync("c-re");
        var service = Issuance(Store, Content);
        await service.IssueAsync("c-re");
        var byPost = people.First(p => p.Email is null);
        var byEmail = people.First(p => p.Email is not null);

        foreach (var person in new[] { byPost, byEmail })
        {
            var hash = NirHash(person);
            var old = (await Store.FindValidCodeAsync(hash))!;
            var reissued = await service.ReissueAsync("c-re", hash);
            Assert.Equal(1, reissued.Revoked);
            Assert.True(reissued.Issued);
            Assert.Equal(person.Email is null ? CodeChannel.Post : CodeChannel.Email, reissued.Channel);
            var fresh = (await Store.FindValidCodeAsync(hash))!;
            Assert.NotEqual(old.CodeId, fresh.CodeId);
            Assert.NotEqual(old.CodeHash, fresh.CodeHash);
        }
        var counts = await Store.GetCampaignCountsAsync("c-re", T0);
        Assert.Equal((30L, 2L), (counts.IssuedValid, counts.Revoked));
        await CheckEveryoneHoldsOneDeliveredCodeAsync("c-re", people, Hasher());

        // Someone who opposed gets nothing new.
        var opposed = NirHash(people[^1]);
        await Store.RecordOppositionAsync(new OppositionRequest(opposed, OppositionChannel.Person, "self", T0));
        Assert.Equal(new ReissueResult(0, false, null, null), await service.ReissueAsync("c-re", opposed));
    }

    [Fact]
    public async Task The_opposition_window_is_read_with_the_vault_and_closing_it_creates_the_vaults_of_people_who_neither_opposed_nor_activated()
    {
        var people = People(12);
        await ImportAsync(people);
        var campaign = await CampaignAsync("c-window");
        Assert.Equal(12, (await Issuance(Store, Content).IssueAsync("c-window")).Issued);
        string Vault(PersonRecord p) => RegistryVaultIds.For(NirHash(p));

        var open = (await Store.FindPersonByVaultIdAsync(Vault(people[0])))!;
        Assert.Equal(campaign.OppositionWindowEndsAt, open.OppositionWindowEndsAt);
        Assert.Null(open.WindowClosedAt);
        await Store.RecordOppositionAsync(new OppositionRequest(NirHash(people[1]), OppositionChannel.Person, "self", T0));
        Assert.True(await Store.MarkActivatedAsync(NirHash(people[2]), T0));

        // Refused before the window's end (the person may still oppose).
        await Assert.ThrowsAsync<CampaignConflictException>(() =>
            new OppositionWindow(Store, new FixedClock(campaign.OppositionWindowEndsAt.AddSeconds(-1))).CloseAsync("c-window"));
        var closing = new OppositionWindow(Store, new FixedClock(campaign.OppositionWindowEndsAt.AddSeconds(1)));
        var closed = await closing.CloseAsync("c-window", chunkSize: 5);
        Assert.Equal((12L, 10L), (closed.CodesRead, closed.VaultsCreated));
        Assert.InRange(closed.Chunks, 1, 3);   // in code order by 5 (memory), or by ranges of the table's blocks (PostgreSQL)
        // Idempotent: a rerun (after a crash, or twice by mistake) creates nothing more.
        Assert.Equal(0L, (await closing.CloseAsync("c-window", chunkSize: 5)).VaultsCreated);

        var created = (await Store.FindPersonByVaultIdAsync(Vault(people[0])))!;
        Assert.Equal(PersonStatus.Registered, created.Status);
        Assert.NotNull(created.WindowClosedAt);
        Assert.Null(created.OppositionWindowEndsAt);
        var activated = (await Store.FindPersonByVaultIdAsync(Vault(people[2])))!;
        Assert.Null(activated.WindowClosedAt);
        Assert.Null(activated.OppositionWindowEndsAt);
        Assert.True((await Store.FindPersonByVaultIdAsync(Vault(people[1])))!.Opposed);
    }

    [Fact]
    public async Task The_people_born_on_a_day_are_listed_by_their_vault_for_the_majority_run()
    {
        var people = People(40);
        await ImportAsync(people);
        var minor = people[7];
        var sameDay = people.Count(p => p.BirthDate == minor.BirthDate);
        var listed = await Store.ListVaultsBornOnAsync(minor.BirthDate);
        Assert.Equal(sameDay, listed.Count);
        Assert.Contains(RegistryVaultIds.For(NirHash(minor)), listed);
    }

    protected sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task A_bounce_revokes_the_email_code_once_and_the_next_round_puts_a_new_code_in_one_print_batch()
    {
        var people = People(40);
        await ImportAsync(people);
        await CampaignAsync("c-bounce");
        var service = Issuance(Store, Content);
        await service.IssueAsync("c-bounce");
        var emailed = people.Where(p => p.Email is not null).Take(3).ToList();
        var messages = await ActivationMessagesAsync();
        string Vault(PersonRecord p) => RegistryVaultIds.For(NirHash(p));

        // The email channel's one read: address, given names, state and the campaign of the valid email code.
        var recipients = await Store.FindEmailRecipientsAsync([Vault(emailed[0]), "v-0000000000000000000Z"]);
        var recipient = Assert.Single(recipients).Value;
        Assert.Equal(new EmailRecipient(Vault(emailed[0]), emailed[0].Email, emailed[0].GivenNames, PersonStatus.Registered, "c-bounce"),
            recipient with { ValidEmailCodeHash = null });
        // ... and that code's hash: the router sends a batch line only when it carries this very code.
        Assert.Equal((await Store.FindValidCodeAsync(NirHash(emailed[0])))!.CodeHash, recipient.ValidEmailCodeHash);

        var bounces = emailed.Select(p => new EmailBounce(messages.Single(m => m.Recipient == Vault(p)).Id, "c-bounce", Vault(p))).ToList();
        Assert.Equal(3, await Store.RecordEmailBouncesAsync(bounces, T0));
        foreach (var bounce in bounces)
        {
            // What the dispatcher does next with the channel's answer.
            await Outbox.MarkUndeliverableAsync(bounce.OutboxId, DeliveryOutcome.Bounced, "refused by the mail server (SMTP 550 at recipient)");
        }
        Assert.Equal(0, await Store.RecordEmailBouncesAsync(bounces, T0.AddMinutes(1)));
        foreach (var p in emailed)
        {
            Assert.Null(await Store.FindValidCodeAsync(NirHash(p)));
        }
        Assert.Null((await Store.FindEmailRecipientsAsync([Vault(emailed[0])]))[Vault(emailed[0])].ValidEmailCodeCampaign);
        var counts = await Store.GetCampaignCountsAsync("c-bounce", T0);
        Assert.Equal((3L, 3L, 0L, 3L), (counts.EmailsBounced, counts.BouncesAwaitingPost, counts.BouncedUnreachable, counts.Revoked));

        // An issuance run meanwhile leaves them to the round: no second email to an address that bounced.
        Assert.Null(await Store.FindEligibleAsync("c-bounce", NirHash(emailed[0])));
        Assert.Equal(0, (await service.IssueAsync("c-bounce")).Issued);

        // The third opposes before the round: nothing to send any more.
        await Store.RecordOppositionAsync(new OppositionRequest(NirHash(emailed[2]), OppositionChannel.Person, "self", T0));
        var batchesBefore = (await Store.ListPrintBatchesAsync("c-bounce")).Count;
        var round = await service.PostBouncesAsync("c-bounce");
        Assert.Equal((2, 0, 1), (round.Posted, round.Unreachable, round.Superseded));
        var batchNo = Assert.Single(round.BatchNos);
        var batches = await Store.ListPrintBatchesAsync("c-bounce");
        Assert.Equal(batchesBefore + 1, batches.Count);
        var letters = await PrintBatchFiles.ReadAsync(Content, batches.Single(b => b.BatchNo == batchNo));
        Assert.Equal(emailed.Take(2).Select(Vault).Order(StringComparer.Ordinal), letters.Select(l => l.VaultId).Order(StringComparer.Ordinal));
        var hasher = Hasher();
        foreach (var p in emailed.Take(2))
        {
            var code = (await Store.FindValidCodeAsync(NirHash(p)))!;
            var letter = letters.Single(l => l.VaultId == Vault(p));
            Assert.True(ActivationCodes.TryNormalise(letter.Code, out var canonical));
            Assert.True(hasher.Verify(canonical, code.KeyId, code.CodeHash));
            Assert.Equal(p.Address!.Line1, letter.AddressLine1);
        }

        // At least once: a replayed bounce never touches the code that went by post; a second round posts nothing.
        Assert.Equal(0, await Store.RecordEmailBouncesAsync(bounces, T0.AddMinutes(2)));
        Assert.NotNull(await Store.FindValidCodeAsync(NirHash(emailed[0])));
        var again = await service.PostBouncesAsync("c-bounce");
        Assert.Equal((0, 0, 0, 0), (again.Posted, again.Unreachable, again.Superseded, again.BatchNos.Count));
        counts = await Store.GetCampaignCountsAsync("c-bounce", T0);
        Assert.Equal((3L, 0L, 0L), (counts.EmailsBounced, counts.BouncesAwaitingPost, counts.BouncedUnreachable));
        await CheckInvariantsAsync("c-bounce");

        // Later in the campaign (a lost letter, a re-issue) their code still goes by post, never to the bounced address.
        Assert.Equal(1, await Store.RevokeCodesAsync(NirHash(emailed[0]), T0.AddMinutes(3)));
        var eligible = await Store.FindEligibleAsync("c-bounce", NirHash(emailed[0]));
        Assert.NotNull(eligible);
        Assert.Equal((false, emailed[0].Address!.Line1), (eligible.HasEmail, eligible.Address?.Line1));
    }

    [Fact]
    public async Task Counting_first_gives_the_exact_total_from_the_first_report()
    {
        await ImportAsync(People(300));
        await CampaignAsync("c-count");
        var progress = new List<IssuanceProgress>();
        var service = new IssuanceService(Store, Content, Hasher(), Cipher, new IssuanceOptions { ChunkSize = 100, Writers = 1, CountFirst = true });
        var result = await service.IssueAsync("c-count", new SyncProgress<IssuanceProgress>(p => { lock (progress) { progress.Add(p); } }));
        Assert.Equal(300, result.Issued);
        Assert.Equal(3, progress.Count);
        Assert.All(progress, p => Assert.Equal((300L, false), (p.Total, p.TotalEstimated)));
    }

    [Fact]
    public async Task A_thousand_people_end_to_end_import_campaign_issue_and_print_batches_that_check_out()
    {
        var file = Path.Combine(Files, "synthetic-1000.csv");
        await using (var writer = new StreamWriter(file, false, new UTF8Encoding(false)))
        {
            SyntheticPopulation.WriteCsv(writer, 1000);
        }
        var imported = await Importer(Store, chunkSize: 300).ImportAsync("imp-1000", file, file + ".rejects");
        Assert.Equal((1000L, 1000L, 0L), (imported.LinesDone, imported.Accepted, imported.Rejected));

        await CampaignAsync("c-1000");
        var progress = new List<IssuanceProgress>();
        var result = await Issuance(Store, Content, chunkSize: 250).IssueAsync("c-1000", new SyncProgress<IssuanceProgress>(p => { lock (progress) { progress.Add(p); } }));
        Assert.Equal(1000, result.Issued);
        Assert.Equal(4, progress.Count);
        Assert.Equal(1000, progress.Max(p => p.Issued));
        // No count first: the total is estimated from where the read is in the key space (250 people read: within a
        // quarter), and exact once the read has ended, before the last chunk commits.
        Assert.All(progress, p => Assert.True(p.TotalEstimated && p.Total is >= 750 and <= 1250 && p.Total >= p.Issued && p.Eta is not null, $"{p}"));
        Assert.Equal(1000, progress.MaxBy(p => p.Issued)!.Total);

        var hasher = Hasher();
        var batches = await Store.ListPrintBatchesAsync("c-1000");
        Assert.Equal(result.Batches, batches.Count);
        var letters = 0;
        foreach (var batch in batches)
        {
            await using var manifestReader = (await Content.OpenReadAsync(new ContentKey(batch.ManifestKey)))!;
            using var manifestBytes = new MemoryStream();
            await manifestReader.Stream.CopyToAsync(manifestBytes);
            var manifest = PrintBatchFiles.ParseManifest(manifestBytes.ToArray());
            var csv = await PrintBatchFiles.ReadAsync(Content, batch);
            Assert.Equal((manifest.Letters, manifest.Sha256, manifest.BatchNo, manifest.Campaign), (csv.Count, batch.Sha256, batch.BatchNo, "c-1000"));
            await using (var raw = (await Content.OpenReadAsync(new ContentKey(batch.ContentKey)))!)
            {
                Assert.Equal(manifest.Sha256, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(raw.Stream)));
            }
            Assert.Equal(Enumerable.Range(1, csv.Count), csv.Select(l => l.LetterNo));
            foreach (var letter in csv)
            {
                Assert.Equal(batch.BatchNo, letter.BatchNo);
                var person = (await Store.FindPersonByVaultIdAsync(letter.VaultId))!;
                // A minor's letter goes to their representative (in this file, one adult of the file each).
                var addressee = letter.ForRepresentatives ? (await Store.FindPersonAsync(person.RepresentativeNirHashes[0]))! : person;
                Assert.Equal(RolloutRules.IsMinorAt(person.BirthDate, DateTimeOffset.UtcNow), letter.ForRepresentatives);
                Assert.Null(addressee.Email);
                Assert.Equal(letter.ForRepresentatives ? RolloutRules.RepresentativesAddressee(person.GivenNames) : $"{person.GivenNames} {person.FamilyName}",
                    letter.Name);
                Assert.Equal(addressee.Address, new PostalAddress(letter.AddressLine1, letter.AddressLine2, letter.PostalCode, letter.City));
                var valid = (await Store.FindValidCodeAsync(person.NirHash))!;
                Assert.True(ActivationCodes.TryNormalise(letter.Code, out var canonical));
                Assert.Equal(ActivationCodes.Display(canonical), letter.Code);
                Assert.True(hasher.Verify(canonical, valid.KeyId, valid.CodeHash));
                Assert.Equal(valid.ExpiresAt, letter.ExpiresAt);
                letters++;
            }
        }
        var messages = await ActivationMessagesAsync();
        foreach (var message in messages)
        {
            var person = (await Store.FindPersonByVaultIdAsync(message.Recipient))!;
            var addressee = RolloutRules.IsMinorAt(person.BirthDate, DateTimeOffset.UtcNow) ? (await Store.FindPersonAsync(person.RepresentativeNirHashes[0]))! : person;
            Assert.NotNull(addressee.Email);
            var valid = (await Store.FindValidCodeAsync(person.NirHash))!;
            Assert.True(hasher.Verify(Cipher.DecryptCode(message.PayloadJson, message.Recipient), valid.KeyId, valid.CodeHash));
            Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => Cipher.DecryptCode(message.PayloadJson, Ids.NewVaultId()));
        }
        Assert.Equal(1000, letters + messages.Count);
        Assert.Equal(result.Letters, letters);
        Assert.Equal(result.Emails, messages.Count);
        var counts = await Store.GetCampaignCountsAsync("c-1000", T0);
        Assert.Equal((1000L, (long)letters, (long)messages.Count, 0L), (counts.IssuedValid, counts.Letters, counts.ValidByEmail, counts.Eligible));
        await CheckInvariantsAsync("c-1000");
        Output.WriteLine($"{Name}: 1000 people, {letters} letters in {batches.Count} batches, {messages.Count} emails, {result.CodesPerSecond:N0} codes/s");
    }

    protected abstract string Name { get; }

    // ------------------------------------------------------------------ shared checks

    /// <summary>
    /// Every person holds exactly one valid code, and the delivery records (email outbox messages and letters in committed
    /// print batches) are exactly the valid codes: one per person, each verifying against the stored hash.
    /// </summary>
    protected async Task CheckEveryoneHoldsOneDeliveredCodeAsync(string campaignId, IReadOnlyList<PersonRecord> people, CodeHasher hasher)
    {
        Assert.Equal(0, await Store.CountEligibleAsync(campaignId));
        var delivered = await DeliveredCodesAsync([campaignId]);
        var counts = await Store.GetCampaignCountsAsync(campaignId, T0);
        Assert.Equal(people.Count, counts.IssuedValid);
        Assert.Equal(people.Count, delivered.Count);
        foreach (var person in people)
        {
            var valid = (await Store.FindValidCodeAsync(NirHash(person)))!;
            Assert.Equal(campaignId, valid.CampaignId);
            Assert.True(hasher.Verify(delivered[valid.VaultId], valid.KeyId, valid.CodeHash), $"the delivered code of {valid.VaultId} does not verify");
        }
        await CheckInvariantsAsync(campaignId);
    }

    /// <summary>
    /// Vault id → delivered code, from undelivered activation emails and the letters of committed print batches, for
    /// the codes still valid. Fails if a valid code has two delivery records or none.
    /// </summary>
    protected async Task<Dictionary<string, string>> DeliveredCodesAsync(IReadOnlyList<string> campaigns)
    {
        var codes = new Dictionary<string, string>();
        var hasher = Hasher();
        async Task AddAsync(string vaultId, string code)
        {
            var person = (await Store.FindPersonByVaultIdAsync(vaultId))!;
            var valid = await Store.FindValidCodeAsync(person.NirHash);
            if (valid is null || !hasher.Verify(code, valid.KeyId, valid.CodeHash))
            {
                return;   // a revoked or superseded code's record
            }
            Assert.True(codes.TryAdd(vaultId, code), $"{vaultId} has two delivery records of its valid code");
        }
        foreach (var message in await ActivationMessagesAsync())
        {
            await AddAsync(message.Recipient, Cipher.DecryptCode(message.PayloadJson, message.Recipient));
        }
        foreach (var campaign in campaigns)
        {
            foreach (var batch in await Store.ListPrintBatchesAsync(campaign))
            {
                foreach (var letter in await PrintBatchFiles.ReadAsync(Content, batch))
                {
                    Assert.True(ActivationCodes.TryNormalise(letter.Code, out var canonical));
                    await AddAsync(letter.VaultId, canonical);
                }
            }
        }
        return codes;
    }

    private static readonly Comparer<byte[]> ByteOrder = Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));

    /// <summary>The campaign's eligible people as issuance reads them (streamed), in NIR-hash order.</summary>
    protected async Task<List<EligiblePerson>> EligibleAsync(string campaignId)
    {
        var eligible = new List<EligiblePerson>();
        await foreach (var person in Store.StreamEligibleAsync(campaignId))
        {
            eligible.Add(person);
        }
        return eligible.OrderBy(p => p.NirHash, ByteOrder).ToList();
    }
}
