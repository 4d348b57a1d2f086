using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Rollout;

public sealed class PopulationImportOptions
{
    /// <summary>Data lines (accepted + rejected) per transaction.</summary>
    public int ChunkSize { get; set; } = 100_000;

    /// <summary>Parsed chunks waiting for the writer (memory is about (2 + this) × chunk).</summary>
    public int QueuedChunks { get; set; } = 1;

    /// <summary>Lines per parse task; blocks are parsed and hashed in parallel and reassembled in file order.</summary>
    public int BlockSize { get; set; } = 1024;

    /// <summary>Blocks parsed ahead of the assembler (bounds the memory of the parallel stage).</summary>
    public int BlocksInFlight { get; set; } = 2 * Environment.ProcessorCount + 2;

    /// <summary>
    /// Upsert, or InitialLoad (empty registry: load without indexes, publish at completion); null = InitialLoad when the
    /// registry is empty, else Upsert. A resumed import keeps the mode it started with.
    /// </summary>
    public ImportMode? Mode { get; set; }

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
/// Imports a population file (<see cref="PopulationCsv"/>) into the registry at bulk speed. A reader thread splits the
/// file into blocks of lines; blocks are validated (<see cref="PopulationCsv.ParseLine"/>), hashed (NIR and Vitale serial
/// with the NIR pepper; only hashes leave this stage) and encoded as COPY tuples in parallel, then reassembled in file
/// order into chunks; a bounded channel hands chunks to the writer, which appends the chunk's rejected rows to the
/// report, flushes it to disk, then commits the rows and the checkpoint in one transaction (one connection). Both cores
/// stay busy and memory holds a few chunks and blocks, whatever the file size.
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

    public async Task<ImportResult> ImportAsync(string importId, string filePath, string reportPath,
        IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(importId);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        ArgumentException.ThrowIfNullOrEmpty(reportPath);
        var clock = Stopwatch.StartNew();
        var sha = await FileSha256Async(filePath, cancellationToken).ConfigureAwait(false);
        var run = await _store.BeginImportAsync(importId, Path.GetFileName(filePath), sha, _time.GetUtcNow(), _options.Mode, cancellationToken).ConfigureAwait(false);
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
        var blocks = Channel.CreateBounded<Task<BlockResult>>(new BoundedChannelOptions(_options.BlocksInFlight)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var today = _options.Today ?? DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        var reader = Task.Factory.StartNew(() => Read(importId, filePath, run.LinesDone, today, blocks.Writer, stop.Token),
            stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var parser = Task.Run(() => AssembleAsync(importId, run.LinesDone, blocks.Reader, queue.Writer, stop.Token), stop.Token);

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
                    RolloutMetrics.ImportChunkCommitted(chunk.Rows, chunk.Rejects.Count);
                    (lines, accepted, rejected) = (chunk.LastLine, accepted + chunk.Rows, rejected + chunk.Rejects.Count);
                }
                progress?.Report(new ImportProgress(lines, accepted, rejected, (lines - startLines) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3), clock.Elapsed));
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await DrainAsync(queue.Reader, reader, parser).ConfigureAwait(false);
            throw;
        }
        await reader.ConfigureAwait(false);
        await parser.ConfigureAwait(false);

        var completed = await _store.CompleteImportAsync(importId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new ImportResult(importId, completed.LinesDone, completed.RowsAccepted, completed.RowsRejected, resumed, false, clock.Elapsed, reportPath)
        {
            LinesPerSecond = (completed.LinesDone - startLines) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3),
        };
    }

    /// <summary>
    /// The reader thread: file → blocks of (line number, text), framed exactly as <see cref="PopulationCsv.Read"/> frames
    /// them (header check, skipped lines still counted, an empty line is an error unless only empty lines follow it).
    /// Each block starts a parse task at once; the bounded channel of tasks keeps them in file order.
    /// </summary>
    private void Read(string importId, string filePath, long skipLines, DateOnly today, ChannelWriter<Task<BlockResult>> blocks, CancellationToken cancellationToken)
    {
        try
        {
            using var file = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            using var reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
            var header = reader.ReadLine();
            if (header is null)
            {
                throw new PopulationFileException("the population file's header is missing (the file is empty)");
            }
            if (header.Length > 0 && header[0] == '\uFEFF')
            {
                header = header[1..];
            }
            if (!string.Equals(header, PopulationCsv.Header, StringComparison.Ordinal))
            {
                throw new PopulationFileException($"the population file's header must be exactly '{PopulationCsv.Header}'");
            }
            var stamp = DateTimeOffset.MinValue;
            Block NewBlock()
            {
                // Strictly increasing per block, so that "the last line of a NIR wins" can be decided by updated_at.
                var now = RolloutRules.Micros(_time.GetUtcNow());
                stamp = now > stamp ? now : stamp.AddTicks(TimeSpan.TicksPerMicrosecond);
                return new Block(stamp, _options.BlockSize);
            }
            void Post(Block block)
            {
                var task = Task.Run(() => ParseBlock(importId, block, today), cancellationToken);
                if (!blocks.TryWrite(task))
                {
                    blocks.WriteAsync(task, cancellationToken).AsTask().GetAwaiter().GetResult();
                }
            }
            var block = NewBlock();
            long line = 0;
            long pendingEmpty = 0;
            string? text;
            while ((text = reader.ReadLine()) is not null)
            {
                line++;
                if ((line & 4095) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (line <= skipLines)
                {
                    continue;
                }
                if (text.Length == 0)
                {
                    pendingEmpty++;
                    continue;
                }
                for (var empty = line - pendingEmpty; empty < line; empty++)
                {
                    block.Lines.Add((empty, null));
                }
                pendingEmpty = 0;
                block.Lines.Add((line, text));
                if (block.Lines.Count >= _options.BlockSize)
                {
                    Post(block);
                    block = NewBlock();
                }
            }
            if (block.Lines.Count > 0)
            {
                Post(block);
            }
            blocks.Complete();
        }
        catch (Exception e)
        {
            blocks.TryComplete(e);
            throw;
        }
    }

    /// <summary>One parse task: validate, hash and encode a block (runs on any core).</summary>
    private BlockResult ParseBlock(string importId, Block block, DateOnly today)
    {
        var result = new BlockResult(block.Lines.Count);
        Span<byte> nirHash = stackalloc byte[32];
        Span<byte> vitaleHash = stackalloc byte[32];
        var representatives = new byte[32 * 4];
        foreach (var (line, text) in block.Lines)
        {
            var parsed = text is null
                ? new ParsedRow(line, null, new RowError(line, "line", "is empty"))
                : PopulationCsv.ParseLine(line, text, today);
            if (parsed.Error is { } error)
            {
                result.Items.Add(new BlockItem(line, result.Rejects.Count, 0, 0, default));
                result.Rejects.Add(error);
                continue;
            }
            var person = parsed.Record!;
            _nirHasher.Hash(person.Nir, nirHash);
            var vitale = vitaleHash[..0];
            if (person.VitaleSerial is { } serial)
            {
                _nirHasher.HashVitaleSerial(serial, vitaleHash);
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
            var start = result.Tuples.WrittenCount;
            ImportChunk.EncodePerson(result.Tuples, importId, block.UpdatedAt, person, nirHash, vitale, representatives.AsSpan(0, count * 32));
            result.Items.Add(new BlockItem(line, -1, start, result.Tuples.WrittenCount - start, Hash256.From(nirHash)));
        }
        return result;
    }

    /// <summary>Parsed blocks, in file order → chunks of at most <see cref="PopulationImportOptions.ChunkSize"/> lines, a NIR at most once per chunk.</summary>
    private async Task AssembleAsync(string importId, long checkpoint, ChannelReader<Task<BlockResult>> blocks, ChannelWriter<ImportChunk> queue,
        CancellationToken cancellationToken)
    {
        var chunk = new ImportChunk(importId, checkpoint, _time.GetUtcNow());
        try
        {
            await foreach (var task in blocks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using var result = await task.ConfigureAwait(false);
                foreach (var item in result.Items)
                {
                    if (item.Reject >= 0)
                    {
                        chunk.Reject(result.Rejects[item.Reject]);
                    }
                    else
                    {
                        if (chunk.Contains(item.Nir))
                        {
                            // The same NIR twice in one chunk: close it so that the later line updates the earlier row.
                            chunk = await FlushAsync(chunk, item.Line - 1, queue, cancellationToken).ConfigureAwait(false);
                        }
                        chunk.AddEncoded(item.Line, item.Nir, result.Tuples.WrittenSpan.Slice(item.Start, item.Length));
                    }
                    if (chunk.Lines >= _options.ChunkSize)
                    {
                        chunk = await FlushAsync(chunk, item.Line, queue, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            if (chunk.Lines > 0)
            {
                await queue.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                chunk.Dispose();
            }
            queue.Complete();
        }
        catch (Exception e)
        {
            chunk.Dispose();
            queue.TryComplete(e);
            throw;
        }
    }

    private async Task<ImportChunk> FlushAsync(ImportChunk chunk, long lastLine, ChannelWriter<ImportChunk> queue, CancellationToken cancellationToken)
    {
        chunk.Cover(lastLine);
        await queue.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        return new ImportChunk(chunk.ImportId, lastLine, _time.GetUtcNow());
    }

    private static async Task DrainAsync(ChannelReader<ImportChunk> queue, Task reader, Task parser)
    {
        foreach (var stage in new[] { reader, parser })
        {
            try
            {
                await stage.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already failing or cancelled: the first error is the one reported.
            }
        }
        while (queue.TryRead(out var chunk))
        {
            chunk.Dispose();
        }
    }

    private sealed class Block(DateTimeOffset updatedAt, int capacity)
    {
        public DateTimeOffset UpdatedAt { get; } = updatedAt;
        public List<(long Line, string? Text)> Lines { get; } = new(capacity);
    }

    /// <summary>A parsed block: its lines in order, each a reject or an encoded tuple.</summary>
    private sealed class BlockResult(int lines) : IDisposable
    {
        public List<BlockItem> Items { get; } = new(lines);
        public List<RowError> Rejects { get; } = [];
        public PooledBufferWriter Tuples { get; } = new(lines * 280);

        public void Dispose() => Tuples.Dispose();
    }

    private readonly record struct BlockItem(long Line, int Reject, int Start, int Length, Hash256 Nir);

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
