using Coffre.Application.Alerts;
using Coffre.Application.Contact;
using Coffre.Application.Outbox;
using Coffre.Domain.Contact;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The one way a grain tells a person something (vault grain, conversations, agenda): the in-app notification in the
/// outbox, recipient = the vault id (addresses are resolved at delivery time). A notice whose kind warrants it
/// (<see cref="AlertNotices"/>) also enqueues ONE alert on the person's first preferred channel they have an address
/// for (<see cref="ContactRules.FirstChannel"/>), in the same outbox write; its text is generic, and quiet hours and
/// bounces are handled when it is delivered.
/// </summary>
public sealed class PersonNotifier(IOutbox outbox, IContactDirectory contacts, TimeProvider clock)
{
    public Task NotifyAsync(string vaultId, NotificationPayload payload) => NotifyAsync(vaultId, payload, Guid.NewGuid());

    /// <summary>
    /// The same with the caller's message id: a notification that may be sent again after a crash (a re-delivered reminder)
    /// passes an id derived from what it is about, and the outbox ignores the second one — its alert's id is derived from
    /// it too (<see cref="AlertNotices.AlertId"/>), so the alert is not sent twice either.
    /// </summary>
    public async Task NotifyAsync(string vaultId, NotificationPayload payload, Guid messageId)
    {
        var (kind, json) = NotificationCodec.Encode(payload);
        var now = clock.GetUtcNow();
        var inApp = new OutboxMessage(messageId, OutboxChannel.InApp, vaultId, kind, json, now);
        if (!AlertNotices.Warrants(kind))
        {
            await outbox.EnqueueAsync([inApp]).ConfigureAwait(false);
            return;
        }
        var preferences = (await contacts.FindAsync([vaultId]).ConfigureAwait(false)).GetValueOrDefault(vaultId);
        if (preferences is null || ContactRules.FirstChannel(preferences) is not { } channel)
        {
            await outbox.EnqueueAsync([inApp]).ConfigureAwait(false);
            return;
        }
        var outboxChannel = AlertNotices.ToOutbox(channel);
        var alert = new OutboxMessage(AlertNotices.AlertId(messageId, outboxChannel), outboxChannel, vaultId, AlertNotices.OutboxKind,
            new AlertPayload(kind).ToJson(), now);
        await outbox.EnqueueAsync([inApp, alert]).ConfigureAwait(false);
    }
}
