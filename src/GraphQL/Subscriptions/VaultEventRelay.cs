using System.Collections.Concurrent;
using System.Collections.Immutable;
using Coffre.Grains.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Coffre.GraphQL.Subscriptions;

/// <summary>
/// The serving process's end of the event path: ONE observer registered with each hub partition (renewed every
/// <see cref="VaultEventPartitions.RenewEvery"/>), whatever the number of subscribers; each event received is handed to
/// the local listeners of its vault (a dictionary look-up). A listener never calls a grain from here: it queues.
/// The first registration waits for the host to have started (<paramref name="lifetime"/>): the host starts this service
/// before the co-hosted silo, or before the gateway's client connects, and a call then only meets "no active nodes"
/// and the runtime's placement retries (each logged as a warning with its stack trace).
/// </summary>
public sealed partial class VaultEventRelay(IGrainFactory grains, ILogger<VaultEventRelay> logger, IHostApplicationLifetime? lifetime = null)
    : BackgroundService, IVaultEventObserver
{
    private readonly ConcurrentDictionary<string, ImmutableArray<Action<VaultEventEntry>>> _listeners = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IVaultEventObserver? _reference;

    /// <summary>Completes once this process is registered with every hub (tests and the benchmark wait on it).</summary>
    public Task Registered => _registered.Task;

    /// <summary>Local listeners, all vaults together.</summary>
    public int ListenerCount => _listeners.Values.Sum(l => l.Length);

    /// <summary>Hands this vault's events to <paramref name="listener"/> until the returned handle is disposed.</summary>
    public IDisposable Listen(string vaultId, Action<VaultEventEntry> listener)
    {
        _listeners.AddOrUpdate(vaultId, _ => [listener], (_, existing) => existing.Add(listener));
        return new Registration(this, vaultId, listener);
    }

    Task IVaultEventObserver.OnEventsAsync(VaultEventEntry[] entries)
    {
        foreach (var entry in entries)
        {
            if (_listeners.TryGetValue(entry.Event.VaultId, out var listeners))
            {
                foreach (var listener in listeners)
                {
                    listener(entry);
                }
            }
        }
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _reference = grains.CreateObjectReference<IVaultEventObserver>(this);
        try
        {
            await HostStartedAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                var missing = 0;
                for (var partition = 0; partition < VaultEventPartitions.Count; partition++)
                {
                    try
                    {
                        await grains.GetGrain<IVaultEventHubGrain>(partition).SubscribeAsync(_reference);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        missing++;
                        if (_registered.Task.IsCompleted)
                        {
                            RenewFailed(logger, partition, e.GetType().Name);
                        }
                    }
                }
                if (missing == 0)
                {
                    _registered.TrySetResult();
                }
                // Until the cluster answers (a silo still starting), try again every second.
                await Task.Delay(missing == 0 ? VaultEventPartitions.RenewEvery : TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HostStartedAsync(CancellationToken stoppingToken)
    {
        if (lifetime is null || lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return;
        }
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_reference is null)
        {
            return;
        }
        for (var partition = 0; partition < VaultEventPartitions.Count; partition++)
        {
            try
            {
                await grains.GetGrain<IVaultEventHubGrain>(partition).UnsubscribeAsync(_reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (Exception)
            {
                // Leaving: the hub forgets the registration when it expires.
            }
        }
        grains.DeleteObjectReference<IVaultEventObserver>(_reference);
    }

    private void Remove(string vaultId, Action<VaultEventEntry> listener)
    {
        while (_listeners.TryGetValue(vaultId, out var existing))
        {
            var remaining = existing.Remove(listener);
            if (remaining.Length == existing.Length)
            {
                return; // already removed
            }
            if (remaining.IsEmpty
                ? _listeners.TryRemove(new KeyValuePair<string, ImmutableArray<Action<VaultEventEntry>>>(vaultId, existing))
                : _listeners.TryUpdate(vaultId, remaining, existing))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Removing is idempotent, so every Dispose removes (rather than only the first): two disposers racing (the feed
    /// ending on its own and its subscriber unsubscribing) both return with the listener gone.
    /// </summary>
    private sealed class Registration(VaultEventRelay relay, string vaultId, Action<VaultEventEntry> listener) : IDisposable
    {
        public void Dispose() => relay.Remove(vaultId, listener);
    }

    [LoggerMessage(EventId = 4160, Level = LogLevel.Warning, Message = "renewing the event registration with hub {Partition} failed ({Error}); retrying")]
    private static partial void RenewFailed(ILogger logger, int partition, string error);
}
