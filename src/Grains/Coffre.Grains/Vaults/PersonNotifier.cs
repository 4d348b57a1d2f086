using System.Diagnostics.Metrics;
using Coffre.Application.Alerts;
using Coffre.Application.Contact;
using Coffre.Application.Outbox;
using Coffre.Domain.Contact;
using Coffre.Grains.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The one way a grain tells a person something (vault grain, conversations, agenda): the in-app notification in the
/// outbox, recipient = the vault id (addresses are resolved at delivery time). A notice whose kind warrants it
/// (<see cref="AlertNotices"/>) also enqueues ONE alert on the person's first preferred channel they have an address
/// for (<see cref="ContactRules.FirstChannel"/>), in the same outbox write; its text is generic, and quiet hours and
/// bounces are handled when it is delivered. When the contact directory cannot be read, the in-app notice is enqueued
/// alone (the alert is lost: logged without ids and counted, <c>coffre.alerts.lost</c>) rather than failing the caller
/// after its change is stored. Once enqueued, the recipient's vault raises NOTIFICATION_ADDED (subject: the notice id),
/// so notificationAdded follows every notice, including those whose change raised no event of that vault.
/// </summary>
public sealed partial class PersonNotifier(IOutbox outbox, IContactDirectory contacts, TimeProvider clock, IVaultEventPublisher? events = null,
    ILogger<PersonNotifier>? logger = null)
{
    private static readonly Meter Meter = new("Coffre");
    private static readonly Counter<long> AlertsLost = Meter.CreateCounter<long>("coffre.alerts.lost", description: "alerts not enqueued because the contact directory could not be read (the in-app notice was)");
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public Task NotifyAsync(string vaultId, NotificationPayload payload) => NotifyAsync(vaultId, payload, Guid.NewGuid());

    /// <summary>
    /// The same with the caller's message id: a notification that may be sent again after a crash (a re-delivered reminder)
    /// passes an id derived from what it is about, and the outbox ignores the second one — its alert's id is derived from
    /// it alone (<see cref="AlertNotices.AlertId"/>, whatever the channel), so the alert is not sent twice either.
    /// </summary>
    public async Task NotifyAsync(string vaultId, NotificationPayload payload, Guid messageId)
    {
        var (kind, json) = NotificationCodec.Encode(payload);
        var now = clock.GetUtcNow();
        var inApp = new OutboxMessage(messageId, OutboxChannel.InApp, vaultId, kind, json, now);
        var channel = AlertNotices.Warrants(kind) ? await AlertChannelAsync(vaultId).ConfigureAwait(false) : null;
        if (channel is { } alertChannel)
        {
            var outboxChannel = AlertNotices.ToOutbox(alertChannel);
            var alert = new OutboxMessage(AlertNotices.AlertId(messageId), outboxChannel, vaultId, AlertNotices.OutboxKind, new AlertPayload(kind).ToJson(), now);
            await outbox.EnqueueAsync([inApp, alert]).ConfigureAwait(false);
        }
        else
        {
            await outbox.EnqueueAsync([inApp]).ConfigureAwait(false);
        }
        events?.Raise(new VaultEvent(Guid.NewGuid(), vaultId, VaultEventKind.NotificationAdded, messageId.ToString("D"), now), _logger);
    }

    /// <summary>The person's first channel for an alert, or null (none, or the directory could not be read: then the alert is lost, counted).</summary>
    private async Task<AlertChannel?> AlertChannelAsync(string vaultId)
    {
        try
        {
            var preferences = (await contacts.FindAsync([vaultId]).ConfigureAwait(false)).GetValueOrDefault(vaultId);
            return preferences is null ? null : ContactRules.FirstChannel(preferences);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            AlertsLost.Add(1);
            LogContactsUnreadable(e.GetType().Name);
            return null;
        }
    }

    [LoggerMessage(EventId = 2170, Level = LogLevel.Warning, Message = "the contact directory could not be read ({Error}): the notice goes in-app only, its alert is lost")]
    private partial void LogContactsUnreadable(string error);
}
