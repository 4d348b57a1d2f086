using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Coffre.Harness;

/// <summary>
/// Two kinds of the silo's work, as it logs them at Debug level (<c>--group-timings</c>), placed by the time their lines
/// arrived: the settler's activation groups (size, how long the first attempt waited before the group started — queue
/// and gathering —, its read and its transaction) and the campaign email router's pages (lines, send and advance
/// times). An open run's slot can then say whether its attempts waited for PostgreSQL (read, transaction), for a group
/// to start (the silo's side), or beside the router's background work.
/// </summary>
public sealed partial class SiloLogTimings
{
    /// <summary>The settings that make the silo log each group and each email page (their categories at Debug).</summary>
    public static readonly IReadOnlyList<string> LogLevelSettings =
    [
        "Logging__LogLevel__Coffre.Grains.Rollout.ActivationSettler",
        "Logging__LogLevel__Coffre.Application.Mail.EmailBatchChannel",
    ];

    private readonly Lock _lock = new();
    private readonly List<Group> _groups = [];
    private readonly List<Page> _pages = [];

    /// <summary>One settled group: when its line arrived (UTC), its attempts, and its three durations in milliseconds.</summary>
    public readonly record struct Group(DateTime At, int Attempts, double WaitedMs, double ReadMs, double TransactionMs);

    /// <summary>One email page the router sent: when its line arrived (UTC), its lines, and its send and advance times in milliseconds.</summary>
    public readonly record struct Page(DateTime At, int Lines, double SendMs, double AdvanceMs);

    private const string Number = "([0-9.Ee+-]+)";

    [GeneratedRegex(@"activation group of (\d+) settled: first attempt waited " + Number + " ms, read " + Number + " ms, transaction " + Number + " ms")]
    private static partial Regex GroupLine();

    [GeneratedRegex(@"email page of (\d+) lines: read and sent in " + Number + " ms, advanced in " + Number + " ms")]
    private static partial Regex PageLine();

    /// <summary>Records the line when it is a settled group's or an email page's (any other line is ignored); true when it was one.</summary>
    public bool TryRecord(string line, DateTime at)
    {
        if (line.Contains("activation group of ", StringComparison.Ordinal) && GroupLine().Match(line) is { Success: true } g)
        {
            lock (_lock)
            {
                _groups.Add(new Group(at, Int(g, 1), D(g, 2), D(g, 3), D(g, 4)));
            }
            return true;
        }
        if (line.Contains("email page of ", StringComparison.Ordinal) && PageLine().Match(line) is { Success: true } p)
        {
            lock (_lock)
            {
                _pages.Add(new Page(at, Int(p, 1), D(p, 2), D(p, 3)));
            }
            return true;
        }
        return false;
    }

    private static int Int(Match m, int i) => int.Parse(m.Groups[i].ValueSpan, CultureInfo.InvariantCulture);

    private static double D(Match m, int i) => double.Parse(m.Groups[i].ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>
    /// Each slot of <paramref name="slotSeconds"/> from <paramref name="start"/> up to <paramref name="end"/>: the groups
    /// that ended in it (count, attempts, largest group, the median and largest of each duration) and the email lines the
    /// router sent in it. An empty slot is described with its counts of zero.
    /// </summary>
    public JsonArray Describe(DateTime start, DateTime end, double slotSeconds)
    {
        var (groups, pages) = Within(start, end);
        var slots = new JsonArray();
        var count = (int)Math.Ceiling((end - start).TotalSeconds / slotSeconds);
        for (var i = 0; i < count; i++)
        {
            var from = start.AddSeconds(i * slotSeconds);
            var to = start.AddSeconds((i + 1) * slotSeconds);
            var inSlot = groups.Where(g => g.At >= from && g.At < to).ToList();
            var slot = new JsonObject
            {
                ["at"] = ResourceProbe.Round(i * slotSeconds, 2),
                ["groups"] = inSlot.Count,
                ["emailLines"] = pages.Where(p => p.At >= from && p.At < to).Sum(p => p.Lines),
            };
            if (inSlot.Count > 0)
            {
                slot["attempts"] = inSlot.Sum(g => g.Attempts);
                slot["largest"] = inSlot.Max(g => g.Attempts);
                slot["waitedMs"] = Spread(inSlot.Select(g => g.WaitedMs));
                slot["readMs"] = Spread(inSlot.Select(g => g.ReadMs));
                slot["transactionMs"] = Spread(inSlot.Select(g => g.TransactionMs));
            }
            slots.Add(slot);
        }
        return slots;
    }

    /// <summary>
    /// The groups that ended between <paramref name="start"/> and <paramref name="end"/>, summed (count, attempts, mean
    /// size, each duration's median, 99th percentile and largest), and the router's pages and lines in the same window.
    /// </summary>
    public JsonObject Summary(DateTime start, DateTime end)
    {
        var (groups, pages) = Within(start, end);
        var summary = new JsonObject { ["groups"] = groups.Count };
        if (groups.Count > 0)
        {
            summary["attempts"] = groups.Sum(g => g.Attempts);
            summary["meanSize"] = ResourceProbe.Round(groups.Average(g => g.Attempts), 1);
            summary["waitedMs"] = Spread(groups.Select(g => g.WaitedMs), withP99: true);
            summary["readMs"] = Spread(groups.Select(g => g.ReadMs), withP99: true);
            summary["transactionMs"] = Spread(groups.Select(g => g.TransactionMs), withP99: true);
        }
        summary["emailPages"] = pages.Count;
        summary["emailLines"] = pages.Sum(p => p.Lines);
        return summary;
    }

    private (List<Group> Groups, List<Page> Pages) Within(DateTime start, DateTime end)
    {
        lock (_lock)
        {
            return ([.. _groups.Where(g => g.At >= start && g.At < end)], [.. _pages.Where(p => p.At >= start && p.At < end)]);
        }
    }

    private static JsonObject Spread(IEnumerable<double> values, bool withP99 = false)
    {
        var sorted = values.Order().ToArray();
        // The median as the upper middle value (of two, the larger), as the committed reports have it.
        var spread = new JsonObject { ["p50"] = ResourceProbe.Round(sorted[sorted.Length / 2], 1) };
        if (withP99)
        {
            spread["p99"] = ResourceProbe.Round(Latency.Rank(sorted, 0.99), 1);
        }
        spread["max"] = ResourceProbe.Round(sorted[^1], 1);
        return spread;
    }
}
