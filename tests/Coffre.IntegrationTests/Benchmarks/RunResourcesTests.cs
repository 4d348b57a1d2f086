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
    public async Task The_timeline_has_a_slot_per_interval_with_this_process_cpu_the_wal_and_the_checkpoint()
    {
        var connectionString = await TestServices.NewMigratedDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var probe = new ResourceProbe(dataSource);
        await probe.InitialiseAsync();
        var start = DateTime.UtcNow;

        await using var timeline = await ResourceTimeline.StartAsync(probe, dataSource, TimeSpan.FromMilliseconds(100));
        // Busy for a while: CPU in this process, and WAL from a table filled in PostgreSQL.
        var spin = Stopwatch.StartNew();
        var x = 0.0;
        while (spin.ElapsedMilliseconds < 300)
        {
            x += Math.Sqrt(spin.ElapsedTicks);
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
            Assert.InRange(s!["seconds"]!.GetValue<double>(), 0.0, 1.0);
            Assert.True(s["coresHarness"]!.GetValue<double>() >= 0);
            Assert.True(s["walBytes"]!.GetValue<long>() >= 0);
            Assert.True(s["dataPagesWritten"]!.GetValue<long>() >= 0);
            Assert.False(string.IsNullOrEmpty(s["checkpointerAtEnd"]!.GetValue<string>()), "the checkpointer is always there: waiting on something, or running");
        });
        Assert.Equal(slots.Select(s => s!["at"]!.GetValue<double>()).Order(), slots.Select(s => s!["at"]!.GetValue<double>()));
        Assert.True(slots.Max(s => s!["coresHarness"]!.GetValue<double>()) > 0.2, "the spinning slots show this process's CPU");
        Assert.True(slots.Sum(s => s!["walBytes"]!.GetValue<long>()) > 500_000, "the table's WAL shows");
        Assert.True(slots.Sum(s => s!["coresPostgres"]!.GetValue<double>()) > 0, "PostgreSQL's CPU shows");
        Assert.True(slots.Sum(s => s!["dataPagesWritten"]!.GetValue<long>()) > 0, "the checkpoint's pages show");
    }
}
