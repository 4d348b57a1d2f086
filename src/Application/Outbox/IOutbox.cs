namespace Coffre.Application.Outbox;

/// <summary>Delivery channels the one outbox carries.</summary>
public enum OutboxChannel
{
    Email = 0,
    Sms = 1,
    Post = 2,
    InApp = 3,
}

/// <summary>
/// A notification to deliver. <see cref="Recipient"/> is an opaque reference (a vault id), never an address:
/// addresses are resolved at delivery time. <see cref="Id"/> makes enqueueing idempotent.
/// </summary>
public sealed record OutboxMessage(
    Guid Id,
    OutboxChannel Channel,
    string Recipient,
    string Kind,
    string PayloadJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeliveredAt = null,
    int Attempts = 0,
    DeliveryOutcome Outcome = DeliveryOutcome.Delivered,
    DateTimeOffset? DueAt = null)
{
    /// <summary>Where the message stands (from <see cref="DeliveredAt"/> and <see cref="Outcome"/>).</summary>
    public DeliveryState State => DeliveredAt is null ? DeliveryState.Pending : Outcome switch
    {
        DeliveryOutcome.Delivered => DeliveryState.Sent,
        DeliveryOutcome.Bounced => DeliveryState.Bounced,
        DeliveryOutcome.Failed => DeliveryState.Failed,
        _ => DeliveryState.Undeliverable,
    };
}

/// <summary>Where one outbox message stands, as operators and the person see it.</summary>
public enum DeliveryState
{
    /// <summary>Not delivered yet: due, leased, waiting for a retry or for the end of quiet hours.</summary>
    Pending = 0,
    Sent = 1,
    /// <summary>Refused for good by the recipient's server or provider (may have fallen back to another channel).</summary>
    Bounced = 2,
    /// <summary>Given up after <c>Coffre:Outbox:MaxAttempts</c> failed attempts.</summary>
    Failed = 3,
    /// <summary>Nothing to send any more (no address, an opposition, an unreadable payload).</summary>
    Undeliverable = 4,
}

/// <summary>
/// A page of delivery records, newest first: one message (<see cref="Id"/>) or a recipient's (<see cref="Recipient"/>),
/// of the given <see cref="Channels"/> when set, after the cursor <see cref="After"/> (exclusive).
/// </summary>
public sealed record DeliveryQuery(string? Recipient, Guid? Id, IReadOnlyCollection<OutboxChannel>? Channels, DeliveryCursor? After, int First);

/// <summary>A position in the newest-first order (created at, then id).</summary>
public sealed record DeliveryCursor(DateTimeOffset CreatedAt, Guid Id)
{
    public override string ToString() => $"{CreatedAt.UtcTicks}:{Id:N}";

    public static DeliveryCursor? Parse(string? text)
    {
        var parts = text?.Split(':');
        return parts is { Length: 2 } && long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
            && ticks is >= 0 and <= 3155378975999999999 && Guid.TryParseExact(parts[1], "N", out var id)
            ? new DeliveryCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id)
            : null;
    }
}

/// <summary>
/// The one durable outbox for every channel (email, SMS, post, in-app): notifications of first access,
/// break-glass and new documents, and the rollout's activation-code deliveries.
/// </summary>
public interface IOutbox
{
    /// <summary>Stores the messages durably; a message whose Id is already stored is ignored.</summary>
    Task EnqueueAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Takes up to <paramref name="max"/> undelivered messages due now, leasing them for <paramref name="lease"/> so that concurrent dispatchers never take the same message.</summary>
    Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int max, TimeSpan lease, CancellationToken cancellationToken = default);

    Task MarkDeliveredAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken = default);

    /// <summary>Records a failed attempt; the message becomes due again after <paramref name="retryAfter"/>.</summary>
    Task MarkFailedAsync(Guid id, string error, TimeSpan retryAfter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Settles a message that will never be delivered (a bounce, no address any more): it leaves the due messages with its
    /// <paramref name="outcome"/> and <paramref name="reason"/> recorded, and is never claimed again.
    /// </summary>
    Task MarkUndeliverableAsync(Guid id, DeliveryOutcome outcome, string reason, CancellationToken cancellationToken = default);

    /// <summary>Makes a leased message due again at <paramref name="until"/> without counting an attempt (quiet hours).</summary>
    Task DeferAsync(Guid id, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>A page of delivery records (no payloads are read by callers beyond kind and channel).</summary>
    Task<IReadOnlyList<OutboxMessage>> ListDeliveriesAsync(DeliveryQuery query, CancellationToken cancellationToken = default);

    /// <summary>The newest messages for a recipient, of one channel when <paramref name="channel"/> is given (the person's in-app notification list).</summary>
    Task<IReadOnlyList<OutboxMessage>> ListForRecipientAsync(string recipient, int limit, CancellationToken cancellationToken = default, OutboxChannel? channel = null);
}

/// <summary>Delivers one channel's messages (SMTP, SMS gateway, print house; a file sink in development and tests).</summary>
public interface IDeliveryChannel
{
    OutboxChannel Channel { get; }

    /// <summary>
    /// The message kinds this channel delivers, or null for every kind without a channel of its own (one such per channel):
    /// alerts by email go through their own channel while activation codes keep theirs.
    /// </summary>
    IReadOnlyCollection<string>? Kinds => null;

    Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Delivers a claimed batch of this channel's messages and answers the ids that failed, with why. A channel that
    /// can hand a batch over at once (one file write and one flush, one bulk request) overrides this; the default
    /// delivers one message after another.
    /// </summary>
    async Task<IReadOnlyDictionary<Guid, Exception>> DeliverBatchAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        var failed = new Dictionary<Guid, Exception>();
        foreach (var message in messages)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await DeliverAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed[message.Id] = e;
            }
        }
        return failed;
    }
}

/// <summary>How a message left the outbox without reaching its person (column <c>outbox.outcome</c>; 0 = delivered or pending).</summary>
public enum DeliveryOutcome : short
{
    Delivered = 0,

    /// <summary>The recipient's server refused it for good (an SMTP 5xx): a bounce.</summary>
    Bounced = 1,

    /// <summary>Nothing to send any more: no address, an opposition, a code no longer valid, a payload that cannot be read.</summary>
    Undeliverable = 2,

    /// <summary>Given up after <c>Coffre:Outbox:MaxAttempts</c> failed attempts (failed for good).</summary>
    Failed = 3,
}

/// <summary>
/// A channel's answer for a message that must not be retried: the dispatcher settles it with <see cref="Outcome"/>
/// (<see cref="IOutbox.MarkUndeliverableAsync"/>) instead of scheduling another attempt. The message text is a reason
/// without personal data (it is stored in the outbox row).
/// </summary>
public sealed class UndeliverableException(DeliveryOutcome outcome, string reason) : Exception(reason)
{
    public DeliveryOutcome Outcome { get; } = outcome == DeliveryOutcome.Delivered
        ? throw new ArgumentOutOfRangeException(nameof(outcome), "an undeliverable message cannot be delivered")
        : outcome;
}

/// <summary>
/// A channel's answer for a message that must wait (the person's quiet hours): the dispatcher makes it due again at
/// <see cref="Until"/> without counting an attempt.
/// </summary>
public sealed class DeliveryDeferredException(DateTimeOffset until) : Exception("deferred until the end of the person's quiet hours")
{
    public DateTimeOffset Until { get; } = until;
}

/// <summary>What every delivery channel does the same way.</summary>
public static class DeliveryChannels
{
    /// <summary>One message through the channel's batch path; its failure, if any, is thrown.</summary>
    public static async Task DeliverOneAsync(this IDeliveryChannel channel, OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var failed = await channel.DeliverBatchAsync([message], cancellationToken).ConfigureAwait(false);
        if (failed.TryGetValue(message.Id, out var error))
        {
            throw error;
        }
    }
}
