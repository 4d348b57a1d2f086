using Coffre.Harness;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>The macro harness's latency timeline of an open run: each request in the slot in which it was due.</summary>
public sealed class LatencyTimelineTests
{
    [Fact]
    public void Requests_fall_in_the_slot_of_their_due_time_and_a_stall_shows_in_its_own_slot()
    {
        // 10 requests a second for 2 s, slots of 0.5 s: 5 requests a slot; the third slot's requests waited 300 ms.
        var latencies = Enumerable.Range(0, 20).Select(i => i is >= 10 and < 15 ? 300.0 + i : 10.0 + i).ToArray();

        var timeline = Latency.Timeline(latencies, rate: 10, slotSeconds: 0.5);

        Assert.Equal(4, timeline.Count);
        Assert.Equal([0.0, 0.5, 1.0, 1.5], timeline.Select(s => s!["at"]!.GetValue<double>()));
        Assert.All(timeline, s => Assert.Equal(5, s!["answered"]!.GetValue<int>()));
        Assert.Equal(14.0, timeline[0]!["max"]!.GetValue<double>());
        Assert.Equal(312.0, timeline[2]!["p50"]!.GetValue<double>());
        Assert.Equal(314.0, timeline[2]!["p99"]!.GetValue<double>());
        Assert.Equal(29.0, timeline[3]!["max"]!.GetValue<double>());
    }

    [Fact]
    public void Unanswered_requests_are_left_out_and_an_empty_slot_says_so()
    {
        var latencies = new[] { 5.0, double.NaN, double.NaN, double.NaN, 7.0, double.NaN };

        var timeline = Latency.Timeline(latencies, rate: 2, slotSeconds: 1);

        Assert.Equal([1, 0, 1], timeline.Select(s => s!["answered"]!.GetValue<int>()));
        Assert.Null(timeline[1]!["p99"]);
        Assert.Equal(7.0, timeline[2]!["max"]!.GetValue<double>());
        Assert.Equal(2.0, timeline[2]!["at"]!.GetValue<double>());
    }

    [Fact]
    public void With_the_send_lags_each_slot_shows_its_largest_and_a_slot_sent_late_stands_out()
    {
        var latencies = Enumerable.Range(0, 20).Select(i => i is >= 10 and < 15 ? 300.0 : 10.0).ToArray();
        var lags = Enumerable.Range(0, 20).Select(i => i is >= 10 and < 15 ? 250.0 + i : 0.1 * i).ToArray();
        lags[19] = double.NaN; // never sent

        var timeline = Latency.Timeline(latencies, rate: 10, slotSeconds: 0.5, lags);

        Assert.Equal([0.4, 0.9, 264.0, 1.8], timeline.Select(s => s!["sendLagMax"]!.GetValue<double>()));
        Assert.Null(Latency.Timeline(latencies, rate: 10, slotSeconds: 0.5)[0]!["sendLagMax"]);
    }
}
