using System.Text.Json;

namespace Coffre.Application.Outbox;

/// <summary>Checks and limits both outboxes apply the same way.</summary>
public static class OutboxRules
{
    /// <summary>Longest stored <c>last_error</c>, in characters.</summary>
    public const int MaxErrorLength = 1000;

    /// <summary>
    /// Checks every message (non-empty id, known channel, recipient and kind, a JSON payload PostgreSQL's jsonb
    /// accepts) and returns them as stored: created at in UTC, whole microseconds, new (not delivered, no attempts).
    /// </summary>
    public static OutboxMessage[] Normalise(IReadOnlyList<OutboxMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var normalised = new OutboxMessage[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m is null)
            {
                throw new ArgumentException("outbox message is null", nameof(messages));
            }
            if (m.Id == Guid.Empty)
            {
                throw new ArgumentException("outbox message has an empty id", nameof(messages));
            }
            if (!Enum.IsDefined(m.Channel))
            {
                throw new ArgumentException($"outbox channel {(int)m.Channel} is unknown", nameof(messages));
            }
            Text(m.Recipient, "recipient");
            Text(m.Kind, "kind");
            Text(m.PayloadJson, "payload");
            if (m.PayloadJson.Contains("\\u0000", StringComparison.Ordinal))
            {
                // PostgreSQL's jsonb cannot hold a NUL character.
                throw new ArgumentException($"outbox message {m.Id} payload contains \\u0000", nameof(messages));
            }
            try
            {
                using var _ = JsonDocument.Parse(m.PayloadJson);
            }
            catch (JsonException)
            {
                throw new ArgumentException($"outbox message {m.Id} payload is not JSON", nameof(messages));
            }
            var ticks = m.CreatedAt.UtcTicks;
            normalised[i] = m with
            {
                CreatedAt = new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero),
                DeliveredAt = null,
                Attempts = 0,
            };
        }
        return normalised;
    }

    /// <summary>The error as stored: at most <see cref="MaxErrorLength"/> characters, no NUL, no split surrogate pair.</summary>
    public static string Error(string? error)
    {
        var text = string.IsNullOrEmpty(error) ? "unknown error" : error.Replace('\0', ' ');
        if (text.Length <= MaxErrorLength)
        {
            return text;
        }
        var cut = MaxErrorLength;
        if (char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }
        return text[..cut];
    }

    /// <summary>Most delivery records one page may hold.</summary>
    public const int MaxDeliveryPage = 100;

    /// <summary>Checks a delivery query: one message or one recipient, a page of 1 to <see cref="MaxDeliveryPage"/>.</summary>
    public static void Query(DeliveryQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Id is null && string.IsNullOrEmpty(query.Recipient))
        {
            throw new ArgumentException("a delivery query names a message or a recipient", nameof(query));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(query.First, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.First, MaxDeliveryPage, nameof(query));
    }

    public static void Lease(TimeSpan lease)
    {
        if (lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), "a lease must be positive");
        }
    }

    private static void Text(string? value, string what)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"outbox message {what} is empty");
        }
        if (value.Contains('\0'))
        {
            throw new ArgumentException($"outbox message {what} contains a NUL character");
        }
    }
}
