using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Storage.Content;

namespace Coffre.Storage.Rollout;

public sealed class PopulationImportOptions
{
    /// <summary>Data lines (accepted + rejected) per transaction.</summary>
    public int ChunkSize { get; set; } = 100_000;

    /// <summary>Parsed chunks waiting for the writer (memory is about (2 + this) × chunk).</summary>
    public int QueuedChunks { get; set; } = 1;

    /// <summary>The "today" birth dates are checked against; null = the clock's date.</summary>
    public DateOnly? Today { get; set; }
}

/// <summary>Progress after each committed chunk.</summary>
public sealed record ImportProgress(long LinesDone, long Accepted, long Rejected, double RowsPerSecond, TimeSpan Elapsed);

public sealed record ImportResult(
    string ImportId,
    long LinesDone,
    long Accepted,
    long Rejected,
    bool Resumed,
    bool AlreadyComplete,
    TimeSpan Elapsed,
    string ReportPath)
{
    /// <summary>Lines processed by this call per second.</summary>
    public double LinesPerSecond { get; init; }
}

/// <summary>
/// Imports a population file (<see cref="PopulationCsv"/>) into the registry at bulk speed. One thread parses,
/// validates and hashes (NIR and Vitale serial with the NIR pepper; only hashes leave it), encoding accepted rows as
/// COPY tuples into chunks; a bounded channel hands them to the writer, which appends the chunk's rejected rows to the
/// report, flushes it to disk, then commits the rows and the checkpoint in one transaction. Both cores stay busy and
/// memory holds at most a few chunks, whatever the file size.
/// </summary>
/// <remarks>
/// <para>
/// Resumable: the import id names a checkpoint (lines done) recorded with the file's SHA-256; running the same import
/// id again after a crash or a cancellation skips the lines already committed (a different file is refused). The
/// report (<c>line;field;rule</c>, the rule being the rest of the line) is cut back to the checkpoint and appended to,
/// so it holds each rejected line exactly once. Running a completed import id again does nothing.
/// </para>
/// <para>
/// Re-import (a new import id, same people) updates rows and never duplicates them; opposed people are never touched.
/// A NIR appearing twice in one file: the last line wins (the earlier row is stored, then updated by the later one).
/// </para>
/// </remarks>
public sealed class PopulationImporter
{
    public const string ReportHeader = "line;field;rule";

    private readonly IRolloutStore _store;
    private readonly NirHasher _nirHasher;
    private readonly PopulationImportOptions _options;
    private readonly TimeProvider _time;

    public PopulationImporter(IRolloutStore store, NirHasher nirHasher, PopulationImportOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(nirHasher);
        _store = store;
        _nirHasher = nirHasher;
        _options = options ?? new PopulationImportOptions();
        if (_options.ChunkSize < 1 || _options.QueuedChunks < 1)
        {
            throw new ArgumentException("chunk size and queued chunks must be positive", nameof(options));
        }
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The Vitale serial's keyed hash as stored: the NIR pepper over "VITALE:" + the serial (what activation compares).</summary>
    public static void HashVitale(NirHasher hasher, ReadOnlySpan<char> serial, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        const string Prefix = "VITALE:";
        Span<char> text = stackalloc char[Prefix.Length + 64];
        serial = serial.Trim();
        if (serial.Length > 64)
        {
            hasher.Hash(Prefix + serial.ToString(), destination);
            return;
        }
        Prefix.CopyTo(text);
        serial.CopyTo(text[Prefix.Length..]);
        hasher.Hash(text[..(Prefix.Length + serial.Length)], destination);
    }

    public async Task<ImportResult> ImportAsync(string importId, string filePath, string reportPath,
        IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(importId);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        ArgumentException.ThrowIfNullOrEmpty(reportPath);
        var clock = Stopwatch.StartNew();
        var sha = await FileSha256Async(filePath, cancellationToken).ConfigureAwait(false);
        var run = await _store.BeginImportAsync(importId, Path.GetFileName(filePath), sha, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (run.CompletedAt is not null)
        {
            return new ImportResult(importId, run.LinesDone, run.RowsAccepted, run.RowsRejected, true, true, clock.Elapsed, reportPath);
        }
        var resumed = run.LinesDone > 0;
        var startLines = run.LinesDone;
        PrepareReport(reportPath, run.LinesDone);

        var queue = Channel.CreateBounded<ImportChunk>(new BoundedChannelOptions(_options.QueuedChunks)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var parser = Task.Factory.StartNew(() => Parse(importId, filePath, run.LinesDone, queue.Writer, stop.Token),
            stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var (lines, accepted, rejected) = (run.LinesDone, run.RowsAccepted, run.RowsRejected);
        try
        {
            await using var report = new FileStream(reportPath, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);
            await foreach (var chunk in queue.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                using (chunk)
                {
                    if (chunk.Rejects.Count > 0)
                    {
                        await WriteRejectsAsync(report, chunk.Rejects, stop.Token).ConfigureAwait(false);
                    }
                    await _store.CommitImportChunkAsync(chunk, stop.Token).ConfigureAwait(false);
                    (lines, accepted, rejected) = (chunk.LastLine, accepted + chunk.Rows, rejected + chunk.Rejects.Count);
                }
                progress?.Report(new ImportProgress(lines, accepted, rejected, (lines - startLines) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3), clock.Elapsed));
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await DrainAsync(queue.Reader, parser).ConfigureAwait(false);
            throw;
        }
        await parser.ConfigureAwait(false); // surfaces a parse failure (e.g. a wrong header)

        var completed = await _store.CompleteImportAsync(importId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new ImportResult(importId, completed.LinesDone, completed.RowsAccepted, completed.RowsRejected, resumed, false, clock.Elapsed, reportPath)
        {
            LinesPerSecond = (completed.LinesDone - startLines) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3),
        };
    }

    /// <summary>The parser/hasher thread: file → validated rows → chunks of COPY tuples.</summary>
    private void Parse(string importId, string filePath, long skipLines, ChannelWriter<ImportChunk> queue, CancellationToken cancellationToken)
    {
        ImportChunk? chunk = null;
        try
        {
            using var file = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            using var reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
            var today = _options.Today ?? DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
            Span<byte> nirHash = stackalloc byte[32];
            Span<byte> vitaleHash = stackalloc byte[32];
            var representatives = new byte[32 * 8];
            var checkpoint = skipLines;
            chunk = new ImportChunk(importId, checkpoint, _time.GetUtcNow());
            var rows = 0L;
            foreach (var parsed in PopulationCsv.Read(reader, skipLines, today))
            {
                if ((++rows & 1023) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (parsed.Error is { } error)
                {
                    if (error.Field == "header")
                    {
                        throw new PopulationFileException($"the population file's header {error.Rule}");
                    }
                    chunk.Reject(error);
                }
                else
                {
                    var person = parsed.Record!;
                    _nirHasher.Hash(person.Nir, nirHash);
                    if (chunk.Contains(nirHash))
                    {
                        // The same NIR twice in one chunk: close it so that the later line updates the earlier row.
                        checkpoint = Flush(ref chunk, importId, parsed.Line - 1, queue, cancellationToken);
                    }
                    var vitale = vitaleHash[..0];
                    if (person.VitaleSerial is { } serial)
                    {
                        HashVitale(_nirHasher, serial, vitaleHash);
                        vitale = vitaleHash;
                    }
                    var count = person.RepresentativeNirs.Count;
                    if (representatives.Length < count * 32)
                    {
                        representatives = new byte[count * 32];
                    }
                    for (var i = 0; i < count; i++)
                    {
                        _nirHasher.Hash(person.RepresentativeNirs[i], representatives.AsSpan(i * 32, 32));
                    }
                    chunk.Add(parsed.Line, person, nirHash, vitale, representatives.AsSpan(0, count * 32));
                }
                if (chunk.Lines >= _options.ChunkSize)
                {
                    checkpoint = Flush(ref chunk, importId, parsed.Line, queue, cancellationToken);
                }
            }
            if (chunk.Lines > 0)
            {
                Send(chunk, queue, cancellationToken);
            }
            else
            {
                chunk.Dispose();
            }
            chunk = null;
            queue.Complete();
        }
        catch (Exception e)
        {
            chunk?.Dispose();
            queue.TryComplete(e);
            throw;
        }
    }

    private long Flush(ref ImportChunk chunk, string importId, long lastLine, ChannelWriter<ImportChunk> queue, CancellationToken cancellationToken)
    {
        chunk.Cover(lastLine);
        Send(chunk, queue, cancellationToken);
        chunk = new ImportChunk(importId, lastLine, _time.GetUtcNow());
        return lastLine;
    }

    private static void Send(ImportChunk chunk, ChannelWriter<ImportChunk> queue, CancellationToken cancellationToken)
    {
        if (!queue.TryWrite(chunk))
        {
            queue.WriteAsync(chunk, cancellationToken).AsTask().GetAwaiter().GetResult();
        }
    }

    private static async Task DrainAsync(ChannelReader<ImportChunk> reader, Task parser)
    {
        try
        {
            await parser.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already failing or cancelled: the first error is the one reported.
        }
        while (reader.TryRead(out var chunk))
        {
            chunk.Dispose();
        }
    }

    private static async Task WriteRejectsAsync(FileStream report, IReadOnlyList<RowError> rejects, CancellationToken cancellationToken)
    {
        var text = new StringBuilder(rejects.Count * 64);
        foreach (var reject in rejects)
        {
            text.Append(reject.Line.ToString(CultureInfo.InvariantCulture)).Append(';').Append(reject.Field).Append(';')
                .Append(reject.Rule.ReplaceLineEndings(" ")).Append('\n');
        }
        await report.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), cancellationToken).ConfigureAwait(false);
        await report.FlushAsync(cancellationToken).ConfigureAwait(false);
        report.Flush(flushToDisk: true);
    }

    /// <summary>
    /// A fresh report (header only) for a new import; on resume, the report cut back to the entries of committed lines
    /// (a crash between writing a chunk's rejects and committing the chunk leaves entries the resume writes again).
    /// </summary>
    private static void PrepareReport(string reportPath, long linesDone)
    {
        if (linesDone == 0 || !File.Exists(reportPath))
        {
            File.WriteAllText(reportPath, ReportHeader + "\n", new UTF8Encoding(false));
            return;
        }
        long keep = 0;
        using (var stream = new FileStream(reportPath, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            var position = 0L;
            var line = new List<byte>(256);
            int b;
            var first = true;
            while ((b = stream.ReadByte()) >= 0)
            {
                position++;
                if (b != '\n')
                {
                    line.Add((byte)b);
                    continue;
                }
                var text = Encoding.UTF8.GetString([.. line]);
                line.Clear();
                var separator = text.IndexOf(';', StringComparison.Ordinal);
                if (!first && (separator < 0 || !long.TryParse(text.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > linesDone))
                {
                    break;
                }
                first = false;
                keep = position;
            }
        }
        using var truncate = new FileStream(reportPath, FileMode.Open, FileAccess.Write, FileShare.Read);
        truncate.SetLength(keep);
        truncate.Flush(flushToDisk: true);
    }

    private static async Task<string> FileSha256Async(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
    }
}
