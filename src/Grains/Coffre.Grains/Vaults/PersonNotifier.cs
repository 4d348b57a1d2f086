using Coffre.Application.Outbox;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The one way a grain tells a person something (vault grain, conversations, agenda): the in-app notification in the
/// outbox, recipient = the vault id (addresses are resolved at delivery time).
/// </summary>
public sealed class PersonNotifier(IOutbox outbox, TimeProvider clock)
{
    public Task NotifyAsync(string vaultId, NotificationPayload payload) => NotifyAsync(vaultId, payload, Guid.NewGuid());

    /// <summary>
    /// The same with the caller's message id: a notification that may be sent again after a crash (a re-delivered reminder)
    /// passes an id derived from what it is about, and the outbox ignores the second one.
    /// </summary>
    public Task NotifyAsync(string vaultId, NotificationPayload payload, Guid messageId)
    {
        var (kind, json) = NotificationCodec.Encode(payload);
        return outbox.EnqueueAsync([new OutboxMessage(messageId, OutboxChannel.InApp, vaultId, kind, json, clock.GetUtcNow())]);
    }
}
