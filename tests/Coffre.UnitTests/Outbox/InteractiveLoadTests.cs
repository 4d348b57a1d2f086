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

    private static void RecordMany(InteractiveLoad load, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            load.Record();
        }
    }
}
