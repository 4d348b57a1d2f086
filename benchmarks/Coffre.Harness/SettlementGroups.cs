using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Coffre.Harness;

/// <summary>
/// The silo's activation groups, as its settler logs them at Debug level (<c>--group-timings</c>): each group's size,
/// how long its first attempt waited before the group started (queue and gathering), its read and its transaction. The
/// lines are read from the silo's output as they come and placed by the time they arrived, so an open run's slot can
/// say whether its attempts waited for PostgreSQL (read, transaction) or for a group to start (the silo's side).
/// </summary>
public sealed partial class SettlementGroups
{
    /// <summary>The setting that makes the silo log each group (its settler's category at Debug).</summary>
    public const string LogLevelSetting = "Logging__LogLevel__Coffre.Grains.Rollout.ActivationSettler";

    private readonly Lock _lock = new();
    private readonly List<Group> _groups = [];

    /// <summary>One settled group: when its line arrived (UTC), its attempts, and its three durations in milliseconds.</summary>
    public readonly record struct Group(DateTime At, int Attempts, double WaitedMs, double ReadMs, double TransactionMs);

    [GeneratedRegex(@"activation group of (\d+) settled: first attempt waited ([0-9.Ee+-]+) ms, read ([0-9.Ee+-]+) ms, transaction ([0-9.Ee+-]+) ms")]
    private static partial Regex GroupLine();

    /// <summary>Records the line when it is a settled group's (any other line is ignored); true when it was one.</summary>
    public bool TryRecord(string line, DateTime at)
    {
        if (!line.Contains("activation group of ", StringComparison.Ordinal) || GroupLine().Match(line) is not { Success: true } m)
        {
            return false;
        }
        static double D(Match m, int i) => double.Parse(m.Groups[i].ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture);
        var group = new Group(at, int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture), D(m, 2), D(m, 3), D(m, 4));
        lock (_lock)
        {
            _groups.Add(group);
        }
        return true;
    }

    /// <summary>
    /// The groups that ended in each slot of <paramref name="slotSeconds"/> from <paramref name="start"/> up to
    /// <paramref name="end"/>: count, attempts, largest group, and the median and largest of each duration. An empty
    /// slot is described with its count of zero.
    /// </summary>
    public JsonArray Describe(DateTime start, DateTime end, double slotSeconds)
    {
        List<Group> within;
        lock (_lock)
        {
            within = [.. _groups.Where(g => g.At >= start && g.At < end)];
        }
        var slots = new JsonArray();
        var count = (int)Math.Ceiling((end - start).TotalSeconds / slotSeconds);
        for (var i = 0; i < count; i++)
        {
            var from = start.AddSeconds(i * slotSeconds);
            var to = start.AddSeconds((i + 1) * slotSeconds);
            var groups = within.Where(g => g.At >= from && g.At < to).ToList();
            var slot = new JsonObject { ["at"] = ResourceProbe.Round(i * slotSeconds, 2), ["groups"] = groups.Count };
            if (groups.Count > 0)
            {
                slot["attempts"] = groups.Sum(g => g.Attempts);
                slot["largest"] = groups.Max(g => g.Attempts);
                slot["waitedMs"] = Spread(groups.Select(g => g.WaitedMs));
                slot["readMs"] = Spread(groups.Select(g => g.ReadMs));
                slot["transactionMs"] = Spread(groups.Select(g => g.TransactionMs));
            }
            slots.Add(slot);
        }
        return slots;
    }

    /// <summary>The groups that ended between <paramref name="start"/> and <paramref name="end"/>, summed: count, attempts, mean size, and each duration's median, 99th percentile and largest.</summary>
    public JsonObject Summary(DateTime start, DateTime end)
    {
        List<Group> within;
        lock (_lock)
        {
            within = [.. _groups.Where(g => g.At >= start && g.At < end)];
        }
        var summary = new JsonObject { ["groups"] = within.Count };
        if (within.Count > 0)
        {
            summary["attempts"] = within.Sum(g => g.Attempts);
            summary["meanSize"] = ResourceProbe.Round(within.Average(g => g.Attempts), 1);
            summary["waitedMs"] = Spread(within.Select(g => g.WaitedMs), withP99: true);
            summary["readMs"] = Spread(within.Select(g => g.ReadMs), withP99: true);
            summary["transactionMs"] = Spread(within.Select(g => g.TransactionMs), withP99: true);
        }
        return summary;
    }

    private static JsonObject Spread(IEnumerable<double> values, bool withP99 = false)
    {
        var sorted = values.Order().ToArray();
        var spread = new JsonObject { ["p50"] = ResourceProbe.Round(sorted[sorted.Length / 2], 1) };
        if (withP99)
        {
            spread["p99"] = ResourceProbe.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)], 1);
        }
        spread["max"] = ResourceProbe.Round(sorted[^1], 1);
        return spread;
    }
}
