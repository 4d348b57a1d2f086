using Coffre.Application.Outbox;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The one way a grain tells a person something (vault grain, conversations, agenda): the in-app notification in the
/// outbox, recipient = the vault id (addresses are resolved at delivery time).
/// </summary>
public sealed class PersonNotifier(IOutbox outbox, TimeProvider clock)
{
    public Task NotifyAsync(string vaultId, NotificationPayload payload)
    {
        var (kind, json) = NotificationCodec.Encode(payload);
        return outbox.EnqueueAsync([new OutboxMessage(Guid.NewGuid(), OutboxChannel.InApp, vaultId, kind, json, clock.GetUtcNow())]);
    }
}
