using System.Text.Json.Nodes;

namespace Coffre.Harness;

/// <summary>One thread's name and CPU clock ticks (user + system) at a sample.</summary>
public readonly record struct ThreadTicks(int Tid, string Name, long Ticks);

/// <summary>
/// A process's CPU by thread, from <c>/proc/PID/task/TID/stat</c>: which of the silo's threads (the thread pool's
/// workers, the socket engine, the garbage collector's, tiered compilation…) used the cores in a timeline slot. The
/// runtime names its threads (".NET TP Worker", ".NET SocketEng", ".NET Server GC", ".NET BGC", ".NET Tiered Com"…);
/// a thread nobody named carries the process's name. Reading it costs one small file per thread and keeps one string
/// per thread name, so the timeline can read it four times a second.
/// </summary>
public sealed class ThreadCpu
{
    private readonly Dictionary<int, (byte[] Raw, string Name)> _names = [];

    /// <summary>Every live thread of <paramref name="pid"/> now; empty when the process is gone.</summary>
    public ThreadTicks[] Read(int pid)
    {
        var threads = new List<ThreadTicks>(64);
        foreach (var tid in ProcFiles.ThreadIds(pid))
        {
            // A thread that ended meanwhile has no stat line any more.
            if (ProcFiles.TryParseStat(ProcFiles.Read($"/proc/{pid}/task/{tid}/stat"), out var raw, out var stat))
            {
                threads.Add(new ThreadTicks(tid, NameOf(tid, raw), stat.OwnTicks));
            }
        }
        return [.. threads];
    }

    private string NameOf(int tid, ReadOnlySpan<byte> raw)
    {
        // A thread is named just after it starts: a tid seen under the process's name may come back under its own.
        if (_names.TryGetValue(tid, out var known) && raw.SequenceEqual(known.Raw))
        {
            return known.Name;
        }
        var name = System.Text.Encoding.UTF8.GetString(raw);
        _names[tid] = (raw.ToArray(), name);
        return name;
    }

    /// <summary>
    /// CPU seconds between two readings, by thread name: each thread counts what it used since the first reading (all of
    /// it when it started in between; a thread that ended in between loses its last ticks). Sorted, most first.
    /// </summary>
    public static List<(string Name, double Seconds, int Threads)> SecondsByName(ThreadTicks[] before, ThreadTicks[] after, double clockTicks)
    {
        var earlier = new Dictionary<int, ThreadTicks>(before.Length);
        foreach (var t in before)
        {
            earlier[t.Tid] = t;
        }
        var byName = new Dictionary<string, (long Ticks, int Threads)>();
        foreach (var t in after)
        {
            var used = t.Ticks - (earlier.TryGetValue(t.Tid, out var e) && e.Ticks <= t.Ticks ? e.Ticks : 0);
            byName[t.Name] = byName.TryGetValue(t.Name, out var sum) ? (sum.Ticks + used, sum.Threads + 1) : (used, 1);
        }
        return [.. byName
            .Select(p => (p.Key, p.Value.Ticks / clockTicks, p.Value.Threads))
            .OrderByDescending(p => p.Item2)
            .ThenBy(p => p.Key, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The names that used at least <paramref name="minCores"/> over <paramref name="seconds"/>, as cores busy, and how
    /// many threads of each name were alive at the second reading: <c>{ ".NET TP Worker": { "cores": 0.61, "threads": 9 } }</c>.
    /// </summary>
    public static JsonObject Describe(List<(string Name, double Seconds, int Threads)> byName, double seconds, double minCores = 0.02)
    {
        var described = new JsonObject();
        foreach (var (name, used, threads) in byName)
        {
            var cores = used / Math.Max(1e-6, seconds);
            if (cores >= minCores)
            {
                described[name] = new JsonObject { ["cores"] = ResourceProbe.Round(cores, 2), ["threads"] = threads };
            }
        }
        return described;
    }

    /// <summary>The garbage collector's threads (".NET Server GC", ".NET BGC", ".NET Background GC").</summary>
    public static bool IsGcThread(string name) =>
        name.StartsWith(".NET Server GC", StringComparison.Ordinal) || name.StartsWith(".NET BGC", StringComparison.Ordinal)
        || name.StartsWith(".NET Background", StringComparison.Ordinal);
}
