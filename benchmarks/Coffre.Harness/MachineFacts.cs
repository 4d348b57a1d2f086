using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Npgsql;

namespace Coffre.Harness;

/// <summary>What a reader needs to compare runs: commit, machine, runtime, PostgreSQL version and settings.</summary>
public static class MachineFacts
{
    public static readonly string[] PostgresSettings =
    [
        "synchronous_commit", "fsync", "full_page_writes", "wal_level", "wal_compression", "wal_buffers", "wal_sync_method",
        "shared_buffers", "max_wal_size", "min_wal_size", "checkpoint_timeout", "checkpoint_completion_target", "work_mem",
        "maintenance_work_mem", "effective_cache_size", "max_connections", "commit_delay", "autovacuum", "jit", "huge_pages",
    ];

    public static JsonObject Machine()
    {
        var memTotal = ReadKeyValue("/proc/meminfo", "MemTotal");
        return new JsonObject
        {
            ["nproc"] = Environment.ProcessorCount,
            ["cpuModel"] = ReadKeyValue("/proc/cpuinfo", "model name"),
            ["memoryBytes"] = memTotal is { } m && long.TryParse(m.Split(' ')[0], out var kb) ? kb * 1024 : null,
            ["os"] = ReadKeyValue("/etc/os-release", "PRETTY_NAME", '=')?.Trim('"') ?? RuntimeInformation.OSDescription,
            ["kernel"] = TryRead("/proc/sys/kernel/osrelease")?.Trim(),
            ["loadAverageAtStart"] = TryRead("/proc/loadavg")?.Trim(),
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["gc"] = (GCSettings.IsServerGC ? "server" : "workstation") + (GCSettings.LatencyMode == GCLatencyMode.Batch ? " non-concurrent" : " concurrent"),
            ["loadGenerator"] = "same machine, same cores (the harness process)",
        };
    }

    /// <summary>
    /// A single-thread CPU speed index: SHA-256 over a 64 KiB buffer for about <paramref name="duration"/> (1 s by
    /// default), in MB/s. The build machine is a shared virtual machine: the same code's CPU per request moved by a
    /// quarter to a half between runs hours apart, on every process alike. Taken at a run's start and end, on a quiet
    /// machine, it lets a reader tell a slower machine from slower code.
    /// </summary>
    public static double CpuSpeedIndex(TimeSpan? duration = null)
    {
        var limit = duration ?? TimeSpan.FromSeconds(1);
        var buffer = new byte[64 * 1024];
        Random.Shared.NextBytes(buffer);
        Span<byte> hash = stackalloc byte[32];
        long bytes = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            for (var i = 0; i < 16; i++)
            {
                System.Security.Cryptography.SHA256.HashData(buffer, hash);
                buffer[0] ^= hash[0];
            }
            bytes += 16L * buffer.Length;
        }
        return ResourceProbe.Round(bytes / clock.Elapsed.TotalSeconds / 1e6, 1);
    }

    public static async Task<JsonObject> PostgresAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var o = new JsonObject();
        await using (var command = new NpgsqlCommand("SELECT version()", connection))
        {
            o["version"] = (string)(await command.ExecuteScalarAsync())!;
        }
        var settings = new JsonObject();
        await using (var command = new NpgsqlCommand("SELECT name, current_setting(name) FROM unnest($1::text[]) AS name", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = PostgresSettings });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                settings[reader.GetString(0)] = reader.GetString(1);
            }
        }
        o["settings"] = settings;
        return o;
    }

    /// <summary>HEAD and whether the working tree has uncommitted changes (from the repository holding this build).</summary>
    public static JsonObject Commit()
    {
        var root = RepositoryRoot();
        var o = new JsonObject { ["repository"] = root };
        var commit = root is null ? null : Git(root, "rev-parse HEAD")?.Trim();
        if (commit is null)
        {
            // A source export without .git: the caller says what it is.
            o["commit"] = Environment.GetEnvironmentVariable("COFFRE_BENCH_COMMIT");
            return o;
        }
        o["commit"] = commit;
        var status = Git(root!, "status --porcelain");
        o["uncommittedChanges"] = status is null ? null : status.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        return o;
    }

    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        return null;
    }

    private static string? Git(string root, string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
            using var git = Process.Start(info)!;
            var text = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            return git.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadKeyValue(string path, string key, char separator = ':')
    {
        var text = TryRead(path);
        if (text is null)
        {
            return null;
        }
        foreach (var line in text.Split('\n'))
        {
            var at = line.IndexOf(separator);
            if (at > 0 && line[..at].Trim() == key)
            {
                return line[(at + 1)..].Trim();
            }
        }
        return null;
    }
}
