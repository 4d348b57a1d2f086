using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Coffre.Harness;

/// <summary>
/// How long the disk takes to make a small write durable while a run goes on: a thread of its own overwrites one 8 KiB
/// block of a file in <c>directory</c> (the file system PostgreSQL's WAL is on) and calls <c>fdatasync</c>, as a commit's
/// WAL flush does, every <c>interval</c>. A commit waits for such a flush, so a flush that takes 100 ms holds every
/// commit issued meanwhile, whatever the design above it. It adds about 0.8 MB/s of writes at the default interval.
/// </summary>
public sealed class FlushProbe : SyncedFileLoop
{
    public const int BlockBytes = 8192;

    private readonly TimeSpan _interval;
    private readonly List<Flush> _flushes = [];
    private readonly byte[] _block = new byte[BlockBytes];

    /// <summary>One flush: when the write started and how long the write and its <c>fdatasync</c> took.</summary>
    public readonly record struct Flush(DateTime At, double Ms);

    private FlushProbe(string directory, TimeSpan interval)
        : base(directory, "flush-probe", BlockBytes, ThreadPriority.AboveNormal) => _interval = interval;

    /// <summary>Starts flushing in <paramref name="directory"/> every <paramref name="interval"/> (10 ms when null).</summary>
    public static FlushProbe Start(string directory, TimeSpan? interval = null)
    {
        var probe = new FlushProbe(directory, interval ?? TimeSpan.FromMilliseconds(10));
        probe.StartLoop();
        return probe;
    }

    public TimeSpan Interval => _interval;

    /// <summary>Stops the thread and returns every flush it timed (the first one, which allocates the block, excluded).</summary>
    public IReadOnlyList<Flush> Stop()
    {
        StopLoop("the flush probe");
        return _flushes.Count > 1 ? _flushes.GetRange(1, _flushes.Count - 1) : [];
    }

    /// <summary>The 99th percentile of the flushes' durations in ms (nearest rank), 0 when there are none.</summary>
    public static double P99Ms(IReadOnlyList<Flush> flushes) =>
        flushes.Count == 0 ? 0 : ResourceProbe.Round(flushes.Select(f => f.Ms).Order().ElementAt((int)Math.Ceiling(flushes.Count * 0.99) - 1), 2);

    /// <summary>Count, maximum and count over 20 and 50 ms of the flushes that started in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static JsonObject Describe(IReadOnlyList<Flush> flushes, DateTime from, DateTime to)
    {
        int count = 0, over20 = 0, over50 = 0;
        double max = 0, total = 0;
        foreach (var f in flushes)
        {
            if (f.At < from || f.At >= to)
            {
                continue;
            }
            count++;
            total += f.Ms;
            max = Math.Max(max, f.Ms);
            over20 += f.Ms > 20 ? 1 : 0;
            over50 += f.Ms > 50 ? 1 : 0;
        }
        return new JsonObject
        {
            ["flushes"] = count,
            ["flushMsMean"] = count == 0 ? 0 : ResourceProbe.Round(total / count, 2),
            ["flushMsMax"] = ResourceProbe.Round(max, 2),
            ["flushesOver20Ms"] = over20,
            ["flushesOver50Ms"] = over50,
        };
    }

    protected override void Step()
    {
        _block[0]++;
        var at = DateTime.UtcNow;
        var started = Stopwatch.GetTimestamp();
        RandomAccess.Write(File, _block, 0);
        SyncData();
        _flushes.Add(new Flush(at, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        Thread.Sleep(_interval);
    }
}
