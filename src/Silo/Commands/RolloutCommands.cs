using System.Text.Json;
using Coffre.Adapters.Blob;
using Coffre.Adapters.Postgres;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Npgsql;

namespace Coffre.Silo.Commands;

/// <summary>
/// Operator commands of the national rollout, against the cluster's PostgreSQL and Blob storage (the same settings
/// and keys as the silos). Long work shows progress and ETA on stderr; results go to stdout (JSON for status and
/// export); every command is resumable or idempotent. Exit codes: 0 done, 2 bad arguments or settings,
/// 3 a service is unreachable, 4 schema version, 5 conflict (another run in progress, a different file under the
/// same import id, a campaign defined differently, a campaign that does not exist).
/// </summary>
public static class RolloutCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Task<int> ImportAsync(string[] args) => RunAsync(args, async (context, configuration) =>
    {
        var file = Required(configuration, "file");
        if (!File.Exists(file))
        {
            throw new StartupException($"--file {file} does not exist");
        }
        var importId = configuration["import-id"] ?? Path.GetFileNameWithoutExtension(file);
        var report = configuration["report"] ?? file + ".rejects.csv";
        var progress = new ConsoleProgress($"import {importId}", total: null);
        var importer = new PopulationImporter(context.Store, context.NirHasher, new PopulationImportOptions
        {
            ChunkSize = Int(configuration, "chunk-size", 100_000),
        });
        var result = await importer.ImportAsync(importId, file, report,
            new Progress<ImportProgress>(p => progress.Report(p.LinesDone, $"{p.Accepted:N0} accepted, {p.Rejected:N0} rejected")), context.Cancellation);
        progress.Done(result.LinesDone, $"{result.Accepted:N0} accepted, {result.Rejected:N0} rejected");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            result.ImportId,
            result.LinesDone,
            result.Accepted,
            result.Rejected,
            result.Resumed,
            result.AlreadyComplete,
            seconds = result.Elapsed.TotalSeconds,
            linesPerSecond = result.LinesPerSecond,
            rejectReport = result.Rejected > 0 ? result.ReportPath : null,
        }, Json));
    });

    /// <summary>
    /// <c>coffre audit-verify --vault V</c>: recomputes a vault's audit hash chain in PostgreSQL (and its head MAC)
    /// and prints the first broken event. Exit 0 when intact, 6 when broken.
    /// </summary>
    public static async Task<int> AuditVerifyAsync(string[] args)
    {
        var broken = false;
        var code = await RunAsync(args, async (context, configuration) =>
        {
            var vaultId = Required(configuration, "vault");
            var options = Settings.ReadOptions(configuration);
            options.Role = CoffreRole.Silo;
            await using var log = new PostgresAuditLog(context.DataSource,
                KeyMaterial.AuditHeadKey(configuration, options));
            var result = await log.VerifyAsync(vaultId, context.Cancellation);
            broken = !result.Intact;
            Console.WriteLine(JsonSerializer.Serialize(new { vault = vaultId, result.Intact, result.EventsChecked, result.FirstBrokenSequence, result.Problem }, Json));
        });
        return code == 0 && broken ? 6 : code;
    }

    /// <summary><c>coffre generate-population --count N --out F [--seed S]</c>: a deterministic synthetic population file (tests, demos, benchmarks; never real people).</summary>
    public static Task<int> GeneratePopulationAsync(string[] args)
    {
        var configuration = CommandConfiguration.Build(args);
        var count = configuration["count"] is { } c && long.TryParse(c, out var n) && n > 0 ? n : throw new StartupException("--count must be a positive whole number");
        var seed = configuration["seed"] is { } s ? (int.TryParse(s, out var v) ? v : throw new StartupException("--seed must be a whole number")) : 42;
        var path = Required(configuration, "out");
        using (var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 1 << 20))
        {
            Domain.Rollout.SyntheticPopulation.WriteCsv(writer, count, seed);
        }
        Console.WriteLine(JsonSerializer.Serialize(new { file = Path.GetFullPath(path), people = count, seed }, Json));
        return Task.FromResult(0);
    }

    public static Task<int> CampaignAsync(string[] args)
    {
        var verb = args.Length > 0 ? args[0] : "";
        var rest = args.Length > 0 ? args[1..] : args;
        return verb switch
        {
            "create" => RunAsync(rest, CreateCampaignAsync),
            "issue" => RunAsync(rest, IssueAsync),
            "status" => RunAsync(rest, StatusAsync),
            "export" => RunAsync(rest, ExportAsync),
            _ => throw new StartupException("usage: coffre campaign create|issue|status|export --id ID [...]"),
        };
    }

    /// <summary>
    /// <c>coffre opposition --nir N --by WHO</c>: the phone channel. Recorded through the cluster's opposition grain — the
    /// one path that updates the registry, revokes codes and closes whatever vault the person has (through their identity
    /// grain) — as an Orleans client; when no silo answers, nothing is recorded and the command exits 3 (run it again).
    /// </summary>
    public static Task<int> OppositionAsync(string[] args) => RunAsync(args, async (context, configuration) =>
    {
        var nir = Required(configuration, "nir");
        if (Nir.Validate(nir) is { } rule)
        {
            throw new StartupException($"--nir {rule}");
        }
        var by = Required(configuration, "by");
        var receipt = await WithClusterAsync(configuration, context.Cancellation, grains => grains.GetGrain<Grains.Rollout.IOppositionGrain>(0)
            .RecordAsync(Domain.Access.Caller.Operator(by, Domain.Access.OperatorRoles.Rollout), new Grains.Rollout.OppositionRecordRequest(nir, null, null)))
            ?? throw new StartupException("no silo answered within 30 s: nothing was recorded; run the command again", 3);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            receipt = receipt.ReceiptId,
            receipt.RecordedAt,
            receipt.CodesRevoked,
            vaultClosed = receipt.VaultClosed,
            vaultClosedNow = receipt.VaultClosed,
        }, Json));
    });

    /// <summary>Connects to the cluster as an Orleans client (30 s at most) and runs <paramref name="call"/>; null when no silo answered.</summary>
    private static async Task<T?> WithClusterAsync<T>(IConfiguration configuration, CancellationToken cancellationToken, Func<IClusterClient, Task<T?>> call)
        where T : class
    {
        var options = Settings.ReadOptions(configuration);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddConfiguration(configuration);
        var attempts = 0;
        builder.UseOrleansClient(client =>
        {
            client.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = options.Cluster.ClusterId;
                o.ServiceId = options.Cluster.ServiceId;
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = Settings.PostgresConnectionString(configuration);
            });
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
                return ++attempts < 15;
            });
        });
        using var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            var result = await call(host.Services.GetRequiredService<IClusterClient>());
            await host.StopAsync(CancellationToken.None);
            return result;
        }
        catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task CreateCampaignAsync(Context context, IConfiguration configuration)
    {
        var id = Required(configuration, "id");
        if (!NewCampaign.IsValidId(id))
        {
            throw new StartupException("--id must be 1-48 characters of [a-z0-9-], starting with a letter or digit");
        }
        var departements = configuration["departements"]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var campaign = await context.Store.CreateCampaignAsync(new NewCampaign(id, configuration["name"] ?? id, departements,
            configuration["by"] ?? Environment.UserName,
            TimeSpan.FromDays(7 * Int(configuration, "opposition-weeks", 6)),
            TimeSpan.FromDays(7 * Int(configuration, "validity-weeks", 6))), DateTimeOffset.UtcNow, context.Cancellation);
        Console.WriteLine(JsonSerializer.Serialize(campaign, Json));
    }

    private static async Task IssueAsync(Context context, IConfiguration configuration)
    {
        var id = Required(configuration, "id");
        var service = new IssuanceService(context.Store, context.Content, context.CodeHasher, context.DeliveryCipher, new IssuanceOptions
        {
            ChunkSize = Int(configuration, "chunk-size", 250_000),
            Writers = Int(configuration, "writers", 2),
        });
        var progress = new ConsoleProgress($"issue {id}", total: null);
        var result = await service.IssueAsync(id, new Progress<IssuanceProgress>(p =>
        {
            progress.Report(p.Issued, $"{p.Emails:N0} emails, {p.Letters:N0} letters, {p.Batches} batches" + (p.Total is { } t ? $", of {t:N0}" : ""));
        }), context.Cancellation);
        progress.Done(result.Issued);
        Console.WriteLine(JsonSerializer.Serialize(result, Json));
    }

    private static async Task StatusAsync(Context context, IConfiguration configuration)
    {
        var id = Required(configuration, "id");
        var campaign = await context.Store.GetCampaignAsync(id, context.Cancellation) ?? throw new CampaignNotFoundException(id);
        var counts = await context.Store.GetCampaignCountsAsync(id, DateTimeOffset.UtcNow, context.Cancellation);
        Console.WriteLine(JsonSerializer.Serialize(new { campaign, counts }, Json));
    }

    /// <summary>Copies the committed print batches (CSV + manifest) to a folder for the print house, checking each SHA-256.</summary>
    private static async Task ExportAsync(Context context, IConfiguration configuration)
    {
        var id = Required(configuration, "id");
        var folder = Required(configuration, "out");
        Directory.CreateDirectory(folder);
        var batches = await context.Store.ListPrintBatchesAsync(id, context.Cancellation);
        var progress = new ConsoleProgress($"export {id}", batches.Count);
        long letters = 0;
        for (var i = 0; i < batches.Count; i++)
        {
            var batch = batches[i];
            foreach (var key in new[] { batch.ContentKey, batch.ManifestKey })
            {
                await using var reader = await context.Content.OpenReadAsync(new ContentKey(key), context.Cancellation)
                    ?? throw new RolloutException($"print batch {batch.BatchNo} is committed but '{key}' is missing from storage");
                await using var file = File.Create(Path.Combine(folder, Path.GetFileName(key)));
                await reader.Stream.CopyToAsync(file, context.Cancellation);
                if (key == batch.ContentKey && !Sha256Hex.Matches(reader.Sha256, batch.Sha256))
                {
                    throw new RolloutException($"print batch {batch.BatchNo} does not match its recorded SHA-256");
                }
            }
            letters += batch.Letters;
            progress.Report(i + 1);
        }
        progress.Done(batches.Count);
        Console.WriteLine(JsonSerializer.Serialize(new { campaign = id, folder = Path.GetFullPath(folder), batches = batches.Count, letters }, Json));
    }

    private sealed record Context(IRolloutStore Store, IContentStore Content, NirHasher NirHasher,
        Domain.Rollout.CodeHasher CodeHasher, DeliveryCodeCipher DeliveryCipher, NpgsqlDataSource DataSource, CancellationToken Cancellation);

    /// <summary>Builds the stores from the cluster's settings (keys are required: never development keys) and maps failures to exit codes.</summary>
    private static async Task<int> RunAsync(string[] args, Func<Context, IConfiguration, Task> run)
    {
        var configuration = CommandConfiguration.Build(args);
        var options = Settings.ReadOptions(configuration);
        options.Role = CoffreRole.Silo;
        await using var dataSource = Settings.PostgresDataSource(configuration);
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        try
        {
            await new SchemaMigrator(dataSource).EnsureCurrentAsync(cancellation.Token);
            var content = new BlobContentStore(Settings.BlobService(configuration).GetBlobContainerClient(options.BlobContainer));
            var context = new Context(new PostgresRolloutStore(dataSource, configuration.GetSection(PostgresRolloutStoreOptions.Section).Get<PostgresRolloutStoreOptions>() ?? new()), content,
                KeyMaterial.NirHasher(configuration, options),
                KeyMaterial.CodeHasher(configuration, options), KeyMaterial.DeliveryCipher(configuration, options), dataSource, cancellation.Token);
            await run(context, configuration);
            return 0;
        }
        catch (SchemaVersionException e)
        {
            throw new StartupException(e.Message, 4);
        }
        catch (Exception e) when (e is ImportFileMismatchException or IssuanceInProgressException or CampaignConflictException or CampaignNotFoundException or ImportCheckpointException)
        {
            throw new StartupException(e.Message, 5);
        }
        catch (Exception e) when (e is PopulationFileException or IOException or UnauthorizedAccessException)
        {
            throw new StartupException(e.Message, 2);
        }
        catch (Exception e) when (e is NpgsqlException or ContentStoreUnavailableException or Azure.RequestFailedException or TimeoutException)
        {
            throw new StartupException($"a service is unreachable ({Settings.Describe(dataSource)} or Blob storage): {e.Message.Split('\n')[0]}", 3);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("coffre: cancelled; run the same command again to resume");
            return 130;
        }
    }

    private static string Required(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : throw new StartupException($"--{name} is required");

    private static int Int(IConfiguration configuration, string name, int fallback) =>
        configuration[name] is null ? fallback
        : int.TryParse(configuration[name], out var value) && value > 0 ? value
        : throw new StartupException($"--{name} must be a positive whole number");
}
