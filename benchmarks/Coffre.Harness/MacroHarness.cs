using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Coffre.Adapters.Blob;
using Coffre.Adapters.Postgres;
using Coffre.Application.Rollout;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// One macro run, phase after phase against one database and one Blob container, each timed on its own with its CPU
/// split and WAL volume, printed as it completes and gathered into one JSON report (<see cref="HarnessOptions.Output"/>).
/// Nothing here asserts a timing: the targets are goals, compared in the report.
/// </summary>
public sealed class MacroHarness(HarnessOptions options)
{
    /// <summary>Activation emails not settled yet: email batch lines the router has not reached, plus requeued messages.</summary>
    private const string EmailsPendingSql = """
        SELECT coalesce((SELECT sum(emails - sent_through) FROM email_batch), 0)::bigint
             + (SELECT count(*) FROM outbox WHERE kind = 'activation-code' AND delivered_at IS NULL)
        """;

    /// <summary>Activation emails settled by the router (lines it passed) and requeued messages settled by the dispatcher.</summary>
    private const string EmailsSettledSql = """
        SELECT coalesce((SELECT sum(sent_through) FROM email_batch), 0)::bigint
             + (SELECT count(*) FROM outbox WHERE kind = 'activation-code' AND delivered_at IS NOT NULL)
        """;

    private const string CampaignId = "bench";
    private readonly JsonObject _report = new();
    private readonly JsonObject _phases = new();
    private readonly List<string> _summary = [];

    private readonly byte[] _nirKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _codeKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _deliveryKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _auditKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);

    private NpgsqlDataSource _dataSource = null!;
    private ResourceProbe _probe = null!;
    private PostgresRolloutStore _store = null!;
    private BlobContentStore _content = null!;
    private NirHasher _nirHasher = null!;
    private CodeHasher _codeHasher = null!;
    private DeliveryCodeCipher _cipher = null!;
    private long _peakWorkingSet;
    private long _unknownOutcomes;
    private long _peakThroughIssuance;

    public async Task<int> RunAsync()
    {
        var exit = 0;
        Directory.CreateDirectory(options.WorkDirectory);
        _report["harness"] = "benchmarks/Coffre.Harness (macro)";
        _report["startedAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        _report["source"] = MachineFacts.Commit();
        var machine = MachineFacts.Machine();
        machine["cpuSpeedIndexAtStartMBps"] = MachineFacts.CpuSpeedIndex();
        _report["machine"] = machine;
        _report["settings"] = Settings();
        _report["phases"] = _phases;
        var total = Stopwatch.StartNew();
        try
        {
            _dataSource = new NpgsqlDataSourceBuilder(PostgresAdapter.WithCoffreDefaults(options.Postgres)).Build();   // as the silo's (Settings)
            var postgres = await MachineFacts.PostgresAsync(_dataSource);
            postgres["runNotes"] = options.PostgresNotes;
            _report["postgres"] = postgres;
            _probe = new ResourceProbe(_dataSource) { AzuritePid = options.AzuritePid };
            await _probe.InitialiseAsync();
            _store = new PostgresRolloutStore(_dataSource);
            _content = new BlobContentStore(new BlobServiceClient(options.Blob).GetBlobContainerClient(options.Container));
            _nirHasher = new NirHasher(_nirKey);
            _codeHasher = new CodeHasher(new Dictionary<short, byte[]> { [1] = _codeKey }, 1);
            _cipher = new DeliveryCodeCipher(1, _deliveryKey);
            Say($"macro run: N = {options.People:N0}, PostgreSQL {postgres["version"]?.GetValue<string>().Split(' ')[1]}, postmaster pid {_probe.PostmasterPid}, work folder {options.WorkDirectory}");

            var csv = await GenerateAsync();
            await MigrateAsync();
            await ImportAsync(csv);
            File.Delete(csv); // the CSV is only the import's input; free the disk for the rest of the run
            if (options.RegistryFloor)
            {
                // Right after the import, as before settling existed: both start from the same unsettled cluster (the
                // WAL segments each creates, the dirty pages each leaves), so that their ratio compares like with like.
                await RegistryFloorAsync();
            }
            await SettleAsync(options.RegistryFloor ? "after the import and its floor" : "after the import", vacuumRegistry: true);
            await CampaignAsync();
            if (options.IssuanceFloor)
            {
                await EligibleReadAsync();
            }
            var issuance = await IssueAsync();
            _peakThroughIssuance = _peakWorkingSet;
            await SettleAsync("after issuance");
            await LimitAsync(issuance);
            await SettleAsync("after the limit");
            await RawCopyAsync(issuance, withOutbox: false);
            if (options.RawSortedPerChunk)
            {
                await SettleAsync("after raw COPY");
                await RawCopyAsync(issuance, withOutbox: false, sortedPerChunk: true);
            }
            if (options.RawWithOutbox)
            {
                await SettleAsync("after raw COPY");
                await RawCopyAsync(issuance, withOutbox: true);
            }
            if (options.RawWithoutIndexes)
            {
                await SettleAsync("after raw COPY");
                await RawCopyAsync(issuance, withOutbox: false, withoutIndexes: true);
            }
            if (options.IssuanceFloor)
            {
                await SettleAsync("after raw COPY");
                await IssuanceFloorAsync(issuance);
            }
            NaiveGrainBaseline.Result? naive = null;
            if (!options.SkipNaive && options.NaiveSample > 0)
            {
                naive = await NaiveAsync();
            }
            var activations = 0L;
            if (!options.SkipActivation)
            {
                activations = await ActivationAsync();
            }
            if (options.MemoryVaults > 0)
            {
                await GrainMemoryAsync();
            }
            var checksPassed = await ChecksAsync(issuance, activations, naive);
            await SizesAsync();
            Ratios(naive);
            exit = checksPassed ? 0 : 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"coffre-harness: run failed: {e}");
            _report["failure"] = e.ToString();
            exit = 3;
        }
        finally
        {
            machine["cpuSpeedIndexAtEndMBps"] = MachineFacts.CpuSpeedIndex();
            _report["totalSeconds"] = ResourceProbe.Round(total.Elapsed.TotalSeconds, 1);
            _report["finishedAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            _report["summary"] = new JsonArray([.. _summary.Select(s => (JsonNode)JsonValue.Create(s)!)]);
            var path = Path.GetFullPath(options.Output);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, _report.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            if (_dataSource is not null)
            {
                await _dataSource.DisposeAsync();
            }
            Console.WriteLine();
            Console.WriteLine("==== summary ====");
            foreach (var line in _summary)
            {
                Console.WriteLine(line);
            }
            Console.WriteLine($"report: {path} ({total.Elapsed.TotalSeconds:F0} s in all)");
        }
        return exit;
    }

    private JsonObject Settings() => new()
    {
        ["people"] = options.People,
        ["seed"] = options.Seed,
        ["campaign"] = CampaignId + " (every département)",
        ["blobContainer"] = options.Container,
        ["importChunk"] = options.ImportChunk,
        ["issueChunk"] = options.IssueChunk,
        ["issueWriters"] = options.IssueWriters,
        ["issueQueuedChunks"] = options.IssueQueued,
        ["issueCountFirst"] = options.CountFirst,
        ["rawCopyWithOutbox"] = options.RawWithOutbox,
        ["rawCopySortedPerChunk"] = options.RawSortedPerChunk,
        ["rawCopyWithoutIndexes"] = options.RawWithoutIndexes,
        ["naiveSample"] = options.NaiveSample,
        ["naiveLoops"] = options.NaiveLoops,
        ["memoryVaults"] = options.MemoryVaults,
        ["warmupActivations"] = options.WarmupActivations,
        ["closedActivations"] = options.Activations,
        ["closedConcurrency"] = options.Concurrency,
        ["closedMaxSeconds"] = options.ClosedSeconds,
        ["openRatePerSecond"] = options.Rate,
        ["openSeconds"] = options.OpenSeconds,
        ["openConnections"] = options.OpenConnections,
        ["loadClient"] = options.LoadClient,
        ["sustainableFraction"] = options.SustainableFraction,
        ["verifySample"] = options.VerifySample,
        ["drainOutboxSeconds"] = options.DrainOutboxSeconds,
        ["requestTimeoutSeconds"] = ActivationLoad.RequestTimeout.TotalSeconds,
        ["readPath"] = options.SkipReadPath ? null : $"{options.ReadVaults} vaults × {options.ReadDocuments} documents, {options.ReadConnections} connections, {options.ReadSeconds} s per run",
        ["siloExtraEnvironment"] = new JsonObject(options.SiloEnvironment.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
        ["prewarm"] = options.Prewarm,
        ["settle"] = options.Settle,
        ["checkpointBeforeActivation"] = options.Checkpoint,
        ["flushProbe"] = options.FlushProbe,
        ["walBreakdown"] = options.WalBreakdown,
        ["groupTimings"] = options.GroupTimings,
        ["siloNice"] = options.SiloNice,
    };

    // ------------------------------------------------------------------ phases

    private async Task<string> GenerateAsync()
    {
        var path = Path.Combine(options.WorkDirectory, "population.csv");
        var phase = await _probe.BeginAsync("generate");
        using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 20))
        {
            SyntheticPopulation.WriteCsv(writer, options.People, options.Seed);
        }
        var figures = await EndAsync(phase);
        var bytes = new FileInfo(path).Length;
        figures["people"] = options.People;
        figures["fileBytes"] = bytes;
        figures["peoplePerSecond"] = Rate(options.People, figures);
        Say($"generate  {options.People:N0} people, {bytes / 1e6:F0} MB CSV in {S(figures)} s ({Rate(options.People, figures):N0}/s; not part of the import rate)");
        return path;
    }

    private async Task MigrateAsync()
    {
        var phase = await _probe.BeginAsync("migrate");
        var applied = await new SchemaMigrator(_dataSource).MigrateAsync();
        var figures = await EndAsync(phase);
        figures["migrationsApplied"] = applied.Count;
        var people = await _store.CountPeopleAsync();
        if (people != 0)
        {
            throw new InvalidOperationException($"the database already holds {people} people: the harness needs a fresh database (benchmarks/run-macro.sh makes one)");
        }
        Say($"migrate   {applied.Count} migrations in {S(figures)} s");
    }

    private async Task<ImportResult> ImportAsync(string csv)
    {
        var importer = new PopulationImporter(_store, _nirHasher, new PopulationImportOptions { ChunkSize = options.ImportChunk });
        var phase = await _probe.BeginAsync("import");
        var result = await importer.ImportAsync("bench-" + options.People.ToString(CultureInfo.InvariantCulture), csv,
            Path.Combine(options.WorkDirectory, "import-rejects.csv"), Progress<ImportProgress>(p => $"import {p.LinesDone:N0} lines, {p.RowsPerSecond:N0}/s"));
        var figures = await EndAsync(phase);
        figures["accepted"] = result.Accepted;
        figures["rejected"] = result.Rejected;
        figures["rowsPerSecond"] = Rate(result.Accepted, figures);
        figures["importerSeconds"] = ResourceProbe.Round(result.Elapsed.TotalSeconds, 3);
        figures["importerLinesPerSecond"] = ResourceProbe.Round(result.LinesPerSecond, 0);
        figures["walBytesPerRow"] = PerUnit(figures["walBytes"], result.Accepted);
        PerUnitCpu(figures, result.Accepted);
        figures["notes"] = "includes the file's SHA-256, parsing, validation, NIR and Vitale HMACs, binary COPY into registry_person with its primary key, vault_id unique and departement indexes, the per-chunk checkpoint, and the final ANALYZE";
        Say($"import    {result.Accepted:N0} accepted, {result.Rejected:N0} rejected in {S(figures)} s = {Rate(result.Accepted, figures):N0} rows/s {Cpu(figures)}");
        return result;
    }

    /// <summary>The same-run PostgreSQL floor of the import: the stored registry rows COPYed again, indexed and analysed.</summary>
    private async Task RegistryFloorAsync()
    {
        var dump = Path.Combine(options.WorkDirectory, "registry.copy");
        var bytes = await RegistryCopyBaseline.PrepareAsync(_dataSource, dump);
        var phase = await _probe.BeginAsync("registryFloor");
        var floor = await RegistryCopyBaseline.RunAsync(_dataSource, dump);
        var figures = await EndAsync(phase);
        await RawCopyBaseline.DropAsync(_dataSource);
        File.Delete(dump);
        figures["rows"] = floor.Rows;
        figures["copyBytes"] = bytes;
        figures["copySeconds"] = ResourceProbe.Round(floor.CopySeconds, 3);
        figures["indexAndAnalyzeSeconds"] = ResourceProbe.Round(floor.IndexSeconds, 3);
        figures["rowsPerSecond"] = Rate(floor.Rows, figures);
        figures["walBytesPerRow"] = PerUnit(figures["walBytes"], floor.Rows);
        PerUnitCpu(figures, floor.Rows);
        figures["notes"] = $"the imported rows in PostgreSQL's binary COPY format (dumped before the timer), one COPY into {RawCopyBaseline.Schema}.registry_person " +
            "(LIKE registry_person, unindexed, its fillfactor), then the import's three index builds at once and ANALYZE; no parsing, validation, HMAC or checkpoint";
        Say($"reg floor {floor.Rows:N0} registry rows ({bytes / 1e6:N0} MB) in {S(figures)} s = {Rate(floor.Rows, figures):N0} rows/s (COPY {floor.CopySeconds:N1} s, indexes + ANALYZE {floor.IndexSeconds:N1} s) {Cpu(figures)}");
    }

    private async Task CampaignAsync()
    {
        var phase = await _probe.BeginAsync("campaign");
        var campaign = await _store.CreateCampaignAsync(new NewCampaign(CampaignId, "Macro benchmark", null, "harness"), DateTimeOffset.UtcNow);
        var figures = await EndAsync(phase);
        figures["departements"] = campaign.Departements is null ? "all" : string.Join(",", campaign.Departements);
        Say($"campaign  '{CampaignId}' over every département created in {S(figures)} s");
    }

    private async Task<IssuanceResult> IssueAsync()
    {
        var service = new IssuanceService(_store, _content, _codeHasher, _cipher, new IssuanceOptions
        {
            ChunkSize = options.IssueChunk,
            Writers = options.IssueWriters,
            QueuedChunks = options.IssueQueued,
            CountFirst = options.CountFirst,
        });
        var phase = await _probe.BeginAsync("issuance");
        var result = await service.IssueAsync(CampaignId, Progress<IssuanceProgress>(p => $"issue {p.Issued:N0} codes, {p.CodesPerSecond:N0}/s"));
        var figures = await EndAsync(phase);
        figures["issued"] = result.Issued;
        figures["emails"] = result.Emails;
        figures["letters"] = result.Letters;
        figures["printBatches"] = result.Batches;
        figures["passes"] = result.Passes;
        figures["conflictedChunks"] = result.ConflictedChunks;
        figures["codesPerSecond"] = Rate(result.Issued, figures);
        figures["serviceSeconds"] = ResourceProbe.Round(result.Elapsed.TotalSeconds, 3);
        figures["serviceCodesPerSecond"] = ResourceProbe.Round(result.CodesPerSecond, 0);
        figures["walBytesPerCode"] = PerUnit(figures["walBytes"], result.Issued);
        PerUnitCpu(figures, result.Issued);
        figures["contentStore"] = "Azure Blob (Azurite) container " + options.Container;
        figures["notes"] = (options.CountFirst ? "end to end: lock, expiry sweep, eligible count first (--count-first), streamed eligible read (with the unreachable minors counted)," : "end to end: lock, expiry sweep, one streamed eligible read (the unreachable minors counted in it, the progress total estimated from how far through the registry it is; each chunk sorted by person number before its COPY),") + " CSPRNG code + HMAC, AES-GCM email payloads, print batch CSV + manifest and email batch file uploaded to Blob, COPY of codes + print_batch and email_batch rows + one outbox row per email batch in one durable transaction per chunk";
        Say($"issuance  {result.Issued:N0} codes ({result.Emails:N0} emails, {result.Letters:N0} letters in {result.Batches} print batches) in {S(figures)} s = {Rate(result.Issued, figures):N0} codes/s {Cpu(figures)}");
        return result;
    }

    private async Task RawCopyAsync(IssuanceResult issuance, bool withOutbox, bool withoutIndexes = false, bool sortedPerChunk = false)
    {
        var name = withoutIndexes ? "rawCopyWithoutIndexes" : withOutbox ? "rawCopyWithOutbox" : sortedPerChunk ? "rawCopySortedPerChunk" : "rawCopy";
        await RawCopyBaseline.PrepareAsync(_dataSource, withOutbox, withoutIndexes);
        var phase = await _probe.BeginAsync(name);
        var raw = await RawCopyBaseline.RunAsync(_dataSource, issuance.Issued, options.IssueChunk, options.IssueWriters,
            issuance.Issued == 0 ? 0 : (double)issuance.Letters / issuance.Issued, withOutbox, sortedPerChunk);
        var figures = await EndAsync(phase, name);
        await RawCopyBaseline.DropAsync(_dataSource);
        figures["rows"] = raw.Rows;
        figures["outboxRows"] = raw.OutboxRows;
        figures["chunks"] = raw.Chunks;
        figures["writers"] = options.IssueWriters;
        figures["rowsPerSecond"] = Rate(raw.Rows, figures);
        figures["walBytesPerRow"] = PerUnit(figures["walBytes"], raw.Rows);
        figures["sortedPerChunk"] = sortedPerChunk;
        figures["table"] = withoutIndexes
            ? $"{RawCopyBaseline.Schema}.activation_code (LIKE activation_code INCLUDING DEFAULTS INCLUDING IDENTITY: no index, no constraint), dropped afterwards"
            : withOutbox
            ? $"{RawCopyBaseline.Schema}.activation_code and {RawCopyBaseline.Schema}.outbox (LIKE … INCLUDING ALL), dropped afterwards"
            : $"{RawCopyBaseline.Schema}.activation_code (LIKE activation_code INCLUDING ALL), dropped afterwards";
        PerUnitCpu(figures, raw.Rows);
        Say($"{(withoutIndexes ? "raw noidx" : withOutbox ? "raw+outbox" : sortedPerChunk ? "raw sorted" : "raw COPY ")} {raw.Rows:N0} code rows{(withOutbox ? $" + {raw.OutboxRows:N0} outbox rows" : "")} in {S(figures)} s = {Rate(raw.Rows, figures):N0} rows/s {Cpu(figures)}");
    }

    /// <summary>The same-run limit for issuance: minimal durable rows COPYed into an unindexed table + the print-batch bytes.</summary>
    private async Task LimitAsync(IssuanceResult issuance)
    {
        var csvBytes = 0L;
        foreach (var batch in await _store.ListPrintBatchesAsync(CampaignId))
        {
            await using var reader = await _content.OpenReadAsync(new Coffre.Domain.Content.ContentKey(batch.ContentKey));
            csvBytes += reader?.Length ?? 0;
        }
        var bytesPerLetter = issuance.Letters == 0 ? 0 : (double)csvBytes / issuance.Letters;
        await RawCopyBaseline.PrepareLimitAsync(_dataSource);
        var phase = await _probe.BeginAsync("limit");
        var limit = await RawCopyBaseline.RunLimitAsync(_dataSource, _content, issuance.Issued, options.IssueChunk, options.IssueWriters,
            issuance.Issued == 0 ? 0 : (double)issuance.Letters / issuance.Issued, bytesPerLetter);
        var figures = await EndAsync(phase);
        await RawCopyBaseline.DropAsync(_dataSource);
        figures["rows"] = limit.Rows;
        figures["chunks"] = limit.Chunks;
        figures["writers"] = options.IssueWriters;
        figures["printBatchBytes"] = (long)Math.Round(issuance.Letters * bytesPerLetter);
        figures["bytesPerLetter"] = ResourceProbe.Round(bytesPerLetter, 1);
        figures["rowsPerSecond"] = Rate(limit.Rows, figures);
        figures["walBytesPerRow"] = PerUnit(figures["walBytes"], limit.Rows);
        figures["table"] = $"{RawCopyBaseline.Schema}.limit_code (nir_hash bytea, code_hash bytea, expires_at timestamptz): no index, no constraint; dropped afterwards";
        figures["notes"] = "the minimal durable issuance: per chunk, the print-batch bytes of that many letters written to the content store, then binary COPY of the minimal rows, one durable transaction per chunk";
        PerUnitCpu(figures, limit.Rows);
        Say($"limit     {limit.Rows:N0} minimal rows + {issuance.Letters * bytesPerLetter / 1e6:F0} MB of print batches in {S(figures)} s = {Rate(limit.Rows, figures):N0} rows/s {Cpu(figures)}");
    }

    /// <summary>
    /// Issuance's own read alone, before issuance (everyone is still eligible): the store's eligible stream
    /// (<see cref="PostgresRolloutStore.StreamEligibleAsync(string, EligibleReadTally, CancellationToken)"/>) read to the end,
    /// each person parsed as issuance gets them, nothing else. Beside the floor's reads it says what the product's read
    /// costs above the cheapest one.
    /// </summary>
    private async Task EligibleReadAsync()
    {
        var phase = await _probe.BeginAsync("eligibleRead");
        var tally = new EligibleReadTally();
        long people = 0, letters = 0;
        await foreach (var person in _store.StreamEligibleAsync(CampaignId, tally))
        {
            people++;
            letters += person.HasEmail ? 0 : 1;
        }
        var figures = await EndAsync(phase);
        figures["people"] = people;
        figures["letters"] = letters;
        figures["unreachableMinors"] = tally.UnreachableMinors;
        figures["peoplePerSecond"] = Rate(people, figures);
        figures["notes"] = "issuance's eligible read alone (adults' and minors' statements in one snapshot, rows parsed into EligiblePerson), before issuance; CPU per unit is per person read";
        PerUnitCpu(figures, people);
        Say($"eligible  {people:N0} people read as issuance reads them ({tally.UnreachableMinors:N0} unreachable minors counted) in {S(figures)} s = {Rate(people, figures):N0}/s {Cpu(figures)}");
    }

    /// <summary>The parts of the issuance floor measured here: the registry read by a scan, and the codes minted (<see cref="IssuanceFloor"/>).</summary>
    private async Task IssuanceFloorAsync(IssuanceResult issuance)
    {
        var registered = await IssuanceFloor.CountRegisteredAsync(_dataSource);
        {
            const string name = "floorReadScan";
            var phase = await _probe.BeginAsync(name);
            var read = await IssuanceFloor.ReadRegistryAsync(_dataSource, registered);
            var figures = await EndAsync(phase, name);
            figures["rows"] = read.Rows;
            figures["bytes"] = read.Bytes;
            figures["rowsPerSecond"] = Rate(read.Rows, figures);
            figures["notes"] = "COPY (SELECT the registered people's keys, email, names, address and birth date FROM registry_person, sequential scan) TO STDOUT binary, bytes discarded; CPU per unit is per code issued";
            PerUnitCpu(figures, issuance.Issued);
            Say($"floor read {read.Rows:N0} registry rows by a scan ({read.Bytes / 1e6:N0} MB) in {S(figures)} s = {Rate(read.Rows, figures):N0} rows/s {Cpu(figures)}");
        }
        {
            var phase = await _probe.BeginAsync("floorMint");
            var mint = IssuanceFloor.Mint(_codeHasher, issuance.Issued, options.IssueWriters);
            var figures = await EndAsync(phase);
            figures["codes"] = mint.Codes;
            figures["threads"] = mint.Threads;
            figures["codesPerSecond"] = Rate(mint.Codes, figures);
            figures["checksum"] = mint.Checksum;
            figures["notes"] = "ActivationCodes.Generate (CSPRNG) + CodeHasher.Hash (HMAC-SHA256 under the code key) per code issued, nothing stored";
            PerUnitCpu(figures, mint.Codes);
            Say($"floor mint {mint.Codes:N0} codes + keyed hashes on {mint.Threads} threads in {S(figures)} s = {Rate(mint.Codes, figures):N0} codes/s {Cpu(figures)}");
        }
    }

    private async Task GrainMemoryAsync()
    {
        var grains = (int)Math.Min(options.MemoryVaults, options.People);
        var phase = await _probe.BeginAsync("grainMemory");
        var result = await GrainMemoryPhase.RunAsync(options.Postgres, _dataSource, _content, _nirHasher, _codeHasher, _auditKey, grains, options.NaiveLoops);
        var figures = await EndAsync(phase);
        figures["grains"] = result.Grains;
        figures["errors"] = new JsonObject { ["empty"] = result.EmptyErrors, ["vault"] = result.VaultErrors };
        figures["activationsCounted"] = result.ActivationsCounted;
        figures["managedHeapBytes"] = new JsonObject { ["before"] = result.HeapBefore, ["afterEmpty"] = result.HeapAfterEmpty, ["afterVaults"] = result.HeapAfterVaults };
        figures["workingSetBytes"] = new JsonObject { ["before"] = result.RssBefore, ["afterEmpty"] = result.RssAfterEmpty, ["afterVaults"] = result.RssAfterVaults };
        figures["emptyGrainBytes"] = ResourceProbe.Round(result.EmptyBytesPerGrain, 0);
        figures["vaultGrainBytes"] = ResourceProbe.Round(result.VaultBytesPerGrain, 0);
        figures["vaultGrainWorkingSetBytes"] = ResourceProbe.Round(result.VaultRssBytesPerGrain, 0);
        figures["emptyActivationsPerSecond"] = ResourceProbe.Round(result.Grains / Math.Max(result.EmptySeconds, 1e-6), 0);
        figures["vaultActivationsPerSecond"] = ResourceProbe.Round(result.Grains / Math.Max(result.VaultSeconds, 1e-6), 0);
        figures["notes"] = "one in-process silo with the silo role's grain services on the benchmark database; M empty grains (same-run floor: what Orleans keeps per activation), then M registry vaults activated by an anonymous explain (their two grain states and the registry row read, refused without audit); managed heap after full compacting collections; vaultGrainBytes = heap growth per vault after the empty grains";
        Say($"memory    {result.Grains:N0} idle vault grains: {result.VaultBytesPerGrain / 1024:F2} KiB each on the managed heap (working set {result.VaultRssBytesPerGrain / 1024:F2} KiB); "
            + $"empty grain floor {result.EmptyBytesPerGrain / 1024:F2} KiB; {result.ActivationsCounted:N0} activations counted, errors {result.EmptyErrors}/{result.VaultErrors} {Cpu(figures)}");
    }

    private async Task<NaiveGrainBaseline.Result> NaiveAsync()
    {
        var sample = (int)Math.Min(options.NaiveSample, options.People);
        var keys = new List<string>(sample);
        Span<byte> hash = stackalloc byte[NirHasher.HashSize];
        foreach (var person in SyntheticPopulation.Generate(sample, options.Seed))
        {
            _nirHasher.Hash(person.Nir, hash);
            keys.Add(RegistryVaultIds.For(hash));
        }
        var phase = await _probe.BeginAsync("naive");
        var result = await NaiveGrainBaseline.RunAsync(options.Postgres, _codeHasher, keys, options.NaiveLoops);
        var figures = await EndAsync(phase);
        figures["calls"] = result.Calls;
        figures["errors"] = result.Errors;
        figures["loops"] = options.NaiveLoops;
        figures["callSeconds"] = ResourceProbe.Round(result.Seconds, 3);
        figures["codesPerSecond"] = ResourceProbe.Round(result.CallsPerSecond, 0);
        figures["latencyMs"] = Latency.Summarise(result.LatencyMs);
        figures["walBytesPerCode"] = PerUnit(figures["walBytes"], result.Calls);
        PerUnitCpu(figures, result.Calls);
        figures["serviceId"] = result.ServiceId;
        figures["notes"] = "in-process silo (localhost clustering) with the silo role's AddCoffrePostgresState on the same database; NaiveCodeGrain: CSPRNG code + HMAC + WriteStateAsync (state 'naive-code-v1'), each call a new grain (activation reads its state first); phase seconds include silo start and stop, the rate counts calls only";
        Say($"naive     {result.Calls - result.Errors:N0} per-grain writes ({options.NaiveLoops} loops) in {result.Seconds:F2} s = {result.CallsPerSecond:N0} codes/s, p99 {figures["latencyMs"]!["p99"]} ms {Cpu(figures)}");
        return result;
    }

    // ------------------------------------------------------------------ activation

    private async Task<long> ActivationAsync()
    {
        var activation = new JsonObject();
        _phases["activation"] = activation;
        var siloDll = options.SiloDll ?? Path.Combine(MachineFacts.RepositoryRoot() ?? ".", "src/Silo/bin/Release/net10.0/coffre.dll");
        if (!File.Exists(siloDll))
        {
            throw new FileNotFoundException($"the silo build is missing: {siloDll} (dotnet build -c Release)");
        }

        // Pools: warm-up, closed, open at the configured rate, and an open run at a sustainable rate (sized for the worst case).
        var openCount = (int)Math.Ceiling(options.Rate * options.OpenSeconds);
        var sustainableCount = options.SustainableFraction > 0 ? (int)Math.Ceiling(options.Rate * options.SustainableFraction * options.OpenSeconds) : 0;
        var wanted = options.WarmupActivations + options.Activations + openCount + sustainableCount;
        var collectPhase = await _probe.BeginAsync("collect");
        var collected = await CodePool.CollectAsync(_dataSource, _store, _content, _nirHasher, _cipher, CampaignId, options.People, options.Seed, wanted);
        var collect = await EndAsync(collectPhase, null);
        collect["wanted"] = wanted;
        collect["people"] = collected.People.Count;
        collect["emailCodes"] = collected.EmailCodes;
        collect["letterCodes"] = collected.LetterCodes;
        collect["printBatchesRead"] = collected.BatchesRead;
        collect["candidatesWithoutCode"] = collected.Missing;
        activation["collect"] = collect;
        Say($"collect   {CodePool.Describe(collected)} in {S(collect)} s");

        var pool = new Queue<ActivationPerson>(collected.People);
        ActivationPerson[] Take(int count)
        {
            var n = Math.Min(count, pool.Count);
            var taken = new ActivationPerson[n];
            for (var i = 0; i < n; i++)
            {
                taken[i] = pool.Dequeue();
            }
            return taken;
        }

        if (options.Prewarm)
        {
            var prewarmPhase = await _probe.BeginAsync("prewarm");
            var blocks = await ScalarAsync<long>(PrewarmSql);
            var prewarm = await EndAsync(prewarmPhase, null);
            prewarm["blocks"] = blocks;
            activation["prewarm"] = prewarm;
            Say($"prewarm   {blocks * 8192 / 1e9:F2} GB of the activation path's tables and indexes read into the OS cache in {S(prewarm)} s");
        }

        if (options.Checkpoint)
        {
            var checkpointPhase = await _probe.BeginAsync("checkpoint");
            await ScalarAsync<object?>("CHECKPOINT");
            var checkpoint = await EndAsync(checkpointPhase, null);
            activation["checkpoint"] = checkpoint;
            Say($"checkpoint the bulk phases' dirty pages written and synced in {S(checkpoint)} s");
        }

        if (options.WalBreakdown)
        {
            await WalBreakdown.EnableAsync(_dataSource);
        }

        var environment = SiloEnvironment();
        var startPhase = await _probe.BeginAsync("siloStart");
        var logTimings = options.GroupTimings ? new SiloLogTimings() : null;
        await using var silo = SiloProcess.Start(siloDll, environment, Path.Combine(options.WorkDirectory, "silo.log"), options.SiloNice, logTimings);
        _probe.SiloPid = silo.Pid;
        await File.WriteAllTextAsync(Path.Combine(options.WorkDirectory, "silo.pid"), silo.Pid.ToString(CultureInfo.InvariantCulture)); // for run-macro.sh's cleanup
        long successes = 0;
        try
        {
            await silo.WaitReadyAsync(TimeSpan.FromSeconds(120));
            var start = await EndAsync(startPhase, null);
            start["niceness"] = ResourceProbe.Niceness(silo.Pid);
            activation["siloStart"] = start;
            Say($"silo      pid {silo.Pid} ready at {silo.BaseAddress} in {S(start)} s");
            await using var siloGc = SiloGcPauses.TryStart(silo.Pid, out var siloGcError);
            if (siloGcError is not null)
            {
                activation["siloGcPausesUnavailable"] = siloGcError;
            }

            if (options.DrainOutboxSeconds > 0)
            {
                var drain = Stopwatch.StartNew();
                long pending;
                while ((pending = await ScalarAsync<long>(EmailsPendingSql)) > 0 && drain.Elapsed.TotalSeconds < options.DrainOutboxSeconds)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
                activation["outboxDrain"] = new JsonObject { ["seconds"] = ResourceProbe.Round(drain.Elapsed.TotalSeconds, 1), ["undeliveredLeft"] = pending };
                Say($"drain     waited {drain.Elapsed.TotalSeconds:F0} s for the outbox dispatcher: {pending:N0} emails left undelivered");
            }
            var deliveredBefore = await ScalarAsync<long>(EmailsSettledSql);
            // Idle: what the silo costs with no requests (its outbox dispatcher is delivering the activation emails).
            var idlePhase = await _probe.BeginAsync("idle");
            await Task.Delay(TimeSpan.FromSeconds(5));
            var idle = await EndAsync(idlePhase, null);
            idle["outboxDelivered"] = await ScalarAsync<long>(EmailsSettledSql) - deliveredBefore;
            activation["idle"] = idle;
            Say($"idle      5 s without requests: silo {idle["coresBusySilo"]} cores busy, postgres {idle["coresBusyPostgres"]}; the outbox dispatcher delivered {idle["outboxDelivered"]} activation emails meanwhile");

            var load = new ActivationLoad(new Uri(silo.BaseAddress, "/graphql"), options.LoadClient);
            async Task<ActivationLoad.Run?> Measure(string name, ActivationPerson[] people, int connections, Func<ActivationLoad.Prepared, Task<ActivationLoad.Run>> run, bool timeline = false)
            {
                if (people.Length == 0)
                {
                    return null;
                }
                // The requests are encoded before the run's windows open: their cost is no phase's.
                await using var prepared = load.Prepare(people, connections);
                using var quiet = QuietCollector.Begin();
                var phase = await _probe.BeginAsync(name);
                await using var resources = timeline
                    ? await ResourceTimeline.StartAsync(_probe, _dataSource, TimeSpan.FromSeconds(ActivationLoad.Run.TimelineSlotSeconds),
                        options.FlushProbe ? options.WorkDirectory : null)
                    : null;
                var result = await run(prepared);
                quiet.Dispose(); // the run is over: what follows may collect
                var figures = result.Describe();
                figures["generatorCollector"] = quiet.Describe();
                if (resources is not null)
                {
                    figures["resourcesByTime"] = await resources.StopAsync(result.StartedAt);
                    if (resources.FlushSummary is { } flushes)
                    {
                        figures["flushProbe"] = flushes;
                    }
                }
                foreach (var (k, v) in await EndAsync(phase, null))
                {
                    figures["resources." + k] = v?.DeepClone();
                }
                // After the run's resources are closed: waiting for the silo's last events must not stretch their window.
                if (siloGc is not null)
                {
                    await siloGc.AddRunAsync(figures, result.StartedAt, result.EndedAt);
                }
                if (options.WalBreakdown)
                {
                    figures["walBreakdown"] = await WalBreakdown.ReadAsync(_dataSource, phase.Start.WalLsn);
                }
                if (logTimings is not null)
                {
                    // The last group's line arrives a moment after its answers: the run's end plus a second covers it.
                    await Task.Delay(TimeSpan.FromSeconds(1));
                    figures["siloLogTimings"] = logTimings.Summary(result.StartedAt, result.EndedAt.AddSeconds(1));
                    if (timeline)
                    {
                        figures["siloLogTimingsByTime"] = logTimings.Describe(result.StartedAt, result.EndedAt, ActivationLoad.Run.TimelineSlotSeconds);
                    }
                }
                figures["siloPeakRssBytes"] = ResourceProbe.PeakRss(silo.Pid);
                activation[name] = figures;
                successes += result.Count(ActivationLoad.Outcome.Success);
                if (result.Sent < result.People.Length)
                {
                    figures["note"] = $"stopped at its time bound after {result.Sent} of {result.People.Length} activations";
                }
                var lat = (JsonObject)figures["latencyMs"]!;
                Say($"{name,-9} {result.Count(ActivationLoad.Outcome.Success):N0}/{result.Sent:N0} ok"
                    + (result.TargetRate is { } r ? $" at {r:N0}/s offered ({figures["achievedSendRatePerSecond"]}/s sent)" : $" at concurrency {result.Connections}")
                    + $": {figures["throughputPerSecond"]}/s, p50 {lat["p50"]} p95 {lat["p95"]} p99 {lat["p99"]}"
                    + (result.TargetRate is null ? "" : $" p99.9 {lat["p999"]}") + $" max {lat["max"]} ms, errors {figures["errors"]}"
                    + $" [CPU s: harness {figures["resources.cpuSecondsHarness"]}, silo {figures["resources.cpuSecondsSilo"]}, postgres {figures["resources.cpuSecondsPostgres"]}, other {figures["resources.cpuSecondsOther"]}]"
                    + (result.FirstError is { } err ? $" first error: {err}" : ""));
                return result;
            }

            var runs = new List<ActivationLoad.Run>();
            var closedLimit = TimeSpan.FromSeconds(options.ClosedSeconds);
            // At most a quarter of the people collected, so a small N leaves people for the measured runs.
            var warmupPeople = Take(Math.Min(options.WarmupActivations, collected.People.Count / 4));
            if (await Measure("warmup", warmupPeople, options.Concurrency, p => ActivationLoad.ClosedAsync("closed (warm-up)", p, closedLimit / 4)) is { } warmup)
            {
                runs.Add(warmup);
            }
            var closedPeople = Take(options.Activations);
            var closed = await Measure("closed", closedPeople, options.Concurrency, p => ActivationLoad.ClosedAsync("closed", p, closedLimit));
            if (closed is not null)
            {
                runs.Add(closed);
            }

            // Below saturation first (an overloaded run leaves a backlog behind it), then the configured rate.
            var closedRate = closed is null ? 0 : closed.Count(ActivationLoad.Outcome.Success) / Math.Max(closed.Seconds, 1e-6);
            if (options.SustainableFraction > 0 && closedRate > 0 && closedRate < options.Rate)
            {
                var rate = Math.Max(1, Math.Round(closedRate * options.SustainableFraction / 10) * 10);
                var people = Take((int)Math.Ceiling(rate * options.OpenSeconds));
                activation["openSustainableNote"] = $"the closed model peaked at {closedRate:F0}/s, below the {options.Rate:F0}/s offered: an open run at {rate:F0}/s ({options.SustainableFraction:P0} of the peak) shows latency below saturation";
                if (await Measure("openSustainable", people, options.OpenConnections, p => ActivationLoad.OpenAsync("open (sustainable)", p, rate), timeline: true) is { } sustainable)
                {
                    runs.Add(sustainable);
                }
            }
            var openPeople = Take(openCount);
            if (openPeople.Length < openCount)
            {
                activation["openNote"] = $"only {openPeople.Length} codes left for the open model: its duration is {openPeople.Length / options.Rate:F1} s instead of {options.OpenSeconds} s";
            }
            if (await Measure("open", openPeople, options.OpenConnections, p => ActivationLoad.OpenAsync("open", p, options.Rate), timeline: true) is { } open)
            {
                runs.Add(open);
            }
            activation["unusedCodes"] = pool.Count + runs.Sum(r => r.People.Length - r.Sent);
            _unknownOutcomes = runs.Sum(r => r.UnknownOutcomes);
            activation["unknownOutcomes"] = _unknownOutcomes;

            var deliveredAfter = await ScalarAsync<long>(EmailsSettledSql);
            if (!options.SkipReadPath)
            {
                _phases["readPath"] = await new ReadPathPhase(options, _probe, silo.BaseAddress, _signingKey, Say, siloGc).RunAsync();
            }
            activation["outboxDeliveredDuringActivation"] = deliveredAfter - deliveredBefore;
            activation["siloPeakRssBytes"] = ResourceProbe.PeakRss(silo.Pid);
            activation["siloLog"] = "silo.log in the work folder (deleted with it)";
            activation["notes"] = "one `coffre silo` process (PostgreSQL membership, grain state and registry; Azurite content) serving /graphql on 127.0.0.1; the load generator is the harness on the same 2 cores; each success = its share of a settlement group (one read of the candidates, the code hash and Vitale checks, one transaction that uses the code and marks the person activated in the registry), one audit append on the vault's chain (in the audit log's batch transaction), token issue; no vault grain is loaded; the silo's outbox dispatcher hands the email batches to their router, which writes each activation email to the file sink, meanwhile (at most Coffre:EmailBatches:EmailsPerSecondWhileBusy = 1 000 a second while the silo serves requests, at full speed in the idle window)";
            var stopPhase = await _probe.BeginAsync("siloStop");
            await silo.StopAsync(TimeSpan.FromSeconds(30));
            activation["siloStop"] = await EndAsync(stopPhase, null);
        }
        catch
        {
            Console.Error.WriteLine("silo log tail:\n" + silo.Tail());
            throw;
        }
        finally
        {
            _probe.SiloPid = null;
        }
        activation["successes"] = successes;
        return successes;
    }

    private Dictionary<string, string> SiloEnvironment()
    {
        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = options.Postgres,
            ["ConnectionStrings__Blob"] = options.Blob,
            ["Coffre__BlobContainer"] = options.Container,
            ["Coffre__Cluster__ClusterId"] = clusterId,
            ["Coffre__Cluster__ServiceId"] = clusterId,
            ["Coffre__Auth__SigningKey"] = Convert.ToBase64String(_signingKey),
            [Env(KeyMaterial.NirKeySetting)] = Convert.ToBase64String(_nirKey),
            [Env(KeyMaterial.AuditHeadKeySetting)] = Convert.ToBase64String(_auditKey),
            [Env(Coffre.Silo.Hosting.Settings.NotificationFolderKey)] = Path.Combine(options.WorkDirectory, "notifications"),
            [Env(KeyMaterial.CodeKeysSection) + "__1"] = Convert.ToBase64String(_codeKey),
            [Env(KeyMaterial.CurrentCodeKeySetting)] = "1",
            [Env(KeyMaterial.DeliveryKeysSection) + "__1"] = Convert.ToBase64String(_deliveryKey),
            [Env(KeyMaterial.CurrentDeliveryKeySetting)] = "1",
            ["Coffre__Activation__RateLimits__PerClientPerMinute"] = "100000000",
            ["Coffre__Activation__RateLimits__GlobalPerSecond"] = "1000000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (options.GroupTimings)
        {
            foreach (var setting in SiloLogTimings.LogLevelSettings)
            {
                environment[setting] = "Debug";
            }
        }
        foreach (var (k, v) in options.SiloEnvironment)
        {
            environment[k] = v;
        }
        return environment;
    }

    private static string Env(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    // ------------------------------------------------------------------ checks

    private async Task<bool> ChecksAsync(IssuanceResult issuance, long activations, NaiveGrainBaseline.Result? naive)
    {
        var phase = await _probe.BeginAsync("checks");
        var checks = new JsonArray();
        var allOk = true;
        void Check(string name, object expected, object actual, bool ok, string? detail = null)
        {
            allOk &= ok;
            checks.Add(new JsonObject
            {
                ["check"] = name,
                ["expected"] = JsonValue.Create(expected.ToString()),
                ["actual"] = JsonValue.Create(actual.ToString()),
                ["ok"] = ok,
                ["detail"] = detail,
            });
            Say($"check     {(ok ? "ok  " : "FAIL")} {name}: expected {expected}, got {actual}{(detail is null ? "" : " (" + detail + ")")}");
        }

        long codes, acknowledged, valid, used, email, post;
        await using (var connection = await _dataSource.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand("""
            SELECT count(*), count(*) FILTER (WHERE status IN (0, 1)), count(*) FILTER (WHERE status = 0), count(*) FILTER (WHERE status = 1),
                   count(*) FILTER (WHERE channel = 0), count(*) FILTER (WHERE channel = 1)
            FROM activation_code WHERE campaign_id = $1
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CampaignId });
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            (codes, acknowledged, valid, used, email, post) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
        }
        Check("every acknowledged code is stored (codes of the campaign = codes the issuance acknowledged)", issuance.Issued, codes, codes == issuance.Issued);
        Check("acknowledged codes are valid or used (none revoked, locked or expired)", issuance.Issued, acknowledged, acknowledged == issuance.Issued);
        var orphans = await ScalarAsync<long>("""
            SELECT count(*) FROM activation_code c
            WHERE c.campaign_id = 'bench' AND c.status IN (0, 1)
              AND NOT EXISTS (SELECT 1 FROM registry_person p WHERE p.nir_hash = c.nir_hash AND p.person_no = c.person_no)
            """);
        Check("every acknowledged code's person exists in the registry, under the person number the code carries", 0, orphans, orphans == 0);

        var (emailLines, emailBatches, emailMismatched) = await CodePool.CountEmailLinesAsync(_store, _content, CampaignId);
        var (manifestLetters, manifests, mismatched) = await CodePool.CountManifestLettersAsync(_store, _content, CampaignId);
        var batchRows = await ScalarAsync<long>("SELECT count(*) FROM print_batch WHERE campaign_id = 'bench'");
        Check("delivery records = codes issued (email batch lines + letters counted from the print batch manifests)", codes, emailLines + manifestLetters,
            emailLines + manifestLetters == codes && emailLines == email && manifestLetters == post,
            $"{emailLines:N0} lines in {emailBatches} email batches for {email:N0} email codes, {manifestLetters:N0} letters in {manifests} manifests for {post:N0} postal codes");
        Check("every committed email batch's file is in the content store with its row's SHA-256", emailBatches, emailBatches - emailMismatched, emailMismatched == 0,
            emailMismatched == 0 ? null : $"{emailMismatched} email batch files missing or different");
        Check("every committed print batch has a manifest matching its row (letters, SHA-256)", batchRows, manifests, manifests == batchRows && mismatched == 0,
            mismatched == 0 ? null : $"{mismatched} manifests disagree with their print_batch row");

        var index = await ScalarAsync<string>("""
            SELECT coalesce((SELECT i.indisunique::text || ' ' || i.indisvalid::text || ' ' || pg_get_expr(i.indpred, i.indrelid)
                             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'activation_code_valid_idx'), 'missing')
            """);
        Check("partial unique index on valid codes (activation_code_valid_idx) is unique and valid", "true true (status = 0)", index, index == "true true (status = 0)");
        var doubles = await ScalarAsync<long>("SELECT count(*) FROM (SELECT nir_hash FROM activation_code WHERE status = 0 GROUP BY nir_hash HAVING count(*) > 1) d");
        Check("no person holds two valid codes (GROUP BY nir_hash HAVING count(*) > 1)", 0, doubles, doubles == 0);

        var sample = await CodePool.VerifyLettersAsync(_dataSource, _store, _content, _codeHasher, CampaignId, options.VerifySample);
        var sampleWanted = (int)Math.Min(options.VerifySample, post);
        Check($"a sample of print-batch codes verifies against the stored hash (CodeHasher.Verify)", sampleWanted, sample.Verified,
            sample.Verified == sample.Checked && sample.Checked == sampleWanted && sample.Missing == 0,
            $"{sample.Checked:N0} letters from {sample.BatchesRead} batches spread over the campaign, {sample.Missing} without a stored code");

        if (!options.SkipActivation)
        {
            // A request that timed out or lost its connection may still have activated: those bound the count from above.
            var activated = await ScalarAsync<long>("SELECT count(*) FROM registry_person WHERE status = 2");
            var range = _unknownOutcomes == 0 ? activations.ToString(CultureInfo.InvariantCulture) : $"{activations}..{activations + _unknownOutcomes}";
            Check("activated people = successful activations (+ at most the requests of unknown outcome)", range, activated,
                activated >= activations && activated <= activations + _unknownOutcomes);
            Check("used codes = activated people", activated, used, used == activated);
        }
        if (naive is not null)
        {
            var rows = await ScalarAsync<long>($"SELECT count(*) FROM orleans_storage WHERE serviceid = '{naive.ServiceId}' AND graintypestring = 'naive-code-v1'");
            Check("naive baseline: one grain state row per successful call", naive.Calls - naive.Errors, rows, rows == naive.Calls - naive.Errors);
        }
        var figures = await EndAsync(phase);
        figures["checks"] = checks;
        figures["allPassed"] = allOk;
        figures["validCodesLeft"] = valid;
        return allOk;
    }

    private async Task SizesAsync()
    {
        var sizes = new JsonObject();
        await using (var connection = await _dataSource.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand("""
            SELECT 'database', pg_database_size(current_database())
            UNION ALL SELECT t, pg_total_relation_size(t::regclass) FROM unnest(ARRAY['registry_person', 'activation_code', 'outbox', 'orleans_storage', 'audit_event']) AS t
            WHERE to_regclass(t) IS NOT NULL
            """, connection))
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                sizes[reader.GetString(0) + "Bytes"] = reader.GetInt64(1);
            }
        }
        long blobBytes = 0;
        var blobs = 0;
        var container = new BlobServiceClient(options.Blob).GetBlobContainerClient(options.Container);
        await foreach (var blob in container.GetBlobsAsync())
        {
            blobBytes += blob.Properties.ContentLength ?? 0;
            blobs++;
        }
        sizes["blobCount"] = blobs;
        sizes["blobBytes"] = blobBytes;
        _report["sizes"] = sizes;
        _report["memory"] = new JsonObject
        {
            ["harnessPeakWorkingSetBytes"] = _peakWorkingSet,
            ["harnessPeakWorkingSetThroughIssuanceBytes"] = _peakThroughIssuance,
            ["harnessPeakThroughIssuanceBytesPerPerson"] = ResourceProbe.Round((double)_peakThroughIssuance / options.People, 1),
            ["notes"] = "peak working set of the harness process: through issuance = the phases whose work grows with N (generation, import, issuance all stream); whole run = including the activation phase, whose pool and in-flight requests are sized by the activation counts, not by N. Flat in N = the through-issuance peak does not grow with N (server GC)",
        };
    }

    private void Ratios(NaiveGrainBaseline.Result? naive)
    {
        double Get(string phase, string key) => _phases[phase]?[key]?.GetValue<double>() ?? double.NaN;
        var issue = Get("issuance", "codesPerSecond");
        var raw = Get("rawCopy", "rowsPerSecond");
        var rawOutbox = options.RawWithOutbox ? Get("rawCopyWithOutbox", "rowsPerSecond") : double.NaN;
        var rawSorted = options.RawSortedPerChunk ? Get("rawCopySortedPerChunk", "rowsPerSecond") : double.NaN;
        var naiveRate = naive?.CallsPerSecond ?? double.NaN;
        var importRate = Get("import", "rowsPerSecond");
        var limitRate = Get("limit", "rowsPerSecond");
        var registryFloor = options.RegistryFloor ? Get("registryFloor", "rowsPerSecond") : double.NaN;
        var ratios = new JsonObject
        {
            ["importOverRegistryFloor"] = R(importRate / registryFloor),
            ["issuanceOverLimit"] = R(issue / limitRate),
            ["issuanceOverRawCopy"] = R(issue / raw),
            ["issuanceOverRawCopyWithOutbox"] = R(issue / rawOutbox),
            ["issuanceOverRawCopySortedPerChunk"] = R(issue / rawSorted),
            ["issuanceOverNaive"] = R(issue / naiveRate),
        };
        _report["ratios"] = ratios;
        var floor = IssuanceFloorFigures();
        if (floor is not null)
        {
            _report["issuanceFloor"] = floor;
        }

        var targets = new JsonArray();
        void Target(string name, double value, string comparison, double goal, string unit, string? note = null)
        {
            var met = double.IsNaN(value) ? (bool?)null : comparison switch { ">=" => value >= goal, "<=" => value <= goal, _ => value < goal };
            targets.Add(new JsonObject
            {
                ["target"] = name,
                ["goal"] = $"{comparison} {goal.ToString("G", CultureInfo.InvariantCulture)} {unit}".Trim(),
                ["value"] = R(value),
                ["fractionOfGoal"] = comparison == ">=" ? R(value / goal) : R(goal / value),
                ["met"] = met,
                ["note"] = note,
            });
            Say($"target    {(met is null ? "n/a " : met.Value ? "MET " : "MISS")} {name}: {R(value)?.ToString(CultureInfo.InvariantCulture) ?? "n/a"} {unit} (goal {comparison} {goal.ToString("#,0.##", CultureInfo.InvariantCulture)})");
        }
        void Report(string name, double value, string unit)
        {
            targets.Add(new JsonObject { ["target"] = name, ["goal"] = "reported (no goal)", ["value"] = R(value), ["met"] = null });
            Say($"ratio     {name}: {R(value)?.ToString(CultureInfo.InvariantCulture) ?? "n/a"} {unit}");
        }
        Target("issuance codes/s (goal stated for N = 10 000 000, print batches in Blob)", issue, ">=", 250_000, "codes/s",
            options.People == 10_000_000 ? null : $"this run is N = {options.People:N0}");
        Target("issuance / raw COPY of the same rows", issue / raw, ">=", 0.4, "×");
        if (options.RawSortedPerChunk)
        {
            Report("issuance / raw COPY of the same rows, person numbers random but sorted per chunk (the valid-code index's order before 0024)", issue / rawSorted, "×");
        }
        Report("issuance / limit (minimal rows, unindexed, + print-batch bytes)", issue / limitRate, "×");
        if (floor is not null)
        {
            Report($"issuance floor: CPU µs per code of the parts no design leaves out ({floor["path"]}), against issuance's own {floor["issuanceMicrosecondsPerCode"]} µs",
                floor["floorMicrosecondsPerCode"]!.GetValue<double>(), "µs");
            Report($"issuance ceiling on {Environment.ProcessorCount} cores at that floor, every core busy (goal 250 000)", floor["ceilingCodesPerSecond"]!.GetValue<double>(), "codes/s");
        }
        Target("issuance / naive per-grain baseline", issue / naiveRate, ">=", 20, "×");
        Target("import validated rows/s including indexes", importRate, ">=", 250_000, "rows/s");
        if (options.RegistryFloor)
        {
            Report("import / PostgreSQL floor of the same rows (COPY, indexes, ANALYZE)", importRate / registryFloor, "×");
        }
        var closed = _phases["activation"]?["closed"]?["throughputPerSecond"]?.GetValue<double>() ?? double.NaN;
        Target("activation through GraphQL (closed model peak)", closed, ">=", 10_000, "activations/s");
        var open = _phases["activation"]?["open"];
        var openP99 = open?["latencyMs"]?["p99"]?.GetValue<double>() ?? double.NaN;
        var rateNote = options.Rate == 5_000 ? null : $"this run offered {options.Rate:N0}/s, not 5 000/s";
        Target("activation p99 latency at a fixed 5 000/s (open model, from scheduled time)", openP99, "<", 50, "ms", rateNote);
        var vaultBytes = _phases["grainMemory"]?["vaultGrainBytes"]?.GetValue<double>() ?? double.NaN;
        Target("memory per idle vault grain (managed heap, one silo)", vaultBytes / 1024, "<=", 4, "KiB",
            options.MemoryVaults >= 1_000_000 && options.People >= 1_000_000 ? null : "the goal is stated over 1 000 000 vaults");
        _report["targets"] = targets;
    }

    /// <summary>
    /// Issuance's floor in CPU µs per code, every part from this run: the registry read by a scan and the code rows' COPY in
    /// the scan's person-number order (or each chunk's numbers random and sorted, whichever costs least), the codes minted, and the content store's CPU for the
    /// letters' bytes (the limit phase). Emails' delivery bytes, the minors' lookups, AES-GCM and every bookkeeping write are
    /// left out, so no design can issue with less; at that floor and every core busy, the ceiling is cores × 10⁶ / floor.
    /// </summary>
    private JsonObject? IssuanceFloorFigures()
    {
        double? All(string phase) => _phases[phase]?["cpuMicrosecondsPerUnit"] is JsonObject us
            ? us["harness"]!.GetValue<double>() + us["postgres"]!.GetValue<double>() + (us["azurite"]?.GetValue<double>() ?? 0)
            : null;
        double? Part(string phase, string process) => _phases[phase]?["cpuMicrosecondsPerUnit"]?[process]?.GetValue<double>();
        if (All("floorReadScan") is not { } readScan || Part("floorMint", "harness") is not { } mint
            || All("rawCopy") is not { } copyScanOrder || Part("limit", "azurite") is not { } letters || All("issuance") is not { } issuance)
        {
            return null;
        }
        var scanPath = readScan + copyScanOrder;
        var sortedPath = All("rawCopySortedPerChunk") is { } copySorted ? readScan + copySorted : double.PositiveInfinity;
        var cheapest = Math.Min(scanPath, sortedPath);
        var path = cheapest == sortedPath ? "read by a scan, each chunk's person numbers random and sorted before its COPY" : "read by a scan, COPY in its person-number order";
        var total = cheapest + mint + letters;
        var ceiling = Environment.ProcessorCount * 1e6 / total;
        return new JsonObject
        {
            ["path"] = path,
            ["readAndStoreMicroseconds"] = R(cheapest),
            ["scanPathMicroseconds"] = R(scanPath),
            ["scanSortedPerChunkPathMicroseconds"] = R(sortedPath),
            ["productReadMicroseconds"] = All("eligibleRead") is { } productRead ? R(productRead) : null,
            ["readScanMicroseconds"] = R(readScan),
            ["mintMicroseconds"] = R(mint),
            ["lettersContentStoreMicroseconds"] = R(letters),
            ["floorMicrosecondsPerCode"] = R(total),
            ["cores"] = Environment.ProcessorCount,
            ["ceilingCodesPerSecond"] = R(Math.Round(ceiling)),
            ["issuanceMicrosecondsPerCode"] = R(issuance),
            ["issuanceOverFloor"] = R(issuance / total),
            ["notes"] = "CPU µs per code (harness + PostgreSQL + content store) of the parts every issuance must do, each at its cheapest in this run; ceiling = cores × 10⁶ / floor, with every core busy and nothing else",
        };
    }

    private static double? R(double value) => double.IsNaN(value) || double.IsInfinity(value) ? null : ResourceProbe.Round(value, 3);

    // ------------------------------------------------------------------ helpers

    private async Task<JsonObject> EndAsync(ResourceProbe.Phase phase, string? name = "")
    {
        var figures = await phase.EndAsync();
        if (figures["cpuSecondsAzurite"] is null)
        {
            figures.Remove("cpuSecondsAzurite");
        }
        _peakWorkingSet = Math.Max(_peakWorkingSet, figures["harnessPeakWorkingSetBytes"]!.GetValue<long>());
        if (name is not null)
        {
            _phases[name.Length == 0 ? phase.Name : name] = figures;
        }
        return figures;
    }

    /// <summary>The relations an activation reads or writes, with their indexes, read once; answers the blocks read.</summary>
    private const string PrewarmSql = """
        CREATE EXTENSION IF NOT EXISTS pg_prewarm;
        SELECT coalesce(sum(pg_prewarm(c.oid, 'read')), 0)::bigint FROM pg_class c
        WHERE c.relkind IN ('r', 'i') AND c.relnamespace = 'public'::regnamespace
          AND (c.relname IN ('registry_person', 'activation_code', 'audit_head', 'audit_event', 'identity_claim')
               OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class
                   WHERE relname IN ('registry_person', 'activation_code', 'audit_head', 'audit_event', 'identity_claim')
                     AND relnamespace = 'public'::regnamespace)));
        """;

    /// <summary>
    /// <see cref="HarnessOptions.Settle"/>: a <c>VACUUM (ANALYZE)</c> of the registry when asked, then a <c>CHECKPOINT</c>;
    /// reported under <c>settle</c> (time, CPU, WAL), in the order run, and not counted in any phase.
    /// </summary>
    private async Task SettleAsync(string when, bool vacuumRegistry = false)
    {
        if (!options.Settle)
        {
            return;
        }
        var phase = await _probe.BeginAsync("settle");
        if (vacuumRegistry)
        {
            await ScalarAsync<object?>("VACUUM (ANALYZE) registry_person");
        }
        await ScalarAsync<object?>("CHECKPOINT");
        var figures = await EndAsync(phase, null);
        figures["when"] = when;
        figures["statements"] = vacuumRegistry ? "VACUUM (ANALYZE) registry_person; CHECKPOINT" : "CHECKPOINT";
        ((JsonArray)(_report["settle"] ??= new JsonArray())).Add(figures);
        Say($"settle    {when}: {figures["statements"]} in {S(figures)} s {Cpu(figures)}");
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static double Rate(long count, JsonObject figures) => ResourceProbe.Round(count / Math.Max(figures["seconds"]!.GetValue<double>(), 1e-6), 0);

    /// <summary>CPU microseconds per unit (row, code, call) of the harness, PostgreSQL and Azurite over the phase.</summary>
    private static void PerUnitCpu(JsonObject figures, long units)
    {
        double Us(string key) => figures[key] is { } v ? ResourceProbe.Round(v.GetValue<double>() * 1e6 / Math.Max(1, units), 2) : 0;
        figures["cpuMicrosecondsPerUnit"] = new JsonObject
        {
            ["harness"] = Us("cpuSecondsHarness"),
            ["postgres"] = Us("cpuSecondsPostgres"),
            ["azurite"] = Us("cpuSecondsAzurite"),
        };
    }

    private static string S(JsonObject figures) => figures["seconds"]!.GetValue<double>().ToString("F2", CultureInfo.InvariantCulture);

    private static double? PerUnit(JsonNode? total, long count) => count == 0 || total is null ? null : ResourceProbe.Round(total.GetValue<long>() / (double)count, 1);

    private static string Cpu(JsonObject f) =>
        $"[CPU s: harness {f["cpuSecondsHarness"]}, postgres {f["cpuSecondsPostgres"]}, azurite {f["cpuSecondsAzurite"]}, other processes {f["cpuSecondsOther"]}; machine {f["machineCpuPercent"]!["user"]}% user {f["machineCpuPercent"]!["system"]}% sys {f["machineCpuPercent"]!["iowait"]}% iowait {f["machineCpuPercent"]!["idle"]}% idle; WAL {f["walBytes"]!.GetValue<long>() / 1e6:F0} MB, {f["checkpoints"]} checkpoints]";

    private void Say(string line)
    {
        _summary.Add(line);
        Console.WriteLine(line);
    }

    /// <summary>Progress on stderr at most every 5 s.</summary>
    private static IProgress<T> Progress<T>(Func<T, string> text)
    {
        var last = Stopwatch.StartNew();
        var gate = new object();
        return new SyncProgress<T>(p =>
        {
            lock (gate)
            {
                if (last.Elapsed < TimeSpan.FromSeconds(5))
                {
                    return;
                }
                last.Restart();
            }
            Console.Error.WriteLine("  … " + text(p));
        });
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and could report after the phase ends).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
