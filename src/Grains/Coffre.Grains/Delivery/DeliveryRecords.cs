using Coffre.Application.Outbox;
using Coffre.Domain.Access;
using Coffre.Grains.Vaults;

namespace Coffre.Grains.Delivery;

/// <summary>Outbox messages as delivery records (no payload, no address) and the paging rules both views share.</summary>
internal static class DeliveryRecords
{
    /// <summary>Checks <paramref name="first"/> (1–100) and the cursor; VALIDATION naming the field otherwise.</summary>
    public static DeliveryCursor? Page(int first, string? after)
    {
        if (first is < 1 or > OutboxRules.MaxDeliveryPage - 1)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {OutboxRules.MaxDeliveryPage - 1}");
        }
        if (after is null)
        {
            return null;
        }
        return DeliveryCursor.Parse(after) ?? throw new ValidationFailedException("after", "is not a cursor from this list");
    }

    /// <summary>Reads one more than <paramref name="first"/> to tell whether a next page exists.</summary>
    public static async Task<DeliveryPage> ReadAsync(IOutbox outbox, DeliveryQuery query, int first)
    {
        var rows = await outbox.ListDeliveriesAsync(query);
        return new DeliveryPage([.. rows.Take(first).Select(ToRecord)], rows.Count > first);
    }

    public static DeliveryRecord ToRecord(OutboxMessage m) => new(
        m.Id, m.Recipient, m.Kind == Coffre.Application.Alerts.AlertNotices.OutboxKind && Coffre.Application.Alerts.AlertPayload.Parse(m.PayloadJson) is { } alert ? alert.Notice : m.Kind,
        (DeliveryChannel)(int)m.Channel, (DeliveryStatus)(int)m.State, m.Attempts, m.CreatedAt, m.DeliveredAt, m.DueAt,
        new DeliveryCursor(m.CreatedAt, m.Id).ToString());
}
