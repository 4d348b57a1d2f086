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
    int Attempts = 0);

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

    /// <summary>The newest messages for a recipient, of one channel when <paramref name="channel"/> is given (the person's in-app notification list).</summary>
    Task<IReadOnlyList<OutboxMessage>> ListForRecipientAsync(string recipient, int limit, CancellationToken cancellationToken = default, OutboxChannel? channel = null);
}

/// <summary>Delivers one channel's messages (SMTP, SMS gateway, print house; a file sink in development and tests).</summary>
public interface IDeliveryChannel
{
    OutboxChannel Channel { get; }

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
