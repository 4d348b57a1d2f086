using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Events;

/// <summary>
/// Raises a vault's domain events for its live subscribers (document added, message received, access recorded,
/// appointment changed, reminder due). Grains call it after the change is stored; raising never fails the change.
/// </summary>
public interface IVaultEventPublisher
{
    Task PublishAsync(VaultEvent vaultEvent);
}

public static class VaultEventPublisherExtensions
{
    /// <summary>Queues the event on the publisher; a failure is logged (kind and error type only) and counted, never thrown: the change is stored.</summary>
    public static void Raise(this IVaultEventPublisher publisher, VaultEvent vaultEvent, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(vaultEvent);
        try
        {
            _ = publisher.PublishAsync(vaultEvent);
        }
        catch (Exception e)
        {
            VaultEventMetrics.Failed("raise", 1);
            VaultEventsLog.EventNotRaised(logger, vaultEvent.Kind.ToString(), e.GetType().Name);
        }
    }
}
