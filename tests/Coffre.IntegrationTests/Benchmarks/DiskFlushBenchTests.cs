using System.Text.Json.Nodes;
using Coffre.Harness;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>
/// The harness's <c>disk-flush</c> verb on the real disk: the probe's flushes and the WAL-like stream beside it, counted
/// per window, and nothing left in the folder.
/// </summary>
public sealed class DiskFlushBenchTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("coffre-disk-flush-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Two_seconds_with_a_stream_give_a_window_a_second_of_flushes_and_the_stream_s_syncs()
    {
        var output = Path.Combine(_directory, "..", Path.GetFileName(_directory) + ".json");
        try
        {
            var exit = await DiskFlushBench.RunAsync(["--dir", _directory, "--seconds", "2", "--window-seconds", "1", "--wal-mbps", "2", "--out", output]);

            Assert.Equal(0, exit);
            var report = JsonNode.Parse(await File.ReadAllTextAsync(output))!;
            // Windows of 1 s over the measured span (2 s, more when the machine is slow to wake the run up).
            var windows = report["byWindow"]!.AsArray();
            Assert.Equal(windows.Count, report["windows"]!.GetValue<int>());
            Assert.Equal(Math.Max(1, (int)Math.Round(report["seconds"]!.GetValue<double>(), MidpointRounding.AwayFromZero)), windows.Count);
            Assert.True(windows.Count >= 2, report.ToJsonString());
            Assert.All(windows, w => Assert.True(w!["flushes"]!.GetValue<int>() >= 20, w.ToJsonString()));
            var probe = report["flushProbe"]!;
            Assert.Equal(windows.Sum(w => w!["flushes"]!.GetValue<int>()), probe["flushes"]!.GetValue<int>());
            Assert.True(probe["flushMsMax"]!.GetValue<double>() >= report["flushMsP99"]!.GetValue<double>());
            // 2 MB/s at 140 syncs a second: one 16 KiB write per sync (whole 8 KiB pages).
            var syncs = report["streamSyncs"]!.GetValue<long>();
            Assert.True(syncs >= 100, report.ToJsonString());
            Assert.Equal(syncs * 16384, report["streamedBytes"]!.GetValue<long>());
            Assert.Empty(Directory.GetFiles(_directory));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task Without_a_stream_only_the_probe_writes()
    {
        var exit = await DiskFlushBench.RunAsync(["--dir", _directory, "--seconds", "0.5"]);

        Assert.Equal(0, exit);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData("--seconds", "0")]
    [InlineData("--wal-mbps", "-1")]
    [InlineData("--window-seconds", "0")]
    public async Task A_setting_out_of_range_is_refused(string name, string value)
    {
        var args = new Dictionary<string, string> { ["--dir"] = _directory, ["--seconds"] = "1" };
        args[name] = value;

        await Assert.ThrowsAsync<ArgumentException>(() => DiskFlushBench.RunAsync([.. args.SelectMany(a => new[] { a.Key, a.Value })]));
    }
}
