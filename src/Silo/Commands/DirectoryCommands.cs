using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Grains.Directory;
using Coffre.Silo.Hosting;
using static Coffre.Silo.Commands.RolloutCommands;

namespace Coffre.Silo.Commands;

/// <summary>
/// <c>coffre directory import|generate</c>: registration by list through the cluster (an Orleans client, as the
/// <c>opposition</c> verb; the silos' registrar grain checks and applies each chunk of rows), and the synthetic
/// directory files. Exit codes: 0 done (or stopped at <c>--max-rows</c>), 2 bad arguments or header, 3 no silo answered
/// (run it again: it resumes), 5 a checkpoint of another file or kind sits beside the report, 130 interrupted (Ctrl+C; it resumes too).
/// </summary>
public static class DirectoryCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task<int> RunAsync(string[] args)
    {
        var verb = args.Length > 0 ? args[0] : "";
        var rest = args.Length > 0 ? args[1..] : args;
        return verb switch
        {
            "import" => ImportAsync(rest),
            "generate" => Task.FromResult(Generate(rest)),
            _ => throw new StartupException("usage: coffre directory import --kind establishments|professionals --file F [--report R] | generate --establishments M --professionals N --out DIR [--seed S]"),
        };
    }

    /// <summary>Where an interrupted import stands; kept beside the report (<c>R.checkpoint</c>), replaced after each applied chunk.</summary>
    private sealed record Checkpoint(string Kind, string FileSha256, long LinesDone, long ReportBytes, DirectoryCounts Counts, bool Complete);

    /// <summary>
    /// <c>coffre directory import --kind establishments|professionals --file F [--report R] [--chunk-size N] [--max-rows N] [--by WHO]</c>.
    /// Establishments first: professionals' memberships name them. Each chunk (default 500 rows) is applied, then its
    /// report lines are written and the checkpoint replaced; a re-run with the same file continues after the checkpoint.
    /// </summary>
    private static async Task<int> ImportAsync(string[] args)
    {
        var builder = CommandHost.CreateBuilder(args, CoffreRole.Gateway, out var options);
        var configuration = builder.Configuration;
        var kind = Required(configuration, "kind") switch
        {
            "establishments" => DirectoryEntryKind.Establishment,
            "professionals" => DirectoryEntryKind.Professional,
            _ => throw new StartupException("--kind must be establishments or professionals"),
        };
        var file = Required(configuration, "file");
        if (!File.Exists(file))
        {
            throw new StartupException($"--file {file} does not exist");
        }
        var reportPath = configuration["report"] ?? file + ".report.csv";
        var checkpointPath = reportPath + ".checkpoint";
        var chunkSize = Int(configuration, "chunk-size", DirectoryListImport.DefaultChunkSize);
        if (chunkSize > IDirectoryRegistrarGrain.MaxBatch)
        {
            throw new StartupException($"--chunk-size must be at most {IDirectoryRegistrarGrain.MaxBatch}");
        }
        long? maxRows = configuration["max-rows"] is null ? null : Int(configuration, "max-rows", 1);
        var caller = Caller.Operator(configuration["by"] ?? "cli:" + Environment.UserName, OperatorRoles.DirectoryAdmin);

        string sha;
        await using (var stream = File.OpenRead(file))
        {
            sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
        }
        var kindName = kind == DirectoryEntryKind.Establishment ? "establishments" : "professionals";
        var checkpoint = File.Exists(checkpointPath) ? JsonSerializer.Deserialize<Checkpoint>(await File.ReadAllTextAsync(checkpointPath), Json) : null;
        if (checkpoint is not null && (checkpoint.Kind != kindName || checkpoint.FileSha256 != sha))
        {
            throw new StartupException($"{checkpointPath} is the checkpoint of another file or kind: remove it (and the report) or choose another --report", 5);
        }
        if (checkpoint is { Complete: true })
        {
            CommandOutput.Print(Summary(kindName, file, reportPath, checkpoint.LinesDone, checkpoint.Counts, complete: true, resumedAt: checkpoint.LinesDone, alreadyComplete: true, TimeSpan.Zero, 0));
            return 0;
        }

        builder.AddCoffreClient(options, connectAttempts: 30, responseTimeout: TimeSpan.FromSeconds(60));
        await using var host = builder.BuildScope();
        using var cancellation = CancelOnCtrlC();
        try
        {
            await host.Host.StartAsync(cancellation.Token);
        }
        catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            throw new StartupException("no silo answered within 30 s: nothing was imported; run the command again", 3);
        }

        await using var report = new FileStream(reportPath, checkpoint is null ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.Write);
        var writer = new StreamWriter(report, new UTF8Encoding(false), 1 << 16);
        if (checkpoint is null)
        {
            await writer.WriteAsync(DirectoryCsv.ReportHeader + "\n");
        }
        else
        {
            // Lines written after the last checkpoint belong to a chunk that is applied again now.
            report.SetLength(checkpoint.ReportBytes);
            report.Seek(0, SeekOrigin.End);
        }
        var resumedAt = checkpoint?.LinesDone ?? 0;
        var progress = new ConsoleProgress($"directory import {kindName}", total: null);
        var registrar = new GrainDirectoryRegistrar(host.Services.GetRequiredService<IClusterClient>(), caller);
        DirectoryImportPosition position;
        try
        {
            using var reader = new StreamReader(file, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, 1 << 16);
            position = await DirectoryListImport.RunAsync(kind, reader, registrar, async (rows, at) =>
            {
                foreach (var row in rows)
                {
                    await writer.WriteAsync(DirectoryCsv.FormatReport(row.Line, row.Result) + "\n");
                }
                await writer.FlushAsync(cancellation.Token);
                report.Flush(flushToDisk: true);
                await WriteCheckpointAsync(checkpointPath, new Checkpoint(kindName, sha, at.LinesDone, report.Length, at.Counts, at.Complete));
                progress.Report(at.LinesDone, $"{at.Counts.Accepted:N0} accepted, {at.Counts.Updated:N0} updated, {at.Counts.Unchanged:N0} unchanged, {at.Counts.Rejected:N0} rejected");
            }, resumedAt, checkpoint?.Counts, chunkSize, maxRows, cancellation.Token);
        }
        catch (FormatException e)
        {
            throw new StartupException($"--file {e.Message}");
        }
        catch (DecoderFallbackException)
        {
            throw new StartupException("--file must be UTF-8");
        }
        catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException)
        {
            throw new StartupException($"the cluster stopped answering ({e.GetType().Name}): run the command again to continue after the last checkpoint", 3);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new StartupException("interrupted: run the command again to continue after the last checkpoint", 130);
        }
        progress.Done(position.LinesDone);
        await host.Host.StopAsync(CancellationToken.None);
        var done = position.LinesDone - resumedAt;
        CommandOutput.Print(Summary(kindName, file, reportPath, position.LinesDone, position.Counts, position.Complete, resumedAt, alreadyComplete: false,
            progress.Elapsed, progress.Elapsed.TotalSeconds > 0 ? Math.Round(done / progress.Elapsed.TotalSeconds, 1) : 0));
        return 0;
    }

    private static object Summary(string kind, string file, string report, long linesDone, DirectoryCounts counts, bool complete, long resumedAt,
        bool alreadyComplete, TimeSpan elapsed, double rowsPerSecond) => new
        {
            kind,
            file = Path.GetFullPath(file),
            report = Path.GetFullPath(report),
            linesDone,
            counts.Accepted,
            counts.Updated,
            counts.Unchanged,
            counts.Rejected,
            complete,
            resumedAt,
            alreadyComplete,
            elapsed,
            rowsPerSecond,
        };

    private static async Task WriteCheckpointAsync(string path, Checkpoint checkpoint)
    {
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(checkpoint, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary><c>coffre directory generate --establishments M --professionals N --out DIR [--seed S]</c>: <c>establishments.csv</c> and <c>professionals.csv</c>.</summary>
    private static int Generate(string[] args)
    {
        var configuration = CommandHost.CreateBuilder(args, role: null, out _).Configuration;
        var establishments = Count(configuration, "establishments", SyntheticDirectory.MaxEstablishments);
        var professionals = Count(configuration, "professionals", SyntheticDirectory.MaxProfessionals);
        var seed = configuration["seed"] is { } s ? (int.TryParse(s, out var v) ? v : throw new StartupException("--seed must be a whole number")) : 42;
        var folder = Required(configuration, "out");
        System.IO.Directory.CreateDirectory(folder);
        var establishmentsFile = Path.GetFullPath(Path.Combine(folder, "establishments.csv"));
        var professionalsFile = Path.GetFullPath(Path.Combine(folder, "professionals.csv"));
        using (var writer = new StreamWriter(establishmentsFile, append: false, new UTF8Encoding(false), 1 << 20))
        {
            SyntheticDirectory.WriteEstablishments(writer, establishments, seed);
        }
        using (var writer = new StreamWriter(professionalsFile, append: false, new UTF8Encoding(false), 1 << 20))
        {
            SyntheticDirectory.WriteProfessionals(writer, professionals, establishments, seed);
        }
        CommandOutput.Print(new { establishmentsFile, establishments, professionalsFile, professionals, seed });
        return 0;
    }

    private static long Count(IConfiguration configuration, string name, long max) =>
        configuration[name] is { } c && long.TryParse(c, out var n) && n >= 0 && n <= max ? n
        : throw new StartupException($"--{name} must be a whole number from 0 to {max}");
}
