using Coffre.Domain.Access;
using Orleans.Concurrency;

namespace Coffre.Grains.Events;

/// <summary>
/// A vault event with its position in its vault's event log: positions of one vault grow by one per event, in the order
/// the log made them visible, so a subscriber detects a gap (position &gt; last + 1) and a duplicate (≤ last).
/// </summary>
[GenerateSerializer, Immutable, Alias("vault-event-entry")]
public sealed record VaultEventEntry(
    [property: Id(0)] long Position,
    [property: Id(1)] VaultEvent Event);

/// <summary>A page of a vault's event log, oldest first, after a position.</summary>
[GenerateSerializer, Immutable, Alias("vault-event-page")]
public sealed record VaultEventPage(
    [property: Id(0)] IReadOnlyList<VaultEventEntry> Items,
    [property: Id(1)] bool HasMore);

/// <summary>
/// A process that serves subscribers (a gateway, or a silo serving GraphQL) — told once per event of a partition it
/// registered with, whatever the number of its local subscribers; it fans out locally by vault id.
/// </summary>
[Alias("coffre.vault-event-observer")]
public interface IVaultEventObserver : IGrainObserver
{
    [OneWay, Alias("on-events")]
    Task OnEventsAsync(VaultEventEntry[] entries);
}

/// <summary>
/// One partition of the event path (<see cref="VaultEventPartitions"/>): the publishers of every silo send it the events
/// of the vaults hashed to it; it forwards them to the observers that registered (one per serving process), and forgets
/// an observer that did not renew within its expiry. Holds no vault, no personal data, nothing durable.
/// </summary>
[Alias("coffre.vault-event-hub")]
public interface IVaultEventHubGrain : IGrainWithIntegerKey
{
    /// <summary>Registers or renews an observer (renew well within <see cref="VaultEventPartitions.ObserverExpiry"/>).</summary>
    [Alias("subscribe")]
    Task SubscribeAsync(IVaultEventObserver observer);

    [Alias("unsubscribe")]
    Task UnsubscribeAsync(IVaultEventObserver observer);

    [OneWay, Alias("publish")]
    Task PublishAsync(VaultEventEntry[] entries);
}

/// <summary>How vault ids map to hub partitions, and how long an observer registration lasts.</summary>
public static class VaultEventPartitions
{
    /// <summary>Number of hub grains: spreads the fan-out over the silos, and bounds what each serving process registers (one per hub).</summary>
    public const int Count = 8;

    /// <summary>A hub forgets an observer not renewed within this time (its process died or left).</summary>
    public static readonly TimeSpan ObserverExpiry = TimeSpan.FromMinutes(2);

    /// <summary>How often a serving process renews its registration with every hub (a hub reactivated after a silo loss is re-joined within this time).</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(20);

    /// <summary>A stable hash (FNV-1a over the id's UTF-16 units), the same in every process and version.</summary>
    public static int Of(string vaultId)
    {
        var hash = 2166136261u;
        foreach (var c in vaultId)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)(hash % Count);
    }
}

/// <summary>
/// The vault's side of live subscriptions (implemented by the vault grain): the decision to let a caller follow the
/// vault's events (owner and legal representatives, as for its notifications; audited) and the catch-up read of its
/// event log. Nobody listening keeps the vault in memory: it is called when a subscription starts, to fill a gap, and
/// to re-decide at most every few minutes while events arrive.
/// </summary>
[Alias("coffre.vault-events")]
public interface IVaultEventsGrain : IGrainWithStringKey
{
    /// <summary>Decides (ReadHistory: owner, representatives) and audits "events.subscribe"; throws AccessDeniedException when refused.</summary>
    [Alias("authorize-events")]
    Task AuthorizeEventsAsync(Caller caller);

    /// <summary>Events with position &gt; <paramref name="after"/>, oldest first, at most <paramref name="first"/> (1 to 100); decided and audited as "events.read".</summary>
    [Alias("read-events")]
    Task<VaultEventPage> ReadEventsAsync(Caller caller, long after, int first);
}
