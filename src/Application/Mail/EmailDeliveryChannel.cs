using System.Security.Cryptography;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;

namespace Coffre.Application.Mail;

/// <summary>
/// The email channel of the outbox: delivers <c>activation-code</c> messages through an <see cref="IMailTransport"/>.
/// For a claimed batch it reads the recipients from the registry once (<see cref="IRolloutStore.FindEmailRecipientsAsync"/>),
/// decrypts each code (<see cref="DeliveryCodeCipher"/>, bound to the campaign and the vault id), composes the message
/// (<see cref="ActivationEmail"/>) and hands the batch to the transport. A minor's code goes to their legal
/// representative's email as the registry gives it at send time (<see cref="EmailRecipient.ForRepresentatives"/>), in the
/// message addressed to the child's representatives; an opposed representative is never written to.
/// </summary>
/// <remarks>
/// <para>Outcomes: sent → delivered. A transient failure (4xx, connection) → retried by the dispatcher. A permanent refusal
/// (5xx) → a bounce: recorded and the email code revoked (<see cref="IRolloutStore.RecordEmailBouncesAsync"/>) before the
/// message is settled as bounced; the person's new code then goes out by post (<see cref="IssuanceService.PostBouncesAsync"/>).
/// Nobody to send to — no email any more, an opposition, a code no longer valid (used, revoked, re-issued), another
/// kind of message, an unreadable payload — → settled as undeliverable, never sent and never retried.</para>
/// <para>At least once: a message whose bounce was recorded but not yet settled (a crash in between) is claimed again,
/// finds its code revoked and is settled without being sent. Nothing here logs an address, a name or a code.</para>
/// </remarks>
public sealed class EmailDeliveryChannel(IRolloutStore store, DeliveryCodeCipher cipher, IMailTransport transport, ActivationEmail composer, TimeProvider? time = null)
    : IDeliveryChannel
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public OutboxChannel Channel => OutboxChannel.Email;

    public Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default) => this.DeliverOneAsync(message, cancellationToken);

    public async Task<IReadOnlyDictionary<Guid, Exception>> DeliverBatchAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var failed = new Dictionary<Guid, Exception>();
        var activation = new List<(OutboxMessage Message, DeliveryPayload Payload)>(messages.Count);
        foreach (var message in messages)
        {
            if (message.Channel != OutboxChannel.Email)
            {
                throw new ArgumentException($"a {message.Channel} message was given to the email channel", nameof(messages));
            }
            if (message.Kind != DeliveryCodeCipher.OutboxKind)
            {
                failed[message.Id] = Undeliverable($"the email channel sends no '{message.Kind}' messages");
                continue;
            }
            try
            {
                activation.Add((message, DeliveryPayload.Parse(message.PayloadJson)));
            }
            catch (CryptographicException)
            {
                failed[message.Id] = Undeliverable("the activation-code payload cannot be read");
            }
        }
        if (activation.Count == 0)
        {
            return failed;
        }

        var recipients = await store.FindEmailRecipientsAsync([.. activation.Select(a => a.Message.Recipient).Distinct(StringComparer.Ordinal)], cancellationToken)
            .ConfigureAwait(false);
        var outgoing = new List<MailMessage>(activation.Count);
        var sent = new Dictionary<Guid, (OutboxMessage Message, DeliveryPayload Payload)>(activation.Count);
        foreach (var (message, payload) in activation)
        {
            if (Skip(recipients.GetValueOrDefault(message.Recipient), payload) is { } reason)
            {
                failed[message.Id] = Undeliverable(reason);
                continue;
            }
            var recipient = recipients[message.Recipient];
            string code;
            try
            {
                code = cipher.DecryptCode(message.PayloadJson, message.Recipient);
            }
            catch (CryptographicException)
            {
                failed[message.Id] = Undeliverable("the activation code cannot be decrypted (altered payload or unknown delivery key)");
                continue;
            }
            outgoing.Add(recipient.ForRepresentatives
                ? composer.ComposeForRepresentatives(message.Id, recipient.Email!, recipient.GivenNames, code, payload.ExpiresAt)
                : composer.Compose(message.Id, recipient.Email!, recipient.GivenNames, code, payload.ExpiresAt));
            sent[message.Id] = (message, payload);
        }
        if (outgoing.Count == 0)
        {
            return failed;
        }

        var outcomes = await transport.SendAsync(outgoing, cancellationToken).ConfigureAwait(false);
        var bounces = new List<EmailBounce>();
        foreach (var (id, (message, payload)) in sent)
        {
            if (!outcomes.ContainsKey(id) && cancellationToken.IsCancellationRequested)
            {
                // Cut off by the delivery timeout before it was started: due again at once, not an attempt.
                failed[id] = new DeliveryDeferredException(_time.GetUtcNow());
                continue;
            }
            var outcome = outcomes.GetValueOrDefault(id) ?? new MailOutcome(MailOutcomeKind.Transient, "no outcome from the transport");
            switch (outcome.Kind)
            {
                case MailOutcomeKind.Sent:
                    break;
                case MailOutcomeKind.Refused:
                    bounces.Add(new EmailBounce(id, payload.Campaign, message.Recipient));
                    failed[id] = new UndeliverableException(DeliveryOutcome.Bounced, $"refused by the mail server ({outcome.Detail})");
                    break;
                default:
                    failed[id] = new MailTransientException(outcome.Detail);
                    break;
            }
        }
        if (bounces.Count > 0)
        {
            try
            {
                // Recorded even when the batch was cut by the delivery timeout: these refusals happened.
                await store.RecordEmailBouncesAsync(bounces, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Not recorded: retry later (the server refuses again, and the bounce is recorded then).
                foreach (var bounce in bounces)
                {
                    failed[bounce.OutboxId] = new MailTransientException($"the bounce could not be recorded ({e.GetType().Name})");
                }
            }
        }
        return failed;
    }

    /// <summary>Why a message must not be sent, or null to send it.</summary>
    public static string? Skip(EmailRecipient? recipient, DeliveryPayload payload) => recipient switch
    {
        null => "the recipient is not in the registry",
        { Status: not PersonStatus.Registered } => $"the person is {recipient.Status.ToString().ToLowerInvariant()}",
        { Email: null or "" } => recipient.ForRepresentatives
            ? "no legal representative has an email address any more"
            : "the person has no email address any more",
        _ when !string.Equals(recipient.ValidEmailCodeCampaign, payload.Campaign, StringComparison.Ordinal) =>
            "the code is no longer valid (used, revoked, expired or re-issued)",
        _ => null,
    };

    private static UndeliverableException Undeliverable(string reason) => new(DeliveryOutcome.Undeliverable, reason);
}

/// <summary>A failure worth retrying (4xx, connection, timeout); its message has no address.</summary>
public sealed class MailTransientException(string detail) : Exception(detail);
