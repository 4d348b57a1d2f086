using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coffre.Harness;

/// <summary>
/// The disk's own flush stalls, without Coffre (<c>Coffre.Harness disk-flush --dir DIR --seconds S [--wal-mbps M]
/// [--window-seconds W] [--out FILE.json]</c>): the <see cref="FlushProbe"/> of the macro runs, alone in
/// <c>DIR</c>, optionally beside a writer that streams <c>M</c> MB/s into a recycled 256 MiB file with an
/// <c>fdatasync</c> about every 7 ms (the shape of PostgreSQL's WAL at 5 000 activations/s: 40–45 MB/s, about 140
/// syncs a second). Each window of <c>W</c> seconds (10 by default, the length of the macro run at 5 000/s) reports its
/// flushes' count, mean, maximum and counts over 20 and 50 ms, so the share of windows with a stall can be set beside
/// the macro runs' own.
/// </summary>
public static class DiskFlushBench
{
    private const long StreamFileBytes = 256L * 1024 * 1024;
    private const double SyncsPerSecond = 140;

    public static async Task<int> RunAsync(string[] args)
    {
        string? Opt(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var directory = Opt("--dir") ?? throw new ArgumentException("--dir is required");
        var seconds = double.Parse(Opt("--seconds") ?? throw new ArgumentException("--seconds is required"), CultureInfo.InvariantCulture);
        var walMbps = double.Parse(Opt("--wal-mbps") ?? "0", CultureInfo.InvariantCulture);
        var window = double.Parse(Opt("--window-seconds") ?? "10", CultureInfo.InvariantCulture);
        if (seconds <= 0 || window <= 0 || walMbps < 0)
        {
            throw new ArgumentException("--seconds and --window-seconds must be positive, --wal-mbps zero or more");
        }

        Directory.CreateDirectory(directory);
        // The stream first (its file is allocated before the clock starts), then the probe's measured span.
        using var stream = walMbps > 0 ? new StreamWriterThread(directory, walMbps) : null;
        var started = DateTime.UtcNow;
        List<FlushProbe.Flush> flushes;
        using (var probe = FlushProbe.Start(directory))
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            flushes = [.. probe.Stop()];
        }
        var ended = DateTime.UtcNow;
        var streamed = stream?.Stop();

        var windows = new JsonArray();
        var windowsWithStall = 0;
        // Whole windows from the start; a trailing piece joins the last window when shorter than half a window.
        var count = Math.Max(1, (int)Math.Round((ended - started).TotalSeconds / window, MidpointRounding.AwayFromZero));
        for (var k = 0; k < count; k++)
        {
            var from = started.AddSeconds(k * window);
            var to = k == count - 1 ? ended : from.AddSeconds(window);
            var described = FlushProbe.Describe(flushes, from, to);
            described["at"] = ResourceProbe.Round(k * window, 1);
            described["seconds"] = ResourceProbe.Round((to - from).TotalSeconds, 2);
            windowsWithStall += (int)described["flushesOver50Ms"]! > 0 ? 1 : 0;
            windows.Add(described);
        }
        var result = new JsonObject
        {
            ["directory"] = directory,
            ["seconds"] = ResourceProbe.Round((ended - started).TotalSeconds, 1),
            ["walMbps"] = walMbps,
            ["streamedBytes"] = streamed?.Bytes ?? 0,
            ["streamSyncs"] = streamed?.Syncs ?? 0,
            ["streamSyncMsMax"] = ResourceProbe.Round(streamed?.MaxSyncMs ?? 0, 2),
            ["flushProbe"] = FlushProbe.Describe(flushes, started, ended),
            ["flushMsP99"] = FlushProbe.P99Ms(flushes),
            ["windowSeconds"] = window,
            ["windows"] = windows.Count,
            ["windowsWithAFlushOver50Ms"] = windowsWithStall,
            ["byWindow"] = windows,
        };
        var text = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (Opt("--out") is { } output)
        {
            await File.WriteAllTextAsync(output, text);
        }
        Console.WriteLine($"disk-flush {result["seconds"]} s in {directory}, stream {walMbps} MB/s: {flushes.Count} probe flushes, p99 {result["flushMsP99"]} ms, " +
                          $"max {result["flushProbe"]!["flushMsMax"]} ms, over 50 ms {result["flushProbe"]!["flushesOver50Ms"]}; " +
                          $"windows of {window} s with a flush over 50 ms: {windowsWithStall} of {windows.Count}");
        return 0;
    }

    /// <summary>What the stream wrote: bytes, syncs and its slowest sync.</summary>
    public sealed record Streamed(long Bytes, long Syncs, double MaxSyncMs);

    /// <summary>A WAL-like writer: sequential writes into a recycled file, each followed by <c>fdatasync</c>, paced.</summary>
    private sealed class StreamWriterThread : SyncedFileLoop
    {
        private readonly byte[] _chunk;
        private readonly long _period = (long)(Stopwatch.Frequency / SyncsPerSecond);
        private long _next = Stopwatch.GetTimestamp();
        private long _offset, _bytes, _syncs;
        private double _maxSyncMs;

        public StreamWriterThread(string directory, double megabytesPerSecond)
            : base(directory, "disk-flush-stream", StreamFileBytes)
        {
            // One write per sync; rounded to whole 8 KiB pages, as WAL is written.
            var bytes = (int)Math.Max(FlushProbe.BlockBytes, Math.Round(megabytesPerSecond * 1_000_000 / SyncsPerSecond / FlushProbe.BlockBytes) * FlushProbe.BlockBytes);
            _chunk = new byte[bytes];
            Random.Shared.NextBytes(_chunk);
            StartLoop();
        }

        public Streamed Stop()
        {
            StopLoop("the stream writer");
            return new Streamed(_bytes, _syncs, _maxSyncMs);
        }

        protected override void Step()
        {
            if (_offset + _chunk.Length > StreamFileBytes)
            {
                _offset = 0; // recycled, as PostgreSQL renames an old segment rather than creating one
            }
            var started = Stopwatch.GetTimestamp();
            RandomAccess.Write(File, _chunk, _offset);
            SyncData();
            _maxSyncMs = Math.Max(_maxSyncMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _offset += _chunk.Length;
            _bytes += _chunk.Length;
            _syncs++;
            _next += _period;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _next);
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }
        }
    }
}
