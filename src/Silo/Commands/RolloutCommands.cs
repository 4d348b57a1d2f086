using Coffre.Adapters.Postgres;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Npgsql;

namespace Coffre.Silo.Commands;

/// <summary>
/// Operator commands of the national rollout, against the cluster's PostgreSQL and Blob storage (the same settings,
/// keys and service registrations as the silos: <see cref="CommandHost"/>). Long work shows progress and ETA on
/// stderr; results go to stdout (JSON, <see cref="CommandOutput"/>); every command is resumable or idempotent. Exit codes: 0 done, 2 bad arguments or settings,
/// 3 a service is unreachable, 4 schema version, 5 conflict (another run in progress, a different file under the
/// same import id, a campaign defined differently, a campaign that does not exist).
/// </summary>
public static class RolloutCommands
{
    public static Task<int> ImportAsync(string[] args) => RunAsync(args, async verb =>
    {
        var configuration = verb.Configuration;
        var file = Required(configuration, "file");
        if (!File.Exists(file))
        {
            throw new StartupException($"--file {file} does not exist");
        }
        var importId = configuration["import-id"] ?? Path.GetFileNameWithoutExtension(file);
        var report = configuration["report"] ?? file + ".rejects.csv";
        var progress = new ConsoleProgress($"import {importId}", total: null);
        var importer = ActivatorUtilities.CreateInstance<PopulationImporter>(verb.Services, new PopulationImportOptions
        {
            ChunkSize = Int(configuration, "chunk-size", 100_000),
        });
        var result = await importer.ImportAsync(importId, file, report,
            new Progress<ImportProgress>(p => progress.Report(p.LinesDone, $"{p.Accepted:N0} accepted, {p.Rejected:N0} rejected")), verb.Cancellation);
        progress.Done(result.LinesDone, $"{result.Accepted:N0} accepted, {result.Rejected:N0} rejected");
        CommandOutput.Print(new
        {
            result.ImportId,
            result.LinesDone,
            result.Accepted,
            result.Rejected,
            result.Resumed,
            result.AlreadyComplete,
            result.Elapsed,
            linesPerSecond = result.LinesPerSecond,
            rejectReport = result.Rejected > 0 ? result.ReportPath : null,
        });
    });

    /// <summary>
    /// <c>coffre audit-verify --vault V</c>: recomputes a vault's audit hash chain in PostgreSQL (and its head MAC)
    /// and prints the first broken event. Exit 0 when intact, 6 when broken.
    /// </summary>
    public static async Task<int> AuditVerifyAsync(string[] args)
    {
        var broken = false;
        var code = await RunAsync(args, async verb =>
        {
            var vaultId = Required(verb.Configuration, "vault");
            var result = await verb.Services.GetRequiredService<PostgresAuditLog>().VerifyAsync(vaultId, verb.Cancellation);
            broken = !result.Intact;
            CommandOutput.Print(new { vault = vaultId, result.Intact, result.EventsChecked, result.FirstBrokenSequence, result.Problem });
        });
        return code == 0 && broken ? 6 : code;
    }

    /// <summary><c>coffre generate-population --count N --out F [--seed S]</c>: a deterministic synthetic population file (tests, demos, benchmarks; never real people).</summary>
    public static Task<int> GeneratePopulationAsync(string[] args)
    {
        var configuration = CommandHost.CreateBuilder(args, role: null, out _).Configuration;
        var count = configuration["count"] is { } c && long.TryParse(c, out var n) && n > 0 ? n : throw new StartupException("--count must be a positive whole number");
        var seed = configuration["seed"] is { } s ? (int.TryParse(s, out var v) ? v : throw new StartupException("--seed must be a whole number")) : 42;
        var path = Required(configuration, "out");
        using (var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 1 << 20))
        {
            Domain.Rollout.SyntheticPopulation.WriteCsv(writer, count, seed);
        }
        CommandOutput.Print(new { file = Path.GetFullPath(path), people = count, seed });
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
            "post-bounces" => RunAsync(rest, PostBouncesAsync),
            "close-window" => RunAsync(rest, CloseWindowAsync),
            "reissue" => RunAsync(rest, ReissueAsync),
            _ => throw new StartupException("usage: coffre campaign create|issue|status|export|post-bounces|close-window|reissue --id ID [...]"),
        };
    }

    /// <summary>
    /// <c>coffre opposition --nir N --by WHO</c>: the phone channel. Recorded through the cluster's opposition grain — the
    /// one path that updates the registry, revokes codes and closes whatever vault the person has (through their identity
    /// grain) — as an Orleans client; when no silo answers, nothing is recorded and the command exits 3 (run it again).
    /// </summary>
    public static async Task<int> OppositionAsync(string[] args)
    {
        var builder = CommandHost.CreateBuilder(args, CoffreRole.Gateway, out var options);
        var configuration = builder.Configuration;
        var nir = Required(configuration, "nir");
        if (Nir.Validate(nir) is { } rule)
        {
            throw new StartupException($"--nir {rule}");
        }
        var by = Required(configuration, "by");
        // The gateways' Orleans client, waiting 30 s at most for a silo; the call keeps Orleans' 30 s deadline.
        builder.AddCoffreClient(options, connectAttempts: 30, responseTimeout: TimeSpan.FromSeconds(30));
        using var cancellation = CancelOnCtrlC();
        var receipt = await WithClusterAsync(builder, cancellation.Token, grains => grains.GetGrain<Grains.Rollout.IOppositionGrain>(0)
            .RecordAsync(Domain.Access.Caller.Operator(by, Domain.Access.OperatorRoles.Rollout), new Grains.Rollout.OppositionRecordRequest(nir, null, null)))
            ?? throw new StartupException("no silo answered within 30 s: nothing was recorded; run the command again", 3);
        CommandOutput.Print(new
        {
            receipt = receipt.ReceiptId,
            receipt.RecordedAt,
            receipt.CodesRevoked,
            vaultClosed = receipt.VaultClosed,
            vaultClosedNow = receipt.VaultClosed,
        });
        return 0;
    }

    /// <summary>
    /// <c>coffre rollout majority --date D [--by operator-id]</c>: the day's hand-over of the vaults of people turning 18
    /// (born on D minus 18 years), through the cluster: one registry read, then each person's vault grain tells the person
    /// and their parents once (idempotent; run it daily, e.g. from a CronJob, or again for a missed day). Exit 3 when no
    /// silo answers.
    /// </summary>
    public static async Task<int> RolloutAsync(string[] args)
    {
        if (args.Length == 0 || args[0] != "majority")
        {
            throw new StartupException("usage: coffre rollout majority --date YYYY-MM-DD [--by operator-id]");
        }
        var builder = CommandHost.CreateBuilder(args[1..], CoffreRole.Gateway, out var options);
        var configuration = builder.Configuration;
        var date = DateOnly.TryParseExact(Required(configuration, "date"), "yyyy-MM-dd", out var d) ? d
            : throw new StartupException("--date must be a date written YYYY-MM-DD");
        var by = configuration["by"] ?? Environment.UserName;
        builder.AddCoffreClient(options, connectAttempts: 30, responseTimeout: TimeSpan.FromMinutes(10));
        using var cancellation = CancelOnCtrlC();
        var result = await WithClusterAsync<Grains.Rollout.MajorityRunResult>(builder, cancellation.Token, async grains => await grains
            .GetGrain<Grains.Rollout.IRolloutOperationsGrain>(0).ReachMajorityAsync(Domain.Access.Caller.Operator(by, Domain.Access.OperatorRoles.Rollout), date))
            ?? throw new StartupException("no silo answered (or the run did not finish within 10 minutes): run the command again", 3);
        CommandOutput.Print(result);
        return 0;
    }

    /// <summary>Starts the command's host (its Orleans client) and runs <paramref name="call"/>; null when no silo answered.</summary>
    private static async Task<T?> WithClusterAsync<T>(HostApplicationBuilder builder, CancellationToken cancellationToken, Func<IClusterClient, Task<T?>> call)
        where T : class
    {
        await using var host = builder.BuildScope();
        try
        {
            await host.Host.StartAsync(cancellationToken);
            var result = await call(host.Services.GetRequiredService<IClusterClient>());
            await host.Host.StopAsync(CancellationToken.None);
            return result;
        }
        catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task CreateCampaignAsync(Verb verb)
    {
        var configuration = verb.Configuration;
        var id = Required(configuration, "id");
        if (!NewCampaign.IsValidId(id))
        {
            throw new StartupException("--id must be 1-48 characters of [a-z0-9-], starting with a letter or digit");
        }
        var departements = configuration["departements"]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var campaign = await verb.Store.CreateCampaignAsync(new NewCampaign(id, configuration["name"] ?? id, departements,
            configuration["by"] ?? Environment.UserName,
            TimeSpan.FromDays(7 * Int(configuration, "opposition-weeks", 6)),
            TimeSpan.FromDays(7 * Int(configuration, "validity-weeks", 6))), DateTimeOffset.UtcNow, verb.Cancellation);
        CommandOutput.Print(campaign);
    }

    private static async Task IssueAsync(Verb verb)
    {
        var configuration = verb.Configuration;
        var id = Required(configuration, "id");
        var service = ActivatorUtilities.CreateInstance<IssuanceService>(verb.Services, new IssuanceOptions
        {
            ChunkSize = Int(configuration, "chunk-size", 250_000),
            Writers = Int(configuration, "writers", 2),
            CountFirst = configuration["count-first"] switch
            {
                null => false,
                var v when bool.TryParse(v, out var b) => b,
                _ => throw new StartupException("--count-first must be true or false"),
            },
        });
        var progress = new ConsoleProgress($"issue {id}", total: null);
        var result = await service.IssueAsync(id, new Progress<IssuanceProgress>(p =>
        {
            progress.Report(p.Issued, $"{p.Emails:N0} emails, {p.Letters:N0} letters, {p.Batches} batches"
                + (p.Total is { } t ? $", of {(p.TotalEstimated ? "about " : "")}{t:N0}" : "") + (p.Eta is { } eta ? $", {eta:hh\\:mm\\:ss} left" : ""));
        }), verb.Cancellation);
        progress.Done(result.Issued);
        CommandOutput.Print(result);
    }

    /// <summary>Bounce → post: the campaign's people whose activation email bounced get a new code in the next print batch.</summary>
    private static async Task PostBouncesAsync(Verb verb)
    {
        var configuration = verb.Configuration;
        var id = Required(configuration, "id");
        var service = ActivatorUtilities.CreateInstance<IssuanceService>(verb.Services, new IssuanceOptions
        {
            ChunkSize = Int(configuration, "chunk-size", 250_000),
            Writers = 1,
        });
        CommandOutput.Print(await service.PostBouncesAsync(id, verb.Cancellation));
    }

    /// <summary>
    /// <c>coffre campaign close-window --id ID [--chunk-size N]</c>: after the campaign's opposition window, the vaults of
    /// the people it sent a code who neither opposed nor activated become ACTIVE (<see cref="OppositionWindow"/>). Exit 5
    /// before the window's end.
    /// </summary>
    private static async Task CloseWindowAsync(Verb verb)
    {
        var id = Required(verb.Configuration, "id");
        var progress = new ConsoleProgress($"close-window {id}", total: null);
        var result = await ActivatorUtilities.CreateInstance<OppositionWindow>(verb.Services)
            .CloseAsync(id, Int(verb.Configuration, "chunk-size", 250_000), new Progress<long>(codes => progress.Report(codes, "codes read")), verb.Cancellation);
        progress.Done(result.CodesRead);
        CommandOutput.Print(result);
    }

    /// <summary>
    /// <c>coffre campaign reissue --id C --nir NIR [--by operator-id]</c>: a lost letter, a locked or expired code
    /// (<see cref="CodeReissue"/>): the person's codes revoked, a new one sent (email, else a print batch of one letter),
    /// recorded in their access history under the operator's id. Exit 5 for a person who opposed or activated, or whom
    /// the registry does not know; the NIR is never printed.
    /// </summary>
    private static async Task ReissueAsync(Verb verb)
    {
        var configuration = verb.Configuration;
        var id = Required(configuration, "id");
        var nir = Required(configuration, "nir");
        if (Nir.Validate(nir) is { } rule)
        {
            throw new StartupException($"--nir {rule}");
        }
        var by = configuration["by"] ?? Environment.UserName;
        var nirHash = new byte[NirHasher.HashSize];
        verb.Services.GetRequiredService<NirHasher>().Hash(nir, nirHash);
        var issuance = ActivatorUtilities.CreateInstance<IssuanceService>(verb.Services, new IssuanceOptions { ChunkSize = 1, Writers = 1, CountFirst = false });
        var reissue = ActivatorUtilities.CreateInstance<CodeReissue>(verb.Services, issuance);
        ReissueResult result;
        try
        {
            result = await reissue.ReissueAsync(Domain.Access.Caller.Operator(by, Domain.Access.OperatorRoles.Rollout), id, nirHash, verb.Cancellation);
        }
        catch (Domain.Access.ValidationFailedException e)
        {
            throw new StartupException($"--{(e.Field == "campaignId" ? "id" : e.Field)} {e.Rule}", e.Code == Domain.ErrorCodes.Validation ? 2 : 5);
        }
        CommandOutput.Print(new
        {
            campaign = id,
            revoked = result.Revoked,
            issued = result.Issued,
            channel = result.Channel,
            batch = result.PrintBatchNo,
        });
    }

    private static async Task StatusAsync(Verb verb)
    {
        var id = Required(verb.Configuration, "id");
        var campaign = await verb.Store.GetCampaignAsync(id, verb.Cancellation) ?? throw new CampaignNotFoundException(id);
        var counts = await verb.Store.GetCampaignCountsAsync(id, DateTimeOffset.UtcNow, verb.Cancellation);
        CommandOutput.Print(new { campaign, counts });
    }

    /// <summary>Copies the committed print batches (CSV + manifest) to a folder for the print house, checking each SHA-256.</summary>
    private static async Task ExportAsync(Verb verb)
    {
        var id = Required(verb.Configuration, "id");
        var folder = Required(verb.Configuration, "out");
        Directory.CreateDirectory(folder);
        var batches = await verb.Store.ListPrintBatchesAsync(id, verb.Cancellation);
        var progress = new ConsoleProgress($"export {id}", batches.Count);
        long letters = 0;
        for (var i = 0; i < batches.Count; i++)
        {
            var batch = batches[i];
            foreach (var key in new[] { batch.ContentKey, batch.ManifestKey })
            {
                await using var reader = await verb.Content.OpenReadAsync(new ContentKey(key), verb.Cancellation)
                    ?? throw new RolloutException($"print batch {batch.BatchNo} is committed but '{key}' is missing from storage");
                await using var file = File.Create(Path.Combine(folder, Path.GetFileName(key)));
                await reader.Stream.CopyToAsync(file, verb.Cancellation);
                if (key == batch.ContentKey && !Sha256Hex.Matches(reader.Sha256, batch.Sha256))
                {
                    throw new RolloutException($"print batch {batch.BatchNo} does not match its recorded SHA-256");
                }
            }
            letters += batch.Letters;
            progress.Report(i + 1);
        }
        progress.Done(batches.Count);
        CommandOutput.Print(new { campaign = id, folder = Path.GetFullPath(folder), batches = batches.Count, letters });
    }

    /// <summary>What a verb works with: the services of its host, its configuration, Ctrl+C.</summary>
    private sealed record Verb(IServiceProvider Services, IConfiguration Configuration, CancellationToken Cancellation)
    {
        public IRolloutStore Store => Services.GetRequiredService<IRolloutStore>();

        public IContentStore Content => Services.GetRequiredService<IContentStore>();
    }

    /// <summary>
    /// Builds the verb's host with the cluster's storage as the silos register it (keys are required: never
    /// development keys), checks the schema, runs the verb and maps failures to exit codes.
    /// </summary>
    private static async Task<int> RunAsync(string[] args, Func<Verb, Task> run)
    {
        var builder = CommandHost.CreateBuilder(args, CoffreRole.Silo, out var options);
        await using var dataSource = Settings.PostgresDataSource(builder.Configuration);
        builder.AddCoffreOperatorTools(options, dataSource);
        await using var host = builder.BuildScope();
        using var cancellation = CancelOnCtrlC();
        try
        {
            await host.Services.GetRequiredService<SchemaMigrator>().EnsureCurrentAsync(cancellation.Token);
            await run(new Verb(host.Services, host.Services.GetRequiredService<IConfiguration>(), cancellation.Token));
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

    internal static CancellationTokenSource CancelOnCtrlC()
    {
        var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        return cancellation;
    }

    internal static string Required(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : throw new StartupException($"--{name} is required");

    internal static int Int(IConfiguration configuration, string name, int fallback) =>
        configuration[name] is null ? fallback
        : int.TryParse(configuration[name], out var value) && value > 0 ? value
        : throw new StartupException($"--{name} must be a positive whole number");
}
