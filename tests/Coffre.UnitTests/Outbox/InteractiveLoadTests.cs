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

    private static void RecordMany(InteractiveLoad load, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            load.Record();
        }
    }
}
