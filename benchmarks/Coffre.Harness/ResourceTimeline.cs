using System.Text.Json.Nodes;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// What the machine did during an open run, slot by slot (the same 250 ms as the run's latency timeline, from the run's
/// start): CPU of the silo (and of its threads, by name: the garbage collector's, the thread pool's workers…), PostgreSQL, the harness and the machine; the disks'
/// reads, writes and flushes with their mean service time and busy time; WAL and data pages written (by checkpoints and
/// backends); what PostgreSQL's checkpointer and autovacuum workers were doing at the slot's end, and which statements
/// had then been running for more than 100 ms; with a <see cref="FlushProbe"/>, how long the disk took to make an 8 KiB
/// write durable in the slot (count, mean, maximum). A slot whose latency jumps can then be read beside its resources: a
/// disk that stopped answering, a collector, a process that took the cores.
/// </summary>
public sealed class ResourceTimeline : IAsyncDisposable
{
    private readonly ResourceProbe _probe;
    private readonly NpgsqlConnection _connection;
    private readonly List<ResourceProbe.Light> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly FlushProbe? _flushes;

    private ResourceTimeline(ResourceProbe probe, NpgsqlConnection connection, TimeSpan slot, ResourceProbe.Light first, FlushProbe? flushes)
    {
        _probe = probe;
        _connection = connection;
        _flushes = flushes;
        _samples.Add(first);
        _loop = Task.Run(() => LoopAsync(slot));
    }

    /// <summary>
    /// Starts sampling every <paramref name="slot"/> on a connection of its own, and a <see cref="FlushProbe"/> in
    /// <paramref name="flushDirectory"/> when given. The first sample is taken before this returns, so the first slot
    /// covers whatever the caller does next even when the sampling loop's thread is slow to start (a busy machine).
    /// </summary>
    public static async Task<ResourceTimeline> StartAsync(ResourceProbe probe, NpgsqlDataSource dataSource, TimeSpan slot, string? flushDirectory = null)
    {
        var connection = await dataSource.OpenConnectionAsync();
        try
        {
            var first = await probe.SampleLightAsync(connection);
            return new ResourceTimeline(probe, connection, slot, first, flushDirectory is null ? null : FlushProbe.Start(flushDirectory));
        }
        catch
        {
            // The first sample failed or the probe's file could not be created: the connection goes back to the pool.
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The flush probe's figures over the whole run (set by <see cref="StopAsync"/> when there is a probe).</summary>
    public JsonObject? FlushSummary { get; private set; }

    private async Task LoopAsync(TimeSpan slot)
    {
        using var timer = new PeriodicTimer(slot);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                _samples.Add(await _probe.SampleLightAsync(_connection));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>Stops sampling and describes each interval between two samples, placed in seconds from <paramref name="runStart"/>.</summary>
    public async Task<JsonArray> StopAsync(DateTime runStart)
    {
        await _stop.CancelAsync();
        await _loop;
        _samples.Add(await _probe.SampleLightAsync(_connection));
        var flushes = _flushes?.Stop();
        if (flushes is not null)
        {
            FlushSummary = FlushProbe.Describe(flushes, DateTime.MinValue, DateTime.MaxValue);
            FlushSummary["flushMsP99"] = FlushProbe.P99Ms(flushes);
            FlushSummary["intervalMs"] = _flushes!.Interval.TotalMilliseconds;
            FlushSummary["blockBytes"] = FlushProbe.BlockBytes;
        }
        var slots = new JsonArray();
        for (var i = 1; i < _samples.Count; i++)
        {
            var (a, b) = (_samples[i - 1], _samples[i]);
            var seconds = Math.Max(1e-6, (b.At - a.At).TotalSeconds);
            double Cores(double from, double to) => ResourceProbe.Round((to - from) / seconds, 2);
            var machine = b.Machine.Minus(a.Machine);
            var reads = b.Disk.Reads - a.Disk.Reads;
            var writes = b.Disk.Writes - a.Disk.Writes;
            var siloThreads = ThreadCpu.SecondsByName(a.SiloThreads, b.SiloThreads, ResourceProbe.TicksPerSecond);
            slots.Add(new JsonObject
            {
                ["at"] = ResourceProbe.Round((a.At - runStart).TotalSeconds, 2),
                ["seconds"] = ResourceProbe.Round(seconds, 3),
                ["coresSilo"] = Cores(a.Silo, b.Silo),
                ["coresSiloGc"] = ResourceProbe.Round(siloThreads.Where(t => ThreadCpu.IsGcThread(t.Name)).Sum(t => t.Seconds) / seconds, 2),
                ["siloThreads"] = ThreadCpu.Describe(siloThreads, seconds),
                ["coresPostgres"] = Cores(a.Postgres, b.Postgres),
                ["coresHarness"] = Cores(a.Harness, b.Harness),
                ["coresMachine"] = ResourceProbe.Round(machine.BusySeconds / seconds, 2),
                ["iowaitPercent"] = machine.Percentages()["iowait"]?.DeepClone(),
                ["diskReads"] = reads,
                ["diskReadMsMean"] = reads == 0 ? 0 : ResourceProbe.Round((b.Disk.ReadMs - a.Disk.ReadMs) / (double)reads, 2),
                ["diskWrites"] = writes,
                ["diskWriteMsMean"] = writes == 0 ? 0 : ResourceProbe.Round((b.Disk.WriteMs - a.Disk.WriteMs) / (double)writes, 2),
                ["diskFlushes"] = b.Disk.Flushes - a.Disk.Flushes,
                ["diskBusyMs"] = b.Disk.BusyMs - a.Disk.BusyMs,
                ["walBytes"] = b.WalLsn - a.WalLsn,
                ["dataPagesWritten"] = b.BuffersWritten - a.BuffersWritten,
                ["checkpointerAtEnd"] = b.Checkpointer,
            });
            if (flushes is not null)
            {
                foreach (var (k, v) in FlushProbe.Describe(flushes, a.At, b.At))
                {
                    slots[^1]![k] = v?.DeepClone();
                }
            }
            if (b.Autovacuum is { } autovacuum)
            {
                slots[^1]!["autovacuumAtEnd"] = autovacuum;
            }
            if (b.LongRunning is { } longRunning)
            {
                slots[^1]!["statementsOver100MsAtEnd"] = longRunning;
            }
        }
        return slots;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _loop;
        }
        await _connection.DisposeAsync();
        _flushes?.Dispose();
        _stop.Dispose();
    }
}
