using Coffre.Harness;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>The timeline's CPU by thread name: sums over fixed readings, and a named busy thread of this process read from /proc.</summary>
public sealed class ThreadCpuTests
{
    [Fact]
    public void Threads_of_one_name_are_summed_and_a_thread_started_in_between_counts_from_zero()
    {
        ThreadTicks[] before = [new(1, "worker", 100), new(2, "worker", 50), new(3, "gc", 10), new(4, "gone", 500)];
        ThreadTicks[] after = [new(1, "worker", 130), new(2, "worker", 60), new(3, "gc", 10), new(5, "worker", 20), new(6, "jit", 25)];

        var byName = ThreadCpu.SecondsByName(before, after, clockTicks: 100);

        Assert.Equal([("worker", 0.6, 3), ("jit", 0.25, 1), ("gc", 0.0, 1)], byName);
        var described = ThreadCpu.Describe(byName, seconds: 0.5, minCores: 0.02);
        Assert.Equal(1.2, (double)described["worker"]!["cores"]!);
        Assert.Equal(3, (int)described["worker"]!["threads"]!);
        Assert.Equal(0.5, (double)described["jit"]!["cores"]!);
        Assert.False(described.ContainsKey("gc"));
        Assert.False(described.ContainsKey("gone"));
    }

    [Fact]
    public void A_busy_named_thread_of_this_process_shows_under_its_name()
    {
        var reader = new ThreadCpu();
        using var stop = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var spinner = new Thread(() =>
        {
            started.Set();
            while (!stop.IsSet)
            {
                Thread.SpinWait(1000);
            }
        }) { Name = "coffre-spin", IsBackground = true };
        spinner.Start();
        started.Wait();
        var before = reader.Read(Environment.ProcessId);
        var until = DateTime.UtcNow.AddMilliseconds(400);
        while (DateTime.UtcNow < until)
        {
            Thread.Sleep(20);
        }
        var after = reader.Read(Environment.ProcessId);
        stop.Set();
        spinner.Join();

        Assert.Contains(after, t => t.Tid == Environment.ProcessId);
        var spin = Assert.Single(ThreadCpu.SecondsByName(before, after, ResourceProbe.TicksPerSecond), t => t.Name == "coffre-spin");
        Assert.Equal(1, spin.Threads);
        Assert.True(spin.Seconds >= 0.1, $"the spinning thread used {spin.Seconds} s in 400 ms");
        Assert.Empty(reader.Read(0));
        Assert.True(ThreadCpu.IsGcThread(".NET Server GC"));
        Assert.True(ThreadCpu.IsGcThread(".NET BGC"));
        Assert.False(ThreadCpu.IsGcThread(".NET TP Worker"));
    }
}
