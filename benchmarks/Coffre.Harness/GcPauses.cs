using System.Diagnostics.Tracing;
using System.Runtime;
using System.Text.Json.Nodes;

namespace Coffre.Harness;

/// <summary>
/// A process's garbage-collection pauses (suspension begun → threads restarted, with the generation of the collection
/// inside), as <see cref="GcPauses"/> and <see cref="SiloGcPauses"/> observe them: a pause delays every request that the
/// paused process holds meanwhile, so an open run's latency tail must be read beside them. Described per run as counts,
/// total and longest pause, and each pause of 2 ms or more at its offset from the run's start.
/// </summary>
public sealed class PauseLog
{
    private readonly Lock _lock = new();
    private readonly List<(DateTime At, double Ms, int Generation, long? Promoted)> _pauses = [];
    private DateTime? _suspendedAt;
    private int _generation = -1;
    private long? _promoted;

    /// <summary>The runtime began suspending the process's threads (UTC).</summary>
    public void Suspending(DateTime at)
    {
        lock (_lock)
        {
            _suspendedAt = at;
            _generation = -1;
            _promoted = null;
        }
    }

    /// <summary>The collection inside the pause started, of this generation.</summary>
    public void Collecting(int generation)
    {
        lock (_lock)
        {
            _generation = generation;
        }
    }

    /// <summary>The collection inside the pause promoted these bytes (survivors moved to an older generation).</summary>
    public void Promoted(long bytes)
    {
        lock (_lock)
        {
            _promoted = (_promoted ?? 0) + bytes;
        }
    }

    /// <summary>The threads run again (UTC): the pause begun at the last <see cref="Suspending"/> is over.</summary>
    public void Restarted(DateTime at)
    {
        lock (_lock)
        {
            if (_suspendedAt is { } from)
            {
                _pauses.Add((from, (at - from).TotalMilliseconds, _generation, _promoted));
                _suspendedAt = null;
            }
        }
    }

    /// <summary>The pauses that began between <paramref name="from"/> and <paramref name="to"/> (UTC), described.</summary>
    public JsonObject Describe(DateTime from, DateTime to)
    {
        List<(DateTime At, double Ms, int Generation, long? Promoted)> within;
        lock (_lock)
        {
            within = _pauses.Where(p => p.At >= from && p.At <= to).ToList();
        }
        var listed = new JsonArray();
        foreach (var (at, ms, generation, promoted) in within.Where(p => p.Ms >= 2))
        {
            var pause = new JsonObject
            {
                ["at"] = ResourceProbe.Round((at - from).TotalSeconds, 3),
                ["ms"] = ResourceProbe.Round(ms, 1),
                ["generation"] = generation,
            };
            if (promoted is { } bytes)
            {
                pause["promotedBytes"] = bytes;
            }
            listed.Add(pause);
        }
        var described = new JsonObject
        {
            ["count"] = within.Count,
            ["byGeneration"] = new JsonObject
            {
                ["0"] = within.Count(p => p.Generation == 0),
                ["1"] = within.Count(p => p.Generation == 1),
                ["2"] = within.Count(p => p.Generation == 2),
            },
            ["totalMs"] = ResourceProbe.Round(within.Sum(p => p.Ms), 1),
            ["maxMs"] = ResourceProbe.Round(within.Count == 0 ? 0 : within.Max(p => p.Ms), 1),
            ["atLeast2Ms"] = listed,
        };
        if (within.Any(p => p.Promoted is not null))
        {
            // What the collections promoted (when the observer sees it: the silo's session does): the survivors they copied.
            described["promotedBytes"] = within.Sum(p => p.Promoted ?? 0);
        }
        return described;
    }
}

/// <summary>
/// The load generator's own garbage-collection pauses while a run lasts, from the runtime's GC events in this process
/// (<see cref="PauseLog"/>): a pause of the generator delays the reading of every answer that arrives meanwhile. It also
/// keeps the runtime's allocation samples (one event per ~100 KB allocated, naming the type of the object that crossed
/// the mark), so a run can tell which of the generator's allocations feed its collections.
/// </summary>
public sealed class GcPauses : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GcStartId = 1;
    private const int RestartEndId = 3;
    private const int SuspendBeginId = 9;
    private const int AllocationTickId = 10;

    private readonly PauseLog _log = new();
    private readonly AllocationSamples _samples = new();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            // Verbose: the allocation ticks are verbose GC events.
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        switch (e.EventId)
        {
            case SuspendBeginId:
                _log.Suspending(e.TimeStamp);
                break;
            case GcStartId when e.PayloadNames?.IndexOf("Depth") is int depth and >= 0:
                _log.Collecting(Convert.ToInt32(e.Payload![depth], System.Globalization.CultureInfo.InvariantCulture));
                break;
            case RestartEndId:
                _log.Restarted(e.TimeStamp);
                break;
            case AllocationTickId when e.PayloadNames is { } names && names.IndexOf("TypeName") is var type and >= 0 && names.IndexOf("AllocationAmount64") is var amount and >= 0:
                _samples.Add(e.TimeStamp, e.Payload![type] as string ?? "?", Convert.ToInt64(e.Payload[amount], System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>The pauses that began between <paramref name="from"/> and <paramref name="to"/> (UTC), described.</summary>
    public JsonObject Describe(DateTime from, DateTime to) => _log.Describe(from, to);

    /// <summary>The allocation samples taken between <paramref name="from"/> and <paramref name="to"/> (UTC), by type.</summary>
    public JsonObject DescribeAllocations(DateTime from, DateTime to) => _samples.Describe(from, to);
}

/// <summary>
/// The runtime's allocation samples (each stands for the ~100 KB allocated since the last one and names the type of the
/// object being allocated when the mark was crossed): over many samples, each type's share of the bytes allocated.
/// </summary>
public sealed class AllocationSamples
{
    /// <summary>Types listed per description, the largest first.</summary>
    public const int Listed = 12;

    private readonly Lock _lock = new();
    private readonly List<(DateTime At, string Type, long Bytes)> _samples = [];

    public void Add(DateTime at, string type, long bytes)
    {
        lock (_lock)
        {
            _samples.Add((at, type, bytes));
        }
    }

    public JsonObject Describe(DateTime from, DateTime to)
    {
        List<(DateTime At, string Type, long Bytes)> within;
        lock (_lock)
        {
            within = _samples.Where(s => s.At >= from && s.At <= to).ToList();
        }
        var total = within.Sum(s => s.Bytes);
        var byType = new JsonArray();
        foreach (var group in within.GroupBy(s => s.Type).Select(g => (Type: g.Key, Samples: g.Count(), Bytes: g.Sum(s => s.Bytes)))
                     .OrderByDescending(g => g.Bytes).ThenBy(g => g.Type, StringComparer.Ordinal).Take(Listed))
        {
            byType.Add(new JsonObject
            {
                ["type"] = group.Type,
                ["samples"] = group.Samples,
                ["bytes"] = group.Bytes,
                ["share"] = ResourceProbe.Round(group.Bytes / (double)Math.Max(total, 1), 3),
            });
        }
        return new JsonObject { ["samples"] = within.Count, ["bytes"] = total, ["byType"] = byType };
    }
}

/// <summary>
/// The generator's own collections must not pass for the server's latency (a 93 ms blocking generation-2 collection of
/// the generator once landed inside a 5 000/s run): a full blocking collection before the run, and before its resources
/// are sampled so that its cost is in no phase, leaves a generation-2 collection nothing to do during it; and
/// <see cref="GCLatencyMode.SustainedLowLatency"/> while the run lasts keeps generation-2 work in the background.
/// <see cref="Describe"/> tells what the run allocated and the collections it still ran. Disposing restores the former
/// mode. (A no-GC region for the whole run was tried and left out: it removed the generator's collections but made it
/// fault in about 550 MB of fresh pages per 10 s run at 5 000/s, 0.5 s more of the shared cores.)
/// </summary>
public sealed class QuietCollector : IDisposable
{
    private readonly GCLatencyMode _former = GCSettings.LatencyMode;
    private readonly long _allocatedAtStart;
    private readonly int[] _collectionsAtStart;
    private long _allocated;
    private int[] _collections = [0, 0, 0];
    private bool _disposed;

    private QuietCollector()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        _collectionsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    }

    public static QuietCollector Begin() => new();

    /// <summary>What the generator allocated while the collector was quiet, and the collections it ran (per generation).</summary>
    public JsonObject Describe()
    {
        var (allocated, collections) = _disposed
            ? (_allocated, _collections)
            : (GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart, Collections());
        return new JsonObject
        {
            ["allocatedBytes"] = allocated,
            ["collections"] = new JsonObject { ["0"] = collections[0], ["1"] = collections[1], ["2"] = collections[2] },
        };
    }

    private int[] Collections() =>
        [GC.CollectionCount(0) - _collectionsAtStart[0], GC.CollectionCount(1) - _collectionsAtStart[1], GC.CollectionCount(2) - _collectionsAtStart[2]];

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart;
        _collections = Collections();
        _disposed = true;
        GCSettings.LatencyMode = _former;
    }
}
