using Coffre.Application.Contact;
using Coffre.Application.Outbox;
using Coffre.Domain.Contact;

namespace Coffre.Application.Alerts;

/// <summary>What became of one alert handed to a transport (SMTP relay, SMS provider).</summary>
public enum AlertSendKind
{
    Sent = 0,

    /// <summary>Refused for good (SMTP 5xx, provider's "invalid or unreachable number"): a bounce.</summary>
    Refused = 1,

    /// <summary>May go through later (4xx, 5xx from a provider, connection, timeout).</summary>
    Transient = 2,
}

/// <summary>One alert's outcome; <see cref="Detail"/> holds reply codes only, never an address or the text (<see cref="Status"/>: the transport's status code, if any).</summary>
public sealed record AlertSendOutcome(AlertSendKind Kind, string Detail, int? Status = null);

/// <summary>One alert ready to go: the outbox id, the address read at delivery time and the generic text.</summary>
public sealed record OutgoingAlert(Guid Id, string Address, AlertText Text);

/// <summary>
/// The shared work of the outbox's alert channels (email, SMS): for a claimed batch of <c>alert</c> messages it reads the
/// people's contact preferences once (<see cref="IContactDirectory.FindAsync"/>, one query per batch), defers those in
/// quiet hours (<see cref="DeliveryDeferredException"/>, not an attempt), settles those with no address any more as
/// undeliverable, hands the rest to the transport (<see cref="SendAsync"/>), and for each refusal enqueues the alert on
/// the person's next channel (<see cref="ContactRules.NextChannel"/>; a derived id, so a replay is idempotent) before
/// settling it as bounced. Cut off by the delivery timeout, the sent alerts still count as sent, those cut off in flight
/// as transient failures, and those never started are deferred to now (not an attempt), so a batch larger than the
/// timeout allows spreads over the next claims. Nothing here logs or stores an address.
/// </summary>
public abstract class AlertDeliveryChannel(IContactDirectory contacts, IOutbox outbox, TimeProvider? time) : IDeliveryChannel
{
    private static readonly string[] AlertKinds = [AlertNotices.OutboxKind];
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public abstract OutboxChannel Channel { get; }

    public IReadOnlyCollection<string>? Kinds => AlertKinds;

    /// <summary>The person's address on this channel, or null when they have none.</summary>
    protected abstract string? Address(ContactPreferences preferences);

    /// <summary>
    /// Sends the alerts; one outcome per id. Cancelled (the dispatcher's delivery timeout), it returns the outcomes so
    /// far rather than throwing: those sent are not sent again; those without an outcome were not started.
    /// </summary>
    protected abstract Task<IReadOnlyDictionary<Guid, AlertSendOutcome>> SendAsync(IReadOnlyList<OutgoingAlert> alerts, CancellationToken cancellationToken);

    public Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default) => this.DeliverOneAsync(message, cancellationToken);

    public async Task<IReadOnlyDictionary<Guid, Exception>> DeliverBatchAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var failed = new Dictionary<Guid, Exception>();
        var parsed = new List<(OutboxMessage Message, AlertPayload Payload, AlertText Text)>(messages.Count);
        foreach (var message in messages)
        {
            if (message.Channel != Channel || message.Kind != AlertNotices.OutboxKind)
            {
                failed[message.Id] = Undeliverable($"the {Channel} alert channel sends no {message.Channel} '{message.Kind}' messages");
            }
            else if (AlertPayload.Parse(message.PayloadJson) is not { } payload)
            {
                failed[message.Id] = Undeliverable("the alert payload cannot be read");
            }
            else if (AlertNotices.Text(payload.Notice) is not { } text)
            {
                failed[message.Id] = Undeliverable("no alert text for this notice");
            }
            else
            {
                parsed.Add((message, payload, text));
            }
        }
        if (parsed.Count == 0)
        {
            return failed;
        }

        var people = await contacts.FindAsync([.. parsed.Select(p => p.Message.Recipient).Distinct(StringComparer.Ordinal)], cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var outgoing = new List<OutgoingAlert>(parsed.Count);
        foreach (var (message, _, text) in parsed)
        {
            var preferences = people.GetValueOrDefault(message.Recipient);
            if (preferences is null || Address(preferences) is not { Length: > 0 } address)
            {
                failed[message.Id] = Undeliverable($"the person has no {Channel} address any more");
            }
            else if (ContactRules.QuietUntil(preferences.QuietHours, now) is { } until)
            {
                failed[message.Id] = new DeliveryDeferredException(until);
            }
            else
            {
                outgoing.Add(new OutgoingAlert(message.Id, address, text));
            }
        }
        if (outgoing.Count == 0)
        {
            return failed;
        }

        var outcomes = await SendAsync(outgoing, cancellationToken).ConfigureAwait(false);
        var fallbacks = new List<OutboxMessage>();
        var bounced = new List<Guid>();
        foreach (var (message, payload, _) in parsed.Where(p => outgoing.Any(o => o.Id == p.Message.Id)))
        {
            if (!outcomes.TryGetValue(message.Id, out var outcome) && cancellationToken.IsCancellationRequested)
            {
                failed[message.Id] = new DeliveryDeferredException(now);
                continue;
            }
            outcome ??= new AlertSendOutcome(AlertSendKind.Transient, "no outcome from the transport");
            switch (outcome.Kind)
            {
                case AlertSendKind.Sent:
                    break;
                case AlertSendKind.Refused:
                    failed[message.Id] = new UndeliverableException(DeliveryOutcome.Bounced, $"refused ({outcome.Detail})");
                    bounced.Add(message.Id);
                    if (AlertNotices.FromOutbox(Channel) is { } here && people.GetValueOrDefault(message.Recipient) is { } preferences
                        && ContactRules.NextChannel(preferences, here) is { } next)
                    {
                        var channel = AlertNotices.ToOutbox(next);
                        fallbacks.Add(new OutboxMessage(AlertNotices.FallbackId(message.Id, channel), channel, message.Recipient, AlertNotices.OutboxKind,
                            (payload with { Origin = payload.Origin ?? message.Id, After = message.Id }).ToJson(), now));
                    }
                    break;
                default:
                    failed[message.Id] = new AlertTransientException(outcome.Detail);
                    break;
            }
        }
        if (fallbacks.Count > 0)
        {
            try
            {
                // Before the bounce is settled: a crash in between replays the bounce, which enqueues the same ids (ignored).
                // Not cancellable: the bounce is known even when the batch ran out of time.
                await outbox.EnqueueAsync(fallbacks, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                foreach (var id in bounced)
                {
                    failed[id] = new AlertTransientException($"the fallback could not be enqueued ({e.GetType().Name})");
                }
            }
        }
        return failed;
    }

    private static UndeliverableException Undeliverable(string reason) => new(DeliveryOutcome.Undeliverable, reason);
}

/// <summary>A failure worth retrying; its message has no address.</summary>
public sealed class AlertTransientException(string detail) : Exception(detail);
