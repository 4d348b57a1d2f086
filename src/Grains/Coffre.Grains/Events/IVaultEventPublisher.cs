namespace Coffre.Grains.Events;

/// <summary>
/// Raises a vault's domain events for its live subscribers (document added, message received, access recorded,
/// appointment changed, reminder due). Grains call it after the change is stored; raising never fails the change.
/// </summary>
public interface IVaultEventPublisher
{
    Task PublishAsync(VaultEvent vaultEvent);
}
