using System.Threading.Channels;
using Coffre.Domain.Access;
using Coffre.Grains.Events;
using Coffre.Grains.Vaults;

namespace Coffre.GraphQL.Subscriptions;

/// <summary>
/// The two event-driven subscriptions. vaultEventAdded: replays the log after the client's cursor, then goes live,
/// delivering each position once and in order (an event at or below the last position sent is dropped; one past a
/// gap — an event lost on the live path or arriving out of order — makes the feed read the gap from the log first).
/// notificationAdded: reads the notifications newer than the last sent whenever an event of the vault arrives.
/// Access is re-decided on the first event more than <see cref="RedecideAfter"/> after the last decision: a
/// representative removed receives nothing raised later than that; the feed then ends with FORBIDDEN.
/// </summary>
public static class VaultEventFeeds
{
    public const int CatchUpPage = 100;

    /// <summary>How long a subscription's access decision stands while events arrive (see the class remarks).</summary>
    public static TimeSpan RedecideAfter { get; set; } = TimeSpan.FromMinutes(5);

    public static RelayedFeed<VaultEventEntry> Events(VaultEventRelay relay, IVaultEventsGrain vault, Caller caller, string vaultId, long? after, TimeProvider clock,
        TimeSpan? redecideAfter = null) =>
        new(relay, vaultId, async (queue, emit, stop) =>
        {
            var every = redecideAfter ?? RedecideAfter;
            var last = after;
            var decidedAt = clock.GetUtcNow();
            if (last is { } start)
            {
                last = await CatchUpAsync(vault, caller, start, emit, stop);
            }
            await foreach (var entry in queue.ReadAllAsync(stop))
            {
                if (entry.Position <= last)
                {
                    continue;
                }
                decidedAt = await RedecideAsync(vault, caller, decidedAt, clock, every);
                if (last is { } seen && entry.Position > seen + 1)
                {
                    last = await CatchUpAsync(vault, caller, seen, emit, stop);
                    continue;
                }
                emit(entry);
                last = entry.Position;
            }
        });

    public static RelayedFeed<VaultNotification> Notifications(VaultEventRelay relay, IVaultGrain vault, IVaultEventsGrain events, Caller caller, string vaultId,
        DateTimeOffset since, TimeProvider clock) =>
        new(relay, vaultId, async (queue, emit, stop) =>
        {
            var decidedAt = clock.GetUtcNow();
            while (await queue.WaitToReadAsync(stop))
            {
                // One read for all the events queued meanwhile.
                while (queue.TryRead(out _))
                {
                }
                decidedAt = await RedecideAsync(events, caller, decidedAt, clock, RedecideAfter);
                foreach (var notification in await vault.PollNotificationsAsync(caller, since))
                {
                    emit(notification);
                    since = notification.CreatedAt;
                }
            }
        });

    /// <summary>Sends the log's events after <paramref name="after"/>, page by page; returns the last position sent.</summary>
    private static async Task<long> CatchUpAsync(IVaultEventsGrain vault, Caller caller, long after, Action<VaultEventEntry> emit, CancellationToken stop)
    {
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            var page = await vault.ReadEventsAsync(caller, after, CatchUpPage);
            foreach (var entry in page.Items)
            {
                emit(entry);
                after = entry.Position;
            }
            if (!page.HasMore)
            {
                return after;
            }
        }
    }

    private static async Task<DateTimeOffset> RedecideAsync(IVaultEventsGrain vault, Caller caller, DateTimeOffset decidedAt, TimeProvider clock, TimeSpan every)
    {
        var now = clock.GetUtcNow();
        if (now - decidedAt < every)
        {
            return decidedAt;
        }
        await vault.AuthorizeEventsAsync(caller);
        return now;
    }
}
