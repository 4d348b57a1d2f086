using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// 200 000 people imported through the CLI; <c>coffre campaign issue --chunk-size 10000</c> killed with SIGKILL as soon
/// as PostgreSQL shows committed codes, then the same command run again to completion.
/// </summary>
public sealed class IssuanceCrashFixture : IAsyncLifetime
{
    public const int Size = 200_000;
    public const string CampaignId = "crash-2026";

    private readonly StringBuilder _log = new();

    internal RolloutDatabase Db { get; private set; } = null!;
    internal Dictionary<string, string> Cli { get; private set; } = null!;
    internal string WorkDirectory { get; private set; } = "";
    internal long CommittedBeforeKill { get; private set; }
    internal long BatchesBeforeKill { get; private set; }
    internal long PrintFilesBeforeRerun { get; private set; }
    internal TimeSpan KilledAfter { get; private set; }
    internal CliResult Rerun { get; private set; } = null!;
    internal int RerunAttempts { get; private set; }
    internal TimeSpan ImportTime { get; private set; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        var connectionString = await TestServices.NewMigratedDatabaseAsync();
        var container = E2e.NewContainerName();
        Db = new RolloutDatabase(connectionString, container);
        Cli = E2e.CliEnvironment(connectionString, container);
        WorkDirectory = E2e.TempDirectory("crash");
        var file = Path.Combine(WorkDirectory, "population.csv");

        await Step(TimeSpan.FromMinutes(3), "generate-population", "--count", Size.ToString(CultureInfo.InvariantCulture), "--out", file);
        var clock = Stopwatch.StartNew();
        var import = await Step(TimeSpan.FromMinutes(10), "import", "--file", file, "--import-id", "crash-import", "--chunk-size", "50000");
        ImportTime = clock.Elapsed;
        if (import.Json["accepted"]?.GetValue<long>() != Size)
        {
            throw new InvalidOperationException($"import did not accept {Size} people:\n{import}");
        }
        await Step(TimeSpan.FromMinutes(2), "campaign", "create", "--id", CampaignId, "--name", "Crash test");

        // Run 1: killed with SIGKILL as soon as some codes are committed.
        clock.Restart();
        await using (var first = CoffreCli.Start(Cli, "campaign", "issue", "--id", CampaignId, "--chunk-size", "10000"))
        {
            var deadline = Stopwatch.StartNew();
            while (await Db.ScalarAsync<long>("SELECT count(*) FROM activation_code") == 0)
            {
                if (first.HasExited || deadline.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new InvalidOperationException($"no code committed before the first run {(first.HasExited ? "exited" : "timed out")}:\n{first.Stderr}");
                }
                await Task.Delay(25);
            }
            await first.KillAsync();
            KilledAfter = clock.Elapsed;
            AppendLog($"$ coffre campaign issue --id {CampaignId} --chunk-size 10000   (killed after {KilledAfter.TotalSeconds:F1} s)\n{first.Stderr}");
        }
        // A COMMIT already sent by the killed process still completes on the server: let it settle before counting.
        await Task.Delay(1000);
        CommittedBeforeKill = await Db.ScalarAsync<long>("SELECT count(*) FROM activation_code");
        BatchesBeforeKill = await Db.ScalarAsync<long>("SELECT count(*) FROM print_batch");
        PrintFilesBeforeRerun = (await ListPrintFilesAsync()).Count;

        // Run 2: the same command to completion. A killed run's session (and its advisory lock) goes away with its
        // connection; should PostgreSQL not have noticed yet, the command says so (exit 5) and is simply run again.
        var bounded = Stopwatch.StartNew();
        while (true)
        {
            RerunAttempts++;
            Rerun = await CoffreCli.RunAsync(Cli, TimeSpan.FromMinutes(10), "campaign", "issue", "--id", CampaignId, "--chunk-size", "10000");
            AppendLog($"$ coffre campaign issue --id {CampaignId} --chunk-size 10000   (rerun {RerunAttempts})\n{Rerun}");
            if (Rerun.ExitCode != 5 || bounded.Elapsed > TimeSpan.FromSeconds(60))
            {
                break;
            }
            await Task.Delay(1000);
        }
    }

    internal async Task<List<string>> ListPrintFilesAsync()
    {
        var names = new List<string>();
        var container = new Azure.Storage.Blobs.BlobServiceClient(TestServices.Blob).GetBlobContainerClient(Db.Container);
        if (!(await container.ExistsAsync()).Value)
        {
            return names;
        }
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"print/{CampaignId}/", CancellationToken.None))
        {
            names.Add(blob.Name);
        }
        return names;
    }

    private async Task<CliResult> Step(TimeSpan timeout, params string[] args)
    {
        var result = await CoffreCli.RunAsync(Cli, timeout, args);
        AppendLog($"$ coffre {string.Join(' ', args)}\n{result}");
        return result.ExitCode == 0 ? result : throw new InvalidOperationException($"coffre {string.Join(' ', args)} failed: {result}");
    }

    private void AppendLog(string text)
    {
        lock (_log)
        {
            _log.AppendLine(text);
        }
    }

    public async Task DisposeAsync()
    {
        if (Db is not null)
        {
            await new Azure.Storage.Blobs.BlobServiceClient(TestServices.Blob).GetBlobContainerClient(Db.Container).DeleteIfExistsAsync();
            await Db.DisposeAsync();
        }
        if (Directory.Exists(WorkDirectory))
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }
}

[Collection(RolloutEndToEndCollection.Name)]
public sealed class IssuanceCrashTests(IssuanceCrashFixture fixture, ITestOutputHelper output) : IClassFixture<IssuanceCrashFixture>
{
    private RolloutDatabase Db => fixture.Db;
    private const string C = IssuanceCrashFixture.CampaignId;

    [Fact]
    public async Task A_killed_issuance_rerun_to_completion_gives_every_eligible_person_exactly_one_delivered_code()
    {
        output.WriteLine($"import of {IssuanceCrashFixture.Size:N0} people through the CLI: {fixture.ImportTime.TotalSeconds:F1} s");
        output.WriteLine($"codes committed before kill -9: {fixture.CommittedBeforeKill:N0} ({fixture.BatchesBeforeKill} print batches), killed {fixture.KilledAfter.TotalSeconds:F1} s after start; " +
            $"print files in Blob storage before the rerun: {fixture.PrintFilesBeforeRerun}; rerun attempts: {fixture.RerunAttempts}");
        output.WriteLine("rerun: " + fixture.Rerun.Stdout);
        Assert.True(fixture.Rerun.ExitCode == 0, fixture.Log);
        Assert.InRange(fixture.CommittedBeforeKill, 1, IssuanceCrashFixture.Size - 1);
        Assert.Equal(IssuanceCrashFixture.Size - fixture.CommittedBeforeKill, fixture.Rerun.Json["issued"]!.GetValue<long>());

        // Every eligible person (registered, reachable) holds exactly one valid code; nobody holds two.
        Assert.Equal((long)IssuanceCrashFixture.Size, await Db.ScalarAsync<long>("SELECT count(*) FROM registry_person WHERE status = 0"));
        Assert.Equal(0L, await Db.ScalarAsync<long>("""
            SELECT count(*) FROM registry_person p
            WHERE p.status = 0 AND (p.email IS NOT NULL OR p.address_line1 IS NOT NULL)
              AND (SELECT count(*) FROM activation_code c WHERE c.person_no = p.person_no AND c.status = 0) <> 1
            """));
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM (SELECT nir_hash FROM activation_code WHERE status = 0 GROUP BY nir_hash HAVING count(*) > 1) twice"));
        Assert.Equal((long)IssuanceCrashFixture.Size, await Db.ScalarAsync<long>("SELECT count(*) FROM activation_code"));
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM activation_code WHERE status <> 0"));

        // The valid codes, by vault.
        var valid = new Dictionary<string, (short KeyId, byte[] Hash, short Channel, int? BatchNo)>(StringComparer.Ordinal);
        await using (var command = Db.Data.CreateCommand("""
            SELECT p.vault_id, c.key_id, c.code_hash, c.channel, c.batch_no
            FROM activation_code c JOIN registry_person p USING (nir_hash)
            WHERE c.campaign_id = $1 AND c.status = 0
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = C });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                valid.Add(reader.GetString(0), (reader.GetInt16(1), reader.GetFieldValue<byte[]>(2), reader.GetInt16(3), reader.IsDBNull(4) ? (int?)null : reader.GetInt32(4)));
            }
        }
        Assert.Equal(IssuanceCrashFixture.Size, valid.Count);

        // Delivery records: activation emails in the committed email batch files, letters in the committed print batches
        // (from their manifests). Files of chunks that crashed before their commit are orphans nobody reads.
        var delivered = new HashSet<string>(StringComparer.Ordinal);
        var emails = 0;
        foreach (var line in await Rollout.EmailBatchLines.ReadAsync(Db.Store, Db.Content, C))
        {
            var vault = line.VaultId;
            var code = E2e.Cipher.DecryptCode(line.PayloadJson, vault);
            Assert.True(valid.TryGetValue(vault, out var v) && v.Channel == (short)CodeChannel.Email, $"email for {vault} without a valid email code");
            Assert.True(E2e.Verifier.Verify(code, v.KeyId, v.Hash), $"email for {vault} does not carry its valid code");
            Assert.True(delivered.Add(vault), $"two deliveries for {vault}");
            emails++;
        }
        var batches = await Db.Store.ListPrintBatchesAsync(C);
        var letters = 0;
        foreach (var batch in batches)
        {
            await using (var manifestReader = await Db.Content.OpenReadAsync(new ContentKey(batch.ManifestKey)))
            {
                Assert.True(manifestReader is not null, $"committed print batch {batch.BatchNo} has no manifest in Blob storage");
                using var buffer = new MemoryStream();
                await manifestReader!.Stream.CopyToAsync(buffer);
                var manifest = PrintBatchFiles.ParseManifest(buffer.ToArray());
                Assert.Equal((C, batch.BatchNo, batch.ContentKey, batch.Letters), (manifest.Campaign, manifest.BatchNo, manifest.Csv, manifest.Letters));
                Assert.True(Sha256Hex.Matches(manifest.Sha256, batch.Sha256), $"batch {batch.BatchNo}: manifest SHA-256 differs from print_batch");
            }
            // Reads the CSV, checking its SHA-256 and letter count against the committed row (throws when missing).
            foreach (var letter in await PrintBatchFiles.ReadAsync(Db.Content, batch))
            {
                Assert.True(valid.TryGetValue(letter.VaultId, out var v) && v.Channel == (short)CodeChannel.Post && v.BatchNo == batch.BatchNo,
                    $"letter for {letter.VaultId} in batch {batch.BatchNo} without a valid post code of that batch");
                Assert.True(E2e.Verifier.Verify(RolloutDatabase.Canonical(letter.Code), v.KeyId, v.Hash), $"letter for {letter.VaultId} does not carry its valid code");
                Assert.True(delivered.Add(letter.VaultId), $"two deliveries for {letter.VaultId}");
                letters++;
            }
        }
        Assert.Equal(valid.Count, delivered.Count);
        Assert.Equal(valid.Values.Count(v => v.Channel == (short)CodeChannel.Email), emails);
        Assert.Equal(valid.Values.Count(v => v.Channel == (short)CodeChannel.Post), letters);

        var files = await fixture.ListPrintFilesAsync();
        var committedFiles = batches.SelectMany(b => new[] { b.ContentKey, b.ManifestKey }).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(committedFiles.Except(files));
        output.WriteLine($"after the rerun: {valid.Count:N0} valid codes = {emails:N0} emails + {letters:N0} letters in {batches.Count} committed batches; " +
            $"{files.Count - committedFiles.Count} orphan print files (written by the killed run, never committed, never exported)");
    }

    [Fact]
    public async Task Campaign_status_after_the_crash_and_rerun_matches_the_database()
    {
        Assert.True(fixture.Rerun.ExitCode == 0, fixture.Log);
        var status = await CoffreCli.RunAsync(fixture.Cli, TimeSpan.FromMinutes(2), "campaign", "status", "--id", C);
        output.WriteLine(status.Stdout);
        Assert.True(status.ExitCode == 0, status.ToString());
        var counts = status.Json["counts"]!;
        long Count(string name) => counts[name]!.GetValue<long>();
        Task<long> Sql(string sql) => Db.ScalarAsync<long>(sql, C);

        Assert.Equal(C, status.Json["campaign"]!["campaignId"]!.GetValue<string>());
        Assert.Equal("ISSUED", status.Json["campaign"]!["status"]!.GetValue<string>());
        Assert.Equal("P42D", status.Json["campaign"]!["codeValidity"]!.GetValue<string>());
        Assert.Equal(0L, Count("eligible"));
        Assert.Equal(await Sql("SELECT count(*) FROM activation_code WHERE campaign_id = $1 AND status = 0"), Count("issuedValid"));
        Assert.Equal((long)IssuanceCrashFixture.Size, Count("issuedValid"));
        Assert.Equal(await Sql("SELECT count(*) FROM activation_code WHERE campaign_id = $1 AND status = 0 AND channel = 0"), Count("validByEmail"));
        Assert.Equal(await Sql("SELECT count(*) FROM activation_code WHERE campaign_id = $1 AND status = 0 AND channel = 1"), Count("validByPost"));
        Assert.Equal(await Sql("SELECT count(*) FROM print_batch WHERE campaign_id = $1"), Count("printBatches"));
        Assert.Equal(await Sql("SELECT coalesce(sum(letters), 0)::bigint FROM print_batch WHERE campaign_id = $1"), Count("letters"));
        Assert.Equal(Count("validByPost"), Count("letters"));
        Assert.Equal(await Sql("SELECT coalesce(sum(emails), 0)::bigint FROM email_batch WHERE campaign_id = $1"), Count("emailCodes"));
        Assert.Equal(Count("emailCodes"), Count("emailsPending"));
        foreach (var zero in new[] { "used", "revoked", "locked", "expired", "activated", "opposed" })
        {
            Assert.True(Count(zero) == 0, $"{zero} = {Count(zero)}");
        }
    }

    [Fact]
    public async Task Campaign_export_writes_exactly_the_committed_batches_with_their_sha256()
    {
        Assert.True(fixture.Rerun.ExitCode == 0, fixture.Log);
        var folder = Path.Combine(fixture.WorkDirectory, "export");
        var export = await CoffreCli.RunAsync(fixture.Cli, TimeSpan.FromMinutes(5), "campaign", "export", "--id", C, "--out", folder);
        output.WriteLine(export.Stdout);
        Assert.True(export.ExitCode == 0, export.ToString());

        var batches = await Db.Store.ListPrintBatchesAsync(C);
        Assert.Equal(batches.Count, export.Json["batches"]!.GetValue<int>());
        Assert.Equal(batches.Sum(b => (long)b.Letters), export.Json["letters"]!.GetValue<long>());
        var expected = batches.SelectMany(b => new[] { Path.GetFileName(b.ContentKey), Path.GetFileName(b.ManifestKey) }).Order(StringComparer.Ordinal).ToList();
        var written = Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, written);
        foreach (var batch in batches)
        {
            var csv = Path.Combine(folder, Path.GetFileName(batch.ContentKey));
            await using (var stream = File.OpenRead(csv))
            {
                Assert.Equal(batch.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)), StringComparer.OrdinalIgnoreCase);
            }
            var manifest = PrintBatchFiles.ParseManifest(await File.ReadAllBytesAsync(Path.Combine(folder, Path.GetFileName(batch.ManifestKey))));
            Assert.Equal(batch.Letters, manifest.Letters);
            Assert.Equal(batch.Sha256, manifest.Sha256, StringComparer.OrdinalIgnoreCase);
            Assert.Equal(batch.Letters, PrintBatchFiles.ParseCsv(await File.ReadAllTextAsync(csv)).Count);
        }
        output.WriteLine($"export: {batches.Count} committed batches, {batches.Sum(b => b.Letters):N0} letters; print files in Blob storage: {(await fixture.ListPrintFilesAsync()).Count}");
    }
}
