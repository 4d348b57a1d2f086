using Coffre.Application.Events;
using Xunit;

namespace Coffre.IntegrationTests.Events;

/// <summary>The contract every <see cref="IVaultEventLog"/> passes: PostgreSQL and in-memory alike.</summary>
public abstract class VaultEventLogContract : IAsyncLifetime
{
    protected abstract IVaultEventLog Log { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static string NewVault() => "v-" + Guid.NewGuid().ToString("N")[..20];

    private static LoggedVaultEvent Event(string vaultId, int n, DateTimeOffset? at = null) =>
        new(Guid.NewGuid(), vaultId, n % 5, $"d-{n:D6}", at ?? Start.AddSeconds(n));

    [Fact]
    public async Task Positions_grow_by_one_per_vault_across_batches_and_read_back_in_order()
    {
        var (a, b) = (NewVault(), NewVault());
        var first = await Log.AppendAsync([Event(a, 1), Event(b, 2), Event(a, 3)]);
        var second = await Log.AppendAsync([Event(a, 4)]);
        Assert.Equal([1L, 1L, 2L], first);
        Assert.Equal([3L], second);

        var all = await Log.ReadAsync(a, 0, 10);
        Assert.Equal([1L, 2L, 3L], all.Select(e => e.Position));
        Assert.Equal(["d-000001", "d-000003", "d-000004"], all.Select(e => e.Event.SubjectId));
        Assert.Equal(Start.AddSeconds(3), all[1].Event.At);
        Assert.Equal(3, all[1].Event.Kind);

        Assert.Equal([2L], (await Log.ReadAsync(a, 1, 1)).Select(e => e.Position));
        Assert.Empty(await Log.ReadAsync(a, 3, 10));
        Assert.Empty(await Log.ReadAsync(NewVault(), 0, 10));
    }

    [Fact]
    public async Task Concurrent_writers_of_one_vault_get_distinct_contiguous_positions()
    {
        var vault = NewVault();
        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Log.AppendAsync(Enumerable.Range(0, 5).Select(i => Event(vault, w * 10 + i)).ToList())));
        var positions = batches.SelectMany(p => p).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), positions);
        Assert.Equal(positions, (await Log.ReadAsync(vault, 0, 100)).Select(e => e.Position));
    }

    [Fact]
    public async Task Writers_of_the_same_vaults_in_opposite_orders_all_succeed_with_positions_in_the_callers_order()
    {
        for (var round = 0; round < 10; round++)
        {
            var vaults = Enumerable.Range(0, 6).Select(_ => NewVault()).ToList();
            var reversed = Enumerable.Reverse(vaults).ToList();
            // Each writer bumps every vault's head; in arrival order, two such batches would lock them in opposite orders.
            var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(w =>
                Log.AppendAsync((w % 2 == 0 ? vaults : reversed).Select((v, i) => Event(v, w * 10 + i)).ToList())));
            foreach (var vault in vaults)
            {
                var read = await Log.ReadAsync(vault, 0, 10);
                Assert.Equal([1L, 2L, 3L, 4L], read.Select(e => e.Position));
            }
            // Each position answered matches the event's place in its vault's log.
            for (var w = 0; w < 4; w++)
            {
                var order = w % 2 == 0 ? vaults : reversed;
                for (var i = 0; i < order.Count; i++)
                {
                    var logged = await Log.ReadAsync(order[i], batches[w][i] - 1, 1);
                    Assert.Equal($"d-{w * 10 + i:D6}", Assert.Single(logged).Event.SubjectId);
                }
            }
        }
    }

    [Fact]
    public async Task Retention_deletes_old_events_and_never_reuses_their_positions()
    {
        var vault = NewVault();
        await Log.AppendAsync([Event(vault, 1, Start.AddDays(-40)), Event(vault, 2, Start.AddDays(-31)), Event(vault, 3, Start)]);
        Assert.True(await Log.DeleteBeforeAsync(Start.AddDays(-30)) >= 2);
        Assert.Equal([3L], (await Log.ReadAsync(vault, 0, 10)).Select(e => e.Position));
        Assert.Equal([4L], await Log.AppendAsync([Event(vault, 4)]));
    }
}
