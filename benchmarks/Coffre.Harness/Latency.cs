using System.Text.Json.Nodes;

namespace Coffre.Harness;

/// <summary>Exact percentiles over every recorded latency (counts are bounded, so all values are kept and sorted).</summary>
public static class Latency
{
    public static JsonObject Summarise(IEnumerable<double> milliseconds)
    {
        var sorted = Answered(milliseconds);
        if (sorted.Length == 0)
        {
            return new JsonObject { ["count"] = 0 };
        }
        double P(double q) => ResourceProbe.Round(Rank(sorted, q), 2);
        return new JsonObject
        {
            ["count"] = sorted.Length,
            ["mean"] = ResourceProbe.Round(sorted.Average(), 2),
            ["p50"] = P(0.50),
            ["p90"] = P(0.90),
            ["p95"] = P(0.95),
            ["p99"] = P(0.99),
            ["p999"] = P(0.999),
            ["max"] = ResourceProbe.Round(sorted[^1], 2),
        };
    }

    /// <summary>
    /// An open run's latencies by the slot of <paramref name="slotSeconds"/> in which each request was due (request i is
    /// due at i / <paramref name="rate"/> seconds): per slot its start, the requests answered, and their p50, p99 and
    /// max. Shows whether a run's tail is spread evenly (something periodic) or held by a few slots (a stall). With
    /// <paramref name="sendLagMs"/> (how late the generator sent each request after its due time; NaN = never sent),
    /// each slot also has the largest lag of its requests (<c>sendLagMax</c>): a stall that the generator's own send
    /// loop already had is the generator's, not the server's.
    /// </summary>
    public static JsonArray Timeline(IReadOnlyList<double> milliseconds, double rate, double slotSeconds, IReadOnlyList<double>? sendLagMs = null)
    {
        var perSlot = Math.Max(1, (int)Math.Round(rate * slotSeconds));
        var timeline = new JsonArray();
        for (var from = 0; from < milliseconds.Count; from += perSlot)
        {
            var slot = Answered(milliseconds.Skip(from).Take(perSlot));
            var entry = new JsonObject { ["at"] = ResourceProbe.Round(from / rate, 2), ["answered"] = slot.Length };
            if (slot.Length > 0)
            {
                entry["p50"] = ResourceProbe.Round(Rank(slot, 0.5), 1);
                entry["p99"] = ResourceProbe.Round(Rank(slot, 0.99), 1);
                entry["max"] = ResourceProbe.Round(slot[^1], 1);
            }
            if (sendLagMs is not null && Answered(sendLagMs.Skip(from).Take(perSlot)) is { Length: > 0 } lags)
            {
                entry["sendLagMax"] = ResourceProbe.Round(lags[^1], 1);
            }
            timeline.Add(entry);
        }
        return timeline;
    }

    /// <summary>The answered latencies (an unanswered request's is NaN), sorted.</summary>
    private static double[] Answered(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Where(v => !double.IsNaN(v)).ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    /// <summary>The nearest-rank <paramref name="q"/> quantile of a non-empty sorted array.</summary>
    public static double Rank(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
