using System.Diagnostics;
using Coffre.Harness;
using Coffre.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>
/// What the macro harness sets beside an open run's latency timeline: its own garbage-collection pauses and the machine's
/// resources slot by slot (real /proc, a real PostgreSQL for the WAL position).
/// </summary>
public sealed class RunResourcesTests
{
    [Fact]
    public async Task The_generators_allocations_are_sampled_by_type_within_the_run()
    {
        using var pauses = new GcPauses();
        await Task.Delay(100); // the listener is enabled on the runtime's source as it is created
        var from = DateTime.UtcNow;
        var kept = new List<Marker[]>();
        for (var i = 0; i < 20_000; i++)
        {
            kept.Add(new Marker[256]); // 2 KB each, 40 MB in all
            if (kept.Count > 100)
            {
                kept.Clear();
            }
        }

        // The runtime hands its events to listeners asynchronously: wait until the samples arrive (bounded).
        var clock = Stopwatch.StartNew();
        System.Text.Json.Nodes.JsonObject described;
        do
        {
            await Task.Delay(50);
            described = pauses.DescribeAllocations(from, DateTime.UtcNow);
        }
        while (MarkerSamples(described) < 100 && clock.Elapsed < TimeSpan.FromSeconds(10));

        // One sample per ~100 KB allocated: 40 MB of markers give hundreds, and they lead the list.
        Assert.True(MarkerSamples(described) >= 100, described.ToJsonString());
        var first = described["byType"]!.AsArray()[0]!;
        Assert.Equal(MarkerArray, first["type"]!.GetValue<string>());
        Assert.True(described["bytes"]!.GetValue<long>() >= first["bytes"]!.GetValue<long>());
        Assert.Equal(0, pauses.DescribeAllocations(from.AddHours(-1), from.AddHours(-1).AddSeconds(1))["samples"]!.GetValue<int>());
        GC.KeepAlive(kept);
    }

    private sealed class Marker;

    /// <summary>The runtime names a nested type's array without its namespace or declaring type.</summary>
    private const string MarkerArray = "Marker[]";

    private static int MarkerSamples(System.Text.Json.Nodes.JsonObject described) =>
        described["byType"]!.AsArray().Where(t => t!["type"]!.GetValue<string>() == MarkerArray).Sum(t => t!["samples"]!.GetValue<int>());

    [Fact]
    public void Allocation_samples_are_summed_by_type_largest_first_with_their_share_and_cut()
    {
        var samples = new AllocationSamples();
        var at = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        samples.Add(at.AddSeconds(-1), "Before", 999_999);
        for (var i = 0; i < 3; i++)
        {
            samples.Add(at.AddSeconds(i), "Byte[]", 100_000);
        }
        samples.Add(at.AddSeconds(1), "Char[]", 100_000);
        for (var t = 0; t < AllocationSamples.Listed + 3; t++)
        {
            samples.Add(at.AddSeconds(2), $"T{t:D2}", 1_000);
        }
        samples.Add(at.AddSeconds(11), "After", 999_999);

        var described = samples.Describe(at, at.AddSeconds(10));

        Assert.Equal(4 + AllocationSamples.Listed + 3, described["samples"]!.GetValue<int>());
        Assert.Equal(400_000 + (AllocationSamples.Listed + 3) * 1_000, described["bytes"]!.GetValue<long>());
        var byType = described["byType"]!.AsArray();
        Assert.Equal(AllocationSamples.Listed, byType.Count);
        Assert.Equal("Byte[]", byType[0]!["type"]!.GetValue<string>());
        Assert.Equal(3, byType[0]!["samples"]!.GetValue<int>());
        Assert.Equal(Math.Round(300_000 / 415_000.0, 3), byType[0]!["share"]!.GetValue<double>());
        Assert.Equal("Char[]", byType[1]!["type"]!.GetValue<string>());
        Assert.Equal("T00", byType[2]!["type"]!.GetValue<string>()); // equal bytes: by name
        Assert.DoesNotContain(byType, t => t!["type"]!.GetValue<string>() is "Before" or "After");
    }

    [Fact]
    public async Task A_blocking_full_collection_is_reported_as_a_generation_2_pause_within_the_run()
    {
        using var pauses = new GcPauses();
        var from = DateTime.UtcNow;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        // The runtime hands its events to listeners asynchronously: wait for the collection to arrive (bounded).
        var clock = Stopwatch.StartNew();
        System.Text.Json.Nodes.JsonObject described;
        do
        {
            await Task.Delay(50);
            described = pauses.Describe(from, DateTime.UtcNow);
        }
        while (described["byGeneration"]!["2"]!.GetValue<int>() == 0 && clock.Elapsed < TimeSpan.FromSeconds(10));

        Assert.True(described["byGeneration"]!["2"]!.GetValue<int>() >= 1, described.ToJsonString());
        Assert.True(described["count"]!.GetValue<int>() >= 1);
        Assert.True(described["maxMs"]!.GetValue<double>() > 0);
        Assert.True(described["totalMs"]!.GetValue<double>() >= described["maxMs"]!.GetValue<double>());
        // Nothing before the run's start counts.
        Assert.Equal(0, pauses.Describe(from.AddHours(-1), from.AddHours(-1).AddSeconds(1))["count"]!.GetValue<int>());
    }

    [Fact]
    public void The_quiet_collector_counts_what_its_span_allocated_and_restores_the_mode()
    {
        var former = System.Runtime.GCSettings.LatencyMode;
        var quiet = QuietCollector.Begin();
        Assert.Equal(System.Runtime.GCLatencyMode.SustainedLowLatency, System.Runtime.GCSettings.LatencyMode);
        var kept = new List<byte[]>();
        for (var i = 0; i < 64; i++)
        {
            kept.Add(new byte[16 * 1024]);
        }
        quiet.Dispose();
        var described = quiet.Describe();

        Assert.Equal(former, System.Runtime.GCSettings.LatencyMode);
        // At least the megabyte kept above (other tests of this process allocate too, into the same counters).
        Assert.True(described["allocatedBytes"]!.GetValue<long>() >= 64 * 16 * 1024, described.ToJsonString());
        Assert.True(described["collections"]!["0"]!.GetValue<int>() >= 0);
        Assert.Equal(64, kept.Count);
        // Disposed twice: nothing more happens, and the figures stay those of the span.
        quiet.Dispose();
        Assert.Equal(described.ToJsonString(), quiet.Describe().ToJsonString());
    }

    [Fact]
    public async Task The_timeline_has_a_slot_per_interval_with_this_process_cpu_the_wal_and_the_checkpoint()
    {
        await using var dataSource = await FreshDatabaseAsync();
        var probe = await ProbeAsync(dataSource);
        var start = DateTime.UtcNow;

        await using var timeline = await ResourceTimeline.StartAsync(probe, dataSource, TimeSpan.FromMilliseconds(100));
        // Busy for a while: 0.3 s of CPU in this process (CPU time, not wall time: with tests in parallel on 2 cores a
        // wall-clock spin once got too little of it), and WAL from a table filled in PostgreSQL.
        var spin = Stopwatch.StartNew();
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var x = 0.0;
        while (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart < TimeSpan.FromMilliseconds(300) && spin.Elapsed < TimeSpan.FromSeconds(10))
        {
            for (var i = 0; i < 100_000; i++)
            {
                x += Math.Sqrt(i + spin.ElapsedTicks);
            }
        }
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand(
            "CREATE TABLE timeline_probe AS SELECT g, md5(g::text) AS h FROM generate_series(1, 20000) g; CHECKPOINT", connection))
        {
            await command.ExecuteNonQueryAsync();
        }
        // Idle long enough for several ticks even if the spin above starved the sampling loop of a thread (2 cores, tests in parallel).
        await Task.Delay(1000);
        var slots = await timeline.StopAsync(start);

        Assert.True(x > 0);
        Assert.True(slots.Count >= 5, $"{slots.Count} slots");
        Assert.All(slots, s =>
        {
            // A slot lasts as long as its sampler took to wake: 0.1 s here, but a sampler starved by the machine (2 cores,
            // tests in parallel) once stretched one to 1.016 s. Positive and of the order of seconds, not its nominal length.
            Assert.InRange(s!["seconds"]!.GetValue<double>(), 0.0, 5.0);
            Assert.True(s["coresHarness"]!.GetValue<double>() >= 0);
            Assert.True(s["walBytes"]!.GetValue<long>() >= 0);
            Assert.True(s["dataPagesWritten"]!.GetValue<long>() >= 0);
            Assert.False(string.IsNullOrEmpty(s["checkpointerAtEnd"]!.GetValue<string>()), "the checkpointer is always there: waiting on something, or running");
        });
        Assert.Equal(slots.Select(s => s!["at"]!.GetValue<double>()).Order(), slots.Select(s => s!["at"]!.GetValue<double>()));
        // The spin's CPU shows, whatever length the sampler gave the slots: at least 0.2 s of the 0.3 s spun.
        Assert.True(slots.Sum(s => s!["coresHarness"]!.GetValue<double>() * s["seconds"]!.GetValue<double>()) > 0.2, "the spinning slots show this process's CPU");
        Assert.True(slots.Sum(s => s!["walBytes"]!.GetValue<long>()) > 500_000, "the table's WAL shows");
        Assert.True(slots.Sum(s => s!["coresPostgres"]!.GetValue<double>()) > 0, "PostgreSQL's CPU shows");
        Assert.True(slots.Sum(s => s!["dataPagesWritten"]!.GetValue<long>()) > 0, "the checkpoint's pages show");
    }

    [Fact]
    public async Task The_flush_probe_times_durable_writes_and_the_timeline_reports_them_per_slot()
    {
        await using var dataSource = await FreshDatabaseAsync();
        var probe = await ProbeAsync(dataSource);
        var directory = Directory.CreateTempSubdirectory("coffre-flush-probe-");
        try
        {
            var start = DateTime.UtcNow;
            await using (var timeline = await ResourceTimeline.StartAsync(probe, dataSource, TimeSpan.FromMilliseconds(100), directory.FullName))
            {
                await Task.Delay(1000);
                Assert.Equal(FlushProbe.BlockBytes, Assert.Single(directory.GetFiles()).Length);
                var slots = await timeline.StopAsync(start);

                var summary = timeline.FlushSummary!;
                // One flush every 10 ms plus the flush's own time: far more than ten in a second, each taking some time.
                Assert.InRange(summary["flushes"]!.GetValue<int>(), 10, 200);
                Assert.True(summary["flushMsMean"]!.GetValue<double>() > 0);
                Assert.True(summary["flushMsMax"]!.GetValue<double>() >= summary["flushMsP99"]!.GetValue<double>());
                Assert.Equal(FlushProbe.BlockBytes, summary["blockBytes"]!.GetValue<int>());
                // Each slot counts the flushes that started in it (not those before the first sample or after the last).
                Assert.All(slots, s => Assert.True(s!["flushes"]!.GetValue<int>() >= 0));
                Assert.InRange(slots.Sum(s => s!["flushes"]!.GetValue<int>()), summary["flushes"]!.GetValue<int>() / 2, summary["flushes"]!.GetValue<int>());
                Assert.True(slots.Max(s => s!["flushMsMax"]!.GetValue<double>()) > 0);
            }
            Assert.Empty(directory.GetFiles());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Describe_counts_only_the_flushes_that_started_in_the_window()
    {
        var t = new DateTime(2026, 12, 6, 4, 0, 0, DateTimeKind.Utc);
        FlushProbe.Flush[] flushes = [new(t, 0.5), new(t.AddMilliseconds(10), 25), new(t.AddMilliseconds(20), 80), new(t.AddMilliseconds(250), 3)];

        var window = FlushProbe.Describe(flushes, t, t.AddMilliseconds(250));

        Assert.Equal(3, window["flushes"]!.GetValue<int>());
        Assert.Equal(80, window["flushMsMax"]!.GetValue<double>());
        Assert.Equal(35.17, window["flushMsMean"]!.GetValue<double>());
        Assert.Equal(2, window["flushesOver20Ms"]!.GetValue<int>());
        Assert.Equal(1, window["flushesOver50Ms"]!.GetValue<int>());
        Assert.Equal(0, FlushProbe.Describe(flushes, t.AddSeconds(1), t.AddSeconds(2))["flushes"]!.GetValue<int>());
    }

    [Fact]
    public void Niceness_reads_what_nice_gave_a_process_and_its_threads()
    {
        var own = ResourceProbe.Niceness(Environment.ProcessId);
        Assert.NotNull(own);
        // The way the harness starts a niced silo: `nice -n N` replaces itself with the program, which keeps its PID.
        using var niced = Process.Start(new ProcessStartInfo("nice") { ArgumentList = { "-n", "7", "sleep", "30" }, UseShellExecute = false })!;
        try
        {
            var clock = Stopwatch.StartNew();
            while (File.ReadAllText($"/proc/{niced.Id}/comm").Trim() != "sleep" && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(10);
            }
            Assert.Equal(Math.Min(19, own!.Value + 7), ResourceProbe.Niceness(niced.Id));
        }
        finally
        {
            niced.Kill();
            niced.WaitForExit();
        }
        Assert.Null(ResourceProbe.Niceness(niced.Id));
    }

    private static async Task<NpgsqlDataSource> FreshDatabaseAsync() => NpgsqlDataSource.Create(await TestServices.NewMigratedDatabaseAsync());

    private static async Task<ResourceProbe> ProbeAsync(NpgsqlDataSource dataSource)
    {
        var probe = new ResourceProbe(dataSource);
        await probe.InitialiseAsync();
        return probe;
    }
}
