using Coffre.Application.Contact;
using Coffre.Application.Outbox;
using Coffre.Domain.Contact;

namespace Coffre.Application.Alerts;

/// <summary>One SMS: the outbox id (the provider's reference, so a retried send is recognisable), the E.164 number, the text.</summary>
public sealed record SmsMessage(Guid Id, string To, string Text);

/// <summary>
/// Sends SMS through a provider (HTTP in <c>Coffre.Adapters.Sms</c>). Every message gets its own outcome: sent,
/// refused for good (invalid or unreachable number: a bounce) or transient (the provider's 5xx, a timeout).
/// </summary>
public interface ISmsProvider
{
    /// <summary>Sends the messages; one outcome per id. Cancelled, it returns the outcomes so far (those not started have none).</summary>
    Task<IReadOnlyDictionary<Guid, AlertSendOutcome>> SendAsync(IReadOnlyList<SmsMessage> messages, CancellationToken cancellationToken = default);
}

/// <summary>Alerts by SMS through an <see cref="ISmsProvider"/>: subject and body on one line.</summary>
public sealed class AlertSmsChannel(IContactDirectory contacts, IOutbox outbox, ISmsProvider provider, TimeProvider? time = null)
    : AlertDeliveryChannel(contacts, outbox, time)
{
    public override OutboxChannel Channel => OutboxChannel.Sms;

    protected override string? Address(ContactPreferences preferences) => preferences.Mobile;

    protected override Task<IReadOnlyDictionary<Guid, AlertSendOutcome>> SendAsync(IReadOnlyList<OutgoingAlert> alerts, CancellationToken cancellationToken) =>
        provider.SendAsync([.. alerts.Select(a => new SmsMessage(a.Id, a.Address, a.Text.Body))], cancellationToken);
}
