using Coffre.Application.Outbox;
using Xunit;

namespace Coffre.UnitTests.Outbox;

public sealed class InteractiveLoadTests
{
    [Fact]
    public void The_last_whole_second_counts_its_requests_and_the_current_second_is_not_counted_yet()
    {
        var clock = new ManualClock();
        var load = new InteractiveLoad(clock);
        RecordMany(load, 25);
        Assert.Equal(0, load.LastSecond);
        clock.Now += TimeSpan.FromMilliseconds(1_200);
        Assert.Equal(25, load.LastSecond);
        load.Record();
        Assert.Equal(25, load.LastSecond);
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(1, load.LastSecond);
    }

    [Fact]
    public void A_second_without_requests_between_brings_the_count_to_nought()
    {
        var clock = new ManualClock();
        var load = new InteractiveLoad(clock);
        RecordMany(load, 100);
        clock.Now += TimeSpan.FromSeconds(2);
        Assert.Equal(0, load.LastSecond);
        clock.Now += TimeSpan.FromMinutes(5);
        Assert.Equal(0, load.LastSecond);
    }

    [Fact]
    public async Task Requests_recorded_from_many_threads_in_one_second_are_all_counted()
    {
        var clock = new ManualClock();
        var load = new InteractiveLoad(clock);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => RecordMany(load, 10_000))));
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(80_000, load.LastSecond);
    }

    [Fact]
    public void A_burst_after_a_quiet_spell_is_busy_from_its_first_requests_not_from_the_next_whole_second()
    {
        var clock = new ManualClock();
        var load = new InteractiveLoad(clock);
        clock.Now += TimeSpan.FromMilliseconds(100);
        RecordMany(load, 19);
        Assert.Equal(19, load.CurrentSecond);
        Assert.False(load.IsBusy(20));
        load.Record();
        Assert.Equal(0, load.LastSecond);
        Assert.True(load.IsBusy(20));

        // The next second: busy by the last whole second's count before any request of its own.
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(0, load.CurrentSecond);
        Assert.True(load.IsBusy(20));

        // Quiet again: neither count reaches the threshold.
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.False(load.IsBusy(20));
        Assert.False(load.IsBusy(1));
    }

    [Fact]
    public async Task Requests_in_progress_are_counted_until_they_leave_and_a_request_with_its_grain_call_counts_once()
    {
        var clock = new ManualClock();
        var load = new InteractiveLoad(clock);
        Assert.Equal(0, load.InFlight);

        // 8 threads each begin 1 000 requests, and end all but 10 of them: 80 left in progress.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                load.Enter();
            }
            for (var i = 0; i < 990; i++)
            {
                load.Leave();
            }
        })));
        Assert.Equal(80, load.InFlight);
        Assert.Equal(8_000, load.CurrentSecond);

        // Each of those requests makes a grain call in this process: still 80 in progress, not 160. Behind gateways a
        // silo sees the calls only, and counts them.
        for (var i = 0; i < 80; i++)
        {
            load.Enter(InteractiveSource.GrainCall);
        }
        Assert.Equal(80, load.InFlight);
        for (var i = 0; i < 80; i++)
        {
            load.Leave();
        }
        Assert.Equal(80, load.InFlight);
        for (var i = 0; i < 80; i++)
        {
            load.Leave(InteractiveSource.GrainCall);
        }
        Assert.Equal(0, load.InFlight);
        Assert.Equal(8_000, load.TotalOf(InteractiveSource.Request));
        Assert.Equal(80, load.TotalOf(InteractiveSource.GrainCall));
    }

    private static void RecordMany(InteractiveLoad load, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            load.Record();
        }
    }
}
