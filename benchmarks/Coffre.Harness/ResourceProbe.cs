using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// Per-phase resource figures: CPU seconds of the harness, of THIS PostgreSQL instance (its postmaster and every
/// child, from /proc; children that exit hand their time to the postmaster's cutime/cstime when reaped, so the sum
/// stays exact) and of the silo process when one runs; the machine's CPU split (/proc/stat: user, system, iowait,
/// idle, steal); bytes written to the block devices (/proc/diskstats); WAL bytes (pg_current_wal_lsn before and
/// after), WAL records, full-page images, WAL syncs (pg_stat_wal) and checkpoints; the harness's working set.
/// </summary>
/// <remarks>
/// Other PostgreSQL instances may run on the machine (other users of the build box), which is why PostgreSQL is
/// found through the postmaster of a harness connection and not with <c>pgrep -u postgres postgres</c>.
/// </remarks>
public sealed class ResourceProbe
{
    private static readonly double ClockTicks = ReadClockTicks();
    private readonly NpgsqlDataSource _dataSource;
    private readonly ThreadCpu _siloThreads = new();

    /// <summary>The kernel's clock ticks per second, the unit of /proc's CPU times.</summary>
    public static double TicksPerSecond => ClockTicks;
    private int _postmasterPid;

    public ResourceProbe(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    public int? SiloPid { get; set; }

    /// <summary>The Azurite process (its CPU is reported on its own, not as "other").</summary>
    public int? AzuritePid { get; set; }

    public int PostmasterPid => _postmasterPid;

    public async Task InitialiseAsync()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync())!;
        _postmasterPid = ReadStat(backend)?.ParentPid ?? throw new InvalidOperationException("cannot read the PostgreSQL backend from /proc (is PostgreSQL on this machine?)");
    }

    public async Task<Sample> SampleAsync()
    {
        // Database figures first: the query's own cost then falls inside the interval of the phase it starts.
        var (lsn, wal, checkpoints) = await ReadDatabaseAsync();
        using var self = Process.GetCurrentProcess();
        var processes = ReadAllProcesses();
        return new Sample(
            Stopwatch.GetTimestamp(),
            self.TotalProcessorTime.TotalSeconds,
            PostgresCpuSeconds(processes),
            SiloPid is { } pid ? ReadStat(pid)?.OwnSeconds : null,
            AzuritePid is { } az && processes.TryGetValue(az, out var azurite) ? azurite.Seconds : null,
            processes,
            ReadMachineCpu(),
            ReadDiskWrittenBytes(),
            lsn, wal, checkpoints,
            self.WorkingSet64, self.PeakWorkingSet64);
    }

    public async Task<Phase> BeginAsync(string name) => new(name, await SampleAsync(), this);

    public sealed class Phase(string name, Sample start, ResourceProbe probe)
    {
        public string Name { get; } = name;
        public Sample Start { get; } = start;
        public double ElapsedSeconds => Stopwatch.GetElapsedTime(Start.Timestamp).TotalSeconds;

        public async Task<JsonObject> EndAsync() => probe.Describe(Start, await probe.SampleAsync());
    }

    public JsonObject Describe(Sample a, Sample b)
    {
        var seconds = Stopwatch.GetElapsedTime(a.Timestamp, b.Timestamp).TotalSeconds;
        var machine = b.Machine.Minus(a.Machine);
        var o = new JsonObject
        {
            ["seconds"] = Round(seconds, 3),
            ["cpuSecondsHarness"] = Round(b.HarnessCpu - a.HarnessCpu, 2),
            ["cpuSecondsPostgres"] = Round(b.PostgresCpu - a.PostgresCpu, 2),
            ["cpuSecondsSilo"] = a.SiloCpu is { } s0 && b.SiloCpu is { } s1 ? Round(s1 - s0, 2) : null,
            ["coresBusyHarness"] = Round((b.HarnessCpu - a.HarnessCpu) / Math.Max(seconds, 1e-6), 2),
            ["coresBusyPostgres"] = Round((b.PostgresCpu - a.PostgresCpu) / Math.Max(seconds, 1e-6), 2),
            ["coresBusySilo"] = a.SiloCpu is { } t0 && b.SiloCpu is { } t1 ? Round((t1 - t0) / Math.Max(seconds, 1e-6), 2) : null,
            ["cpuSecondsAzurite"] = a.AzuriteCpu is { } z0 && b.AzuriteCpu is { } z1 ? Round(z1 - z0, 2) : null,
            ["machineCpuPercent"] = machine.Percentages(),
            // Busy CPU of the machine not accounted to the harness, this PostgreSQL, the silo or Azurite: kernel threads
            // (writeback, journal) and other users of the box; the biggest consumers are listed.
            ["cpuSecondsOther"] = Round(Math.Max(0, machine.BusySeconds - (b.HarnessCpu - a.HarnessCpu) - (b.PostgresCpu - a.PostgresCpu)
                - (a.SiloCpu is { } o0 && b.SiloCpu is { } o1 ? o1 - o0 : 0) - (a.AzuriteCpu is { } q0 && b.AzuriteCpu is { } q1 ? q1 - q0 : 0)), 2),
            ["otherTopProcesses"] = TopOthers(a, b),
            ["diskWrittenBytes"] = b.DiskWritten - a.DiskWritten,
            ["walBytes"] = b.WalLsn - a.WalLsn,
            ["walRecords"] = b.Wal is { } w1 && a.Wal is { } w0 ? w1.Records - w0.Records : null,
            ["walFullPageImages"] = b.Wal is { } f1 && a.Wal is { } f0 ? f1.FullPageImages - f0.FullPageImages : null,
            ["walSyncs"] = b.Wal is { } y1 && a.Wal is { } y0 ? y1.Syncs - y0.Syncs : null,
            ["walBuffersFull"] = b.Wal is { } u1 && a.Wal is { } u0 ? u1.BuffersFull - u0.BuffersFull : null,
            ["checkpoints"] = b.Checkpoints is { } c1 && a.Checkpoints is { } c0 ? c1 - c0 : null,
            ["harnessWorkingSetBytes"] = b.WorkingSet,
            ["harnessPeakWorkingSetBytes"] = b.PeakWorkingSet,
        };
        return o;
    }

    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

    // ------------------------------------------------------------------ PostgreSQL

    private async Task<(long Lsn, WalStats? Wal, long? Checkpoints)> ReadDatabaseAsync()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        long lsn;
        await using (var command = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", connection))
        {
            lsn = (long)(await command.ExecuteScalarAsync())!;
        }
        WalStats? wal = null;
        try
        {
            await using var command = new NpgsqlCommand("SELECT wal_records, wal_fpi, wal_sync, wal_buffers_full FROM pg_stat_wal", connection);
            await using var reader = await command.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                wal = new WalStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            }
        }
        catch (PostgresException)
        {
            // PostgreSQL < 14: no pg_stat_wal.
        }
        long? checkpoints = null;
        foreach (var sql in new[]
        {
            "SELECT (checkpoints_timed + checkpoints_req)::bigint FROM pg_stat_bgwriter",
            "SELECT (num_timed + num_requested)::bigint FROM pg_stat_checkpointer",
        })
        {
            try
            {
                await using var command = new NpgsqlCommand(sql, connection);
                checkpoints = (long)(await command.ExecuteScalarAsync())!;
                break;
            }
            catch (PostgresException)
            {
                // The other catalog (PostgreSQL 17 moved the checkpoint counters).
            }
        }
        return (lsn, wal, checkpoints);
    }

    public sealed record WalStats(long Records, long FullPageImages, long Syncs, long BuffersFull);

    // ------------------------------------------------------------------ /proc

    public sealed record ProcStat(int ParentPid, double OwnSeconds, double ChildrenSeconds);

    /// <summary>/proc/PID/stat: parent pid, utime+stime and cutime+cstime in seconds; null when the process is gone.</summary>
    public static ProcStat? ReadStat(int pid) =>
        ProcFiles.TryReadStat($"/proc/{pid}/stat", out var stat) ? new ProcStat(stat.ParentPid, stat.OwnTicks / ClockTicks, stat.ChildTicks / ClockTicks) : null;

    /// <summary>A process's niceness (field 19 of /proc/PID/stat), or null when it is gone.</summary>
    public static int? Niceness(int pid) => ProcFiles.TryReadStat($"/proc/{pid}/stat", out var stat) ? stat.Nice : null;

    /// <summary>The postmaster (own + reaped children) plus every live child (own + their reaped children).</summary>
    private double PostgresCpuSeconds(Dictionary<int, ProcessCpu> processes) =>
        _postmasterPid != 0 && processes.ContainsKey(_postmasterPid)
            ? processes.Values.Where(p => IsPostgres(p.Pid, p.ParentPid)).Sum(p => p.Seconds + p.ChildrenSeconds)
            : 0;

    /// <summary>This PostgreSQL instance: its postmaster or one of the postmaster's children.</summary>
    private bool IsPostgres(int pid, int parentPid) => pid == _postmasterPid || parentPid == _postmasterPid;

    /// <summary>One process's CPU (own and reaped children), with its name.</summary>
    public sealed record ProcessCpu(int Pid, int ParentPid, string Name, double Seconds, double ChildrenSeconds, long StartTicks);

    private static Dictionary<int, ProcessCpu> ReadAllProcesses()
    {
        var all = new Dictionary<int, ProcessCpu>();
        foreach (var pid in ProcFiles.ProcessIds())
        {
            if (ProcFiles.TryReadStat($"/proc/{pid}/stat", out var stat, out var name))
            {
                all[pid] = new ProcessCpu(pid, stat.ParentPid, name, stat.OwnTicks / ClockTicks, stat.ChildTicks / ClockTicks, stat.StartTicks);
            }
        }
        return all;
    }

    /// <summary>
    /// As <see cref="PostgresCpuSeconds(Dictionary{int, ProcessCpu})"/>, in one pass over /proc that keeps nothing: the
    /// timeline's sample, taken four times a second while a run lasts.
    /// </summary>
    private double PostgresCpuSecondsNow()
    {
        if (_postmasterPid == 0)
        {
            return 0;
        }
        long ticks = 0;
        foreach (var pid in ProcFiles.ProcessIds())
        {
            if (ProcFiles.TryReadStat($"/proc/{pid}/stat", out var stat) && IsPostgres(pid, stat.ParentPid))
            {
                ticks += stat.OwnTicks + stat.ChildTicks;
            }
        }
        return ticks / ClockTicks;
    }

    /// <summary>The five processes outside the harness, PostgreSQL, the silo and Azurite that used the most CPU between two samples.</summary>
    private JsonArray TopOthers(Sample a, Sample b)
    {
        var self = Environment.ProcessId;
        var top = b.Processes.Values
            .Where(p => p.Pid != self && !IsPostgres(p.Pid, p.ParentPid) && p.Pid != SiloPid && p.Pid != AzuritePid)
            // Same pid and start time = the same process (kernel workers rename themselves after their current work item).
            .Select(p => (p.Pid, p.Name, Seconds: p.Seconds - (a.Processes.TryGetValue(p.Pid, out var before) && before.StartTicks == p.StartTicks ? before.Seconds : 0)))
            .Where(p => p.Seconds >= 0.05)
            .OrderByDescending(p => p.Seconds)
            .Take(5);
        return new JsonArray([.. top.Select(p => (JsonNode)new JsonObject { ["pid"] = p.Pid, ["name"] = p.Name, ["cpuSeconds"] = Round(p.Seconds, 2) })]);
    }

    public sealed record MachineCpu(long User, long Nice, long System, long Idle, long IoWait, long Irq, long SoftIrq, long Steal)
    {
        public double BusySeconds => (User + Nice + System + Irq + SoftIrq + Steal) / ClockTicks;

        public MachineCpu Minus(MachineCpu o) => new(User - o.User, Nice - o.Nice, System - o.System, Idle - o.Idle, IoWait - o.IoWait, Irq - o.Irq, SoftIrq - o.SoftIrq, Steal - o.Steal);

        public JsonObject Percentages()
        {
            double total = Math.Max(1, User + Nice + System + Idle + IoWait + Irq + SoftIrq + Steal);
            double P(long v) => Round(100.0 * v / total, 1);
            return new JsonObject
            {
                ["user"] = P(User + Nice),
                ["system"] = P(System + Irq + SoftIrq),
                ["iowait"] = P(IoWait),
                ["idle"] = P(Idle),
                ["steal"] = P(Steal),
            };
        }
    }

    private static MachineCpu ReadMachineCpu()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long F(int i) => i < f.Length ? long.Parse(f[i], CultureInfo.InvariantCulture) : 0;
            return new MachineCpu(F(1), F(2), F(3), F(4), F(5), F(6), F(7), F(8));
        }
        catch (IOException)
        {
            return new MachineCpu(0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    /// <summary>
    /// A light sample for a timeline (one small query on <paramref name="connection"/>): CPU seconds of the machine, the
    /// silo (and of each of its threads), PostgreSQL and the harness; the whole disks' counters; the WAL position,
    /// data pages written, and what the checkpointer, autovacuum and long statements were doing.
    /// </summary>
    public async Task<Light> SampleLightAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("""
            SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint,
                   (SELECT string_agg(query, '; ' ORDER BY query) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'),
                   (SELECT coalesce(wait_event, 'running') FROM pg_stat_activity WHERE backend_type = 'checkpointer'),
                   (SELECT buffers_checkpoint + buffers_backend FROM pg_stat_bgwriter),
                   (SELECT string_agg(left(regexp_replace(query, '\s+', ' ', 'g'), 80), ' | ' ORDER BY query_start) FROM pg_stat_activity
                    WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()
                      AND now() - query_start > interval '100 milliseconds')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var lsn = reader.GetInt64(0);
        var autovacuum = reader.IsDBNull(1) ? null : reader.GetString(1);
        var checkpointer = reader.IsDBNull(2) ? null : reader.GetString(2);
        var buffersWritten = reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
        var longRunning = reader.IsDBNull(4) ? null : reader.GetString(4);
        using var self = Process.GetCurrentProcess();
        return new Light(DateTime.UtcNow, ReadMachineCpu(), SiloPid is { } pid ? ReadStat(pid)?.OwnSeconds ?? 0 : 0,
            SiloPid is { } threadsPid ? _siloThreads.Read(threadsPid) : [], PostgresCpuSecondsNow(), self.TotalProcessorTime.TotalSeconds,
            ReadDiskCounters(), lsn, autovacuum, checkpointer, buffersWritten, longRunning);
    }

    /// <summary>
    /// A timeline sample. <c>Autovacuum</c>: what PostgreSQL's autovacuum workers were doing then (table names only), if
    /// any; <c>Checkpointer</c>: the checkpointer's wait event (pausing between a spread checkpoint's writes, syncing data
    /// files…), or "running" when it waits on nothing; <c>BuffersWritten</c>: data pages written by checkpoints and by
    /// backends since the statistics' reset; <c>LongRunning</c>: the statements (their parameterised text's start, no values) running for more than 100 ms then.
    /// </summary>
    public sealed record Light(DateTime At, MachineCpu Machine, double Silo, ThreadTicks[] SiloThreads, double Postgres, double Harness, DiskCounters Disk, long WalLsn,
        string? Autovacuum, string? Checkpointer, long BuffersWritten, string? LongRunning);

    /// <summary>Whole disks' counters summed (/proc/diskstats): completions, milliseconds spent, flushes, milliseconds busy.</summary>
    public sealed record DiskCounters(long Reads, long ReadMs, long Writes, long WriteMs, long Flushes, long BusyMs);

    private static DiskCounters ReadDiskCounters()
    {
        long reads = 0, readMs = 0, writes = 0, writeMs = 0, flushes = 0, busy = 0;
        try
        {
            var disks = WholeDisks();
            foreach (var line in File.ReadLines("/proc/diskstats"))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length <= 12 || !disks.Contains(f[2]))
                {
                    continue;
                }
                long F(int i) => i < f.Length ? long.Parse(f[i], CultureInfo.InvariantCulture) : 0;
                reads += F(3);
                readMs += F(6);
                writes += F(7);
                writeMs += F(10);
                busy += F(12);
                flushes += F(18);
            }
        }
        catch (IOException)
        {
            // No disk counters here.
        }
        return new DiskCounters(reads, readMs, writes, writeMs, flushes, busy);
    }

    /// <summary>The machine's whole disks (read once: disks do not come and go during a run).</summary>
    private static HashSet<string> WholeDisks() => s_wholeDisks.Value;

    private static readonly Lazy<HashSet<string>> s_wholeDisks = new(() => Directory.EnumerateDirectories("/sys/block").Select(Path.GetFileName)
        .Where(n => n is not null && !n.StartsWith("loop", StringComparison.Ordinal) && !n.StartsWith("ram", StringComparison.Ordinal)
            && !n.StartsWith("zram", StringComparison.Ordinal))
        .Select(n => n!).ToHashSet(StringComparer.Ordinal));

    /// <summary>Bytes written to whole disks (not partitions, loop or ram devices) since boot.</summary>
    private static long ReadDiskWrittenBytes()
    {
        try
        {
            var disks = WholeDisks();
            long total = 0;
            foreach (var line in File.ReadLines("/proc/diskstats"))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && disks.Contains(f[2]))
                {
                    total += long.Parse(f[9], CultureInfo.InvariantCulture) * 512;
                }
            }
            return total;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Peak resident set (VmHWM) of a process in bytes, from /proc/PID/status.</summary>
    public static long? PeakRss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static double ReadClockTicks()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var text = getconf.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }

    public sealed record Sample(
        long Timestamp,
        double HarnessCpu,
        double PostgresCpu,
        double? SiloCpu,
        double? AzuriteCpu,
        Dictionary<int, ProcessCpu> Processes,
        MachineCpu Machine,
        long DiskWritten,
        long WalLsn,
        WalStats? Wal,
        long? Checkpoints,
        long WorkingSet,
        long PeakWorkingSet);
}
