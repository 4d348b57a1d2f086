using Coffre.Silo.Hosting;
using Xunit;

namespace Coffre.UnitTests.Deploy;

public sealed class ConnectionLossWatchTests
{
    [Fact]
    public async Task A_dropped_gateway_completes_the_pending_loss_after_the_grace_and_arms_a_new_one()
    {
        var watch = new ConnectionLossWatch(TimeSpan.FromMilliseconds(50));
        var before = watch.NextLoss;
        watch.NotifyGatewayCountChanged(3, 2, connectionRecovered: false);
        Assert.False(before.IsCompleted);

        watch.NotifyGatewayCountChanged(2, 3, connectionRecovered: false);
        var after = watch.NextLoss;
        Assert.NotSame(before, after);
        Assert.False(before.IsCompleted);
        await before.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(after.IsCompleted);
    }

    [Fact]
    public async Task Losing_the_whole_cluster_counts_as_a_loss()
    {
        var watch = new ConnectionLossWatch(TimeSpan.Zero);
        var pending = watch.NextLoss;
        watch.NotifyClusterConnectionLost();
        await pending.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
