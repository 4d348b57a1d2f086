using System.Diagnostics;
using Coffre.Harness;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>
/// The macro harness's view of the silo's garbage-collection pauses: a real EventPipe session on a real .NET process (this
/// test process, whose collections the test forces), and the pause log's arithmetic with fixed times.
/// </summary>
[Collection(ForcedCollectionsCollection.Name)]
public sealed class SiloGcPausesTests
{
    [Fact]
    public async Task A_forced_blocking_collection_of_the_watched_process_is_seen_as_a_generation_2_pause()
    {
        await using var pauses = await WatchThisProcessAsync();
        var from = DateTime.UtcNow;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var to = DateTime.UtcNow;

        // Events arrive in batches: ask until they are there (bounded), as the harness does after each run. The events'
        // times come from the runtime's own clock, converted: a few milliseconds either side are allowed.
        var (early, late) = (from.AddMilliseconds(-50), to.AddMilliseconds(50));
        var clock = Stopwatch.StartNew();
        System.Text.Json.Nodes.JsonObject described;
        do
        {
            described = await pauses.DescribeAsync(early, late, TimeSpan.FromSeconds(1));
        }
        while (described["byGeneration"]!["2"]!.GetValue<int>() < 2 && clock.Elapsed < TimeSpan.FromSeconds(20));

        Assert.True(described["byGeneration"]!["2"]!.GetValue<int>() >= 2, described.ToJsonString());
        Assert.True(described["maxMs"]!.GetValue<double>() > 0);
        Assert.Equal(0, (await pauses.DescribeAsync(from.AddHours(-1), from.AddHours(-1).AddSeconds(1), TimeSpan.Zero))["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task What_the_watched_process_allocates_is_sampled_by_type()
    {
        await using var pauses = await WatchThisProcessAsync();
        var from = DateTime.UtcNow;
        // 64 MB in arrays of 64 KB: about 650 samples of ~100 KB each, nearly all of them naming the array's type.
        var kept = 0L;
        for (var i = 0; i < 1024; i++)
        {
            var chunk = new long[8 * 1024];
            chunk[i % chunk.Length] = i;
            kept += chunk[i % chunk.Length];
        }
        Assert.Equal(1023L * 1024 / 2, kept);
        var to = DateTime.UtcNow;

        var clock = Stopwatch.StartNew();
        System.Text.Json.Nodes.JsonObject samples;
        do
        {
            await pauses.DescribeAsync(from, to, TimeSpan.FromSeconds(1));
            samples = pauses.DescribeAllocations(from.AddMilliseconds(-50), to.AddMilliseconds(50));
        }
        while (samples["bytes"]!.GetValue<long>() < 48L << 20 && clock.Elapsed < TimeSpan.FromSeconds(20));

        Assert.True(samples["bytes"]!.GetValue<long>() >= 48L << 20, samples.ToJsonString());
        var largest = samples["byType"]!.AsArray()[0]!;
        Assert.Equal("System.Int64[]", largest["type"]!.GetValue<string>());
        Assert.True(largest["share"]!.GetValue<double>() > 0.5, samples.ToJsonString());
    }

    /// <summary>An EventPipe session on this test process, as the harness opens one on the silo.</summary>
    private static async Task<SiloGcPauses> WatchThisProcessAsync()
    {
        var pauses = SiloGcPauses.TryStart(Environment.ProcessId, out var error);
        Assert.True(pauses is not null, error);
        // The session is running once the runtime accepted it; give it a moment to deliver its first buffers.
        await Task.Delay(500);
        return pauses;
    }

    [Fact]
    public void The_process_that_cannot_be_reached_gives_a_reason_and_no_watcher()
    {
        // A process id no process has: no diagnostic port to reach.
        var pauses = SiloGcPauses.TryStart(int.MaxValue, out var error);
        Assert.Null(pauses);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void The_log_pairs_each_suspension_with_its_restart_and_keeps_the_collections_generation()
    {
        var log = new PauseLog();
        var t0 = new DateTime(2026, 12, 6, 10, 0, 0, DateTimeKind.Utc);
        log.Suspending(t0.AddMilliseconds(100));
        log.Collecting(0);
        log.Restarted(t0.AddMilliseconds(101));
        log.Suspending(t0.AddMilliseconds(500));
        log.Collecting(2);
        log.Promoted(3_000_000);
        log.Promoted(1_000);
        log.Restarted(t0.AddMilliseconds(530));
        log.Restarted(t0.AddMilliseconds(600)); // a restart without its suspension (the session began mid-pause) counts nothing
        log.Suspending(t0.AddSeconds(5));
        log.Collecting(1);
        log.Restarted(t0.AddSeconds(5).AddMilliseconds(4));

        var firstSecond = log.Describe(t0, t0.AddSeconds(1));
        Assert.Equal(2, firstSecond["count"]!.GetValue<int>());
        Assert.Equal(1, firstSecond["byGeneration"]!["0"]!.GetValue<int>());
        Assert.Equal(1, firstSecond["byGeneration"]!["2"]!.GetValue<int>());
        Assert.Equal(31.0, firstSecond["totalMs"]!.GetValue<double>());
        Assert.Equal(30.0, firstSecond["maxMs"]!.GetValue<double>());
        var listed = Assert.Single(firstSecond["atLeast2Ms"]!.AsArray());
        Assert.Equal(0.5, listed!["at"]!.GetValue<double>());
        Assert.Equal(2, listed["generation"]!.GetValue<int>());
        Assert.Equal(3_001_000, listed["promotedBytes"]!.GetValue<long>());
        Assert.Equal(3_001_000, firstSecond["promotedBytes"]!.GetValue<long>());
        // An observer that never sees what collections promote (the generator's own listener) reports no such figure.
        var unseen = new PauseLog();
        unseen.Suspending(t0);
        unseen.Restarted(t0.AddMilliseconds(3));
        Assert.Null(unseen.Describe(t0, t0.AddSeconds(1))["promotedBytes"]);

        var all = log.Describe(t0, t0.AddSeconds(10));
        Assert.Equal(3, all["count"]!.GetValue<int>());
        Assert.Equal(1, all["byGeneration"]!["1"]!.GetValue<int>());
    }
}

/// <summary>
/// Tests that force full collections of the test process and watch it over EventPipe: they pause every thread of the
/// process, so they run alone, never beside the timeline and flush-probe tests whose sampling threads they would stop.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ForcedCollectionsCollection
{
    public const string Name = "ForcedCollections";
}
