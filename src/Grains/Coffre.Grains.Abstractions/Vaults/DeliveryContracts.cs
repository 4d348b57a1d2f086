using Coffre.Domain.Access;

namespace Coffre.Grains.Vaults;

/// <summary>The channel an outbox message travels on, as the API shows it.</summary>
[GenerateSerializer, Alias("coffre.delivery-channel")]
public enum DeliveryChannel
{
    Email = 0,
    Sms = 1,
    Post = 2,
    InApp = 3,
}

/// <summary>Where one outbox message stands (PENDING, SENT, BOUNCED, FAILED for good, UNDELIVERABLE).</summary>
[GenerateSerializer, Alias("coffre.delivery-status")]
public enum DeliveryStatus
{
    Pending = 0,
    Sent = 1,
    Bounced = 2,
    Failed = 3,
    Undeliverable = 4,
}

/// <summary>
/// One message's delivery record, without its payload or address: kind, channel, state, attempts and times
/// (<see cref="NextAttemptAt"/> while pending: a retry or the end of quiet hours; <see cref="SettledAt"/> once it left).
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.delivery-record")]
public sealed record DeliveryRecord(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string VaultId,
    [property: Id(2)] string Kind,
    [property: Id(3)] DeliveryChannel Channel,
    [property: Id(4)] DeliveryStatus Status,
    [property: Id(5)] int Attempts,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset? SettledAt,
    [property: Id(8)] DateTimeOffset? NextAttemptAt,
    [property: Id(9)] string Cursor);

/// <summary>A page of delivery records, newest first.</summary>
[GenerateSerializer, Immutable, Alias("coffre.delivery-page")]
public sealed record DeliveryPage([property: Id(0)] IReadOnlyList<DeliveryRecord> Items, [property: Id(1)] bool HasNextPage);

/// <summary>
/// Support operators' view of the outbox (role Support): one message by id, or a vault's messages, paginated; kind,
/// channel, state, attempts and times only. A stateless worker: it holds nothing.
/// </summary>
[Alias("coffre.delivery-support")]
public interface IDeliverySupportGrain : IGrainWithIntegerKey
{
    /// <summary>VALIDATION when neither or both of <paramref name="messageId"/> and <paramref name="vaultId"/> are given, or <paramref name="first"/> is outside 1–99 (<c>OutboxRules.MaxDeliveryPage</c> − 1).</summary>
    [Alias("list")] Task<DeliveryPage> ListAsync(Caller caller, Guid? messageId, string? vaultId, int first, string? after);
}
