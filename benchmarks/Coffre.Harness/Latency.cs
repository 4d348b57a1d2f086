using System.Text.Json.Nodes;

namespace Coffre.Harness;

/// <summary>Exact percentiles over every recorded latency (counts are bounded, so all values are kept and sorted).</summary>
public static class Latency
{
    public static JsonObject Summarise(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Where(v => !double.IsNaN(v)).ToArray();
        Array.Sort(sorted);
        if (sorted.Length == 0)
        {
            return new JsonObject { ["count"] = 0 };
        }
        double P(double q) => ResourceProbe.Round(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)], 2);
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
}
