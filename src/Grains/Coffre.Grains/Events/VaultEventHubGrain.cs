using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Coffre.Grains.Events;

/// <summary>
/// One partition of the event path: forwards each batch it receives to the registered serving processes, one one-way
/// call each. Keeps only observer references (in memory: after a silo loss the hub restarts empty and the serving
/// processes re-register within <see cref="VaultEventPartitions.RenewEvery"/>; events in between reach live subscribers
/// only through the catch-up cursor).
/// </summary>
[GrainType("vault-event-hub")]
public sealed class VaultEventHubGrain(ILogger<VaultEventHubGrain> logger) : Grain, IVaultEventHubGrain
{
    private readonly ObserverManager<IVaultEventObserver> _observers = new(VaultEventPartitions.ObserverExpiry, logger);

    Task IVaultEventHubGrain.SubscribeAsync(IVaultEventObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    Task IVaultEventHubGrain.UnsubscribeAsync(IVaultEventObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    Task IVaultEventHubGrain.PublishAsync(VaultEventEntry[] entries)
    {
        VaultEventMetrics.Forwarded(entries.Length * _observers.Count);
        _observers.Notify(o => o.OnEventsAsync(entries));
        return Task.CompletedTask;
    }
}
