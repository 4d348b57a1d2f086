using Coffre.Application.Contact;
using Coffre.Application.Mail;
using Coffre.Application.Outbox;
using Coffre.Domain.Contact;

namespace Coffre.Application.Alerts;

/// <summary>Alerts by email through the same <see cref="IMailTransport"/> (SMTP) as the activation emails.</summary>
public sealed class AlertEmailChannel(IContactDirectory contacts, IOutbox outbox, IMailTransport transport, TimeProvider? time = null)
    : AlertDeliveryChannel(contacts, outbox, time)
{
    public override OutboxChannel Channel => OutboxChannel.Email;

    protected override string? Address(ContactPreferences preferences) => preferences.Email;

    protected override async Task<IReadOnlyDictionary<Guid, AlertSendOutcome>> SendAsync(IReadOnlyList<OutgoingAlert> alerts, CancellationToken cancellationToken)
    {
        var outcomes = await transport.SendAsync([.. alerts.Select(a => new MailMessage(a.Id, a.Address, null, a.Text.Subject, a.Text.Body))], cancellationToken)
            .ConfigureAwait(false);
        return outcomes.ToDictionary(o => o.Key, o => new AlertSendOutcome(o.Value.Kind switch
        {
            MailOutcomeKind.Sent => AlertSendKind.Sent,
            MailOutcomeKind.Refused => AlertSendKind.Refused,
            _ => AlertSendKind.Transient,
        }, o.Value.Detail));
    }
}
