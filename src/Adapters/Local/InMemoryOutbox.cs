using Coffre.Application.Outbox;

namespace Coffre.Adapters.Local;

/// <summary>
/// The outbox in process memory, for the embedded default and tests: the same contract as
/// <see cref="PostgresOutbox"/> under one lock, with time from <see cref="TimeProvider"/>. Nothing survives a restart.
/// </summary>
public sealed class InMemoryOutbox(TimeProvider? timeProvider = null) : IOutbox
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, Entry> _all = [];
    private readonly HashSet<Guid> _pending = [];
    private readonly Dictionary<string, List<Entry>> _byRecipient = new(StringComparer.Ordinal);

    public Task EnqueueAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        var rows = OutboxRules.Normalise(messages);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var message in rows)
            {
                if (_all.ContainsKey(message.Id))
                {
                    continue;
                }
                var entry = new Entry(message, now);
                _all.Add(message.Id, entry);
                _pending.Add(message.Id);
                if (!_byRecipient.TryGetValue(message.Recipient, out var list))
                {
                    _byRecipient[message.Recipient] = list = [];
                }
                list.Add(entry);
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int max, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        OutboxRules.Lease(lease);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var due = _pending.Select(id => _all[id]).Where(e => e.AvailableAt <= now)
                .OrderBy(e => e.AvailableAt).Take(max).ToList();
            foreach (var entry in due)
            {
                entry.AvailableAt = now + lease;
                entry.LeaseUntil = now + lease;
            }
            IReadOnlyList<OutboxMessage> claimed = due.Select(e => e.Snapshot()).OrderBy(m => m.CreatedAt).ToList();
            return Task.FromResult(claimed);
        }
    }

    public Task MarkDeliveredAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var id in ids)
            {
                if (_all.TryGetValue(id, out var entry) && entry.DeliveredAt is null)
                {
                    entry.DeliveredAt = now;
                    entry.LeaseUntil = null;
                    _pending.Remove(id);
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task MarkFailedAsync(Guid id, string error, TimeSpan retryAfter, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        lock (_lock)
        {
            if (_all.TryGetValue(id, out var entry) && entry.DeliveredAt is null)
            {
                entry.Attempts++;
                entry.AvailableAt = _time.GetUtcNow() + retryAfter;
                entry.LeaseUntil = null;
                entry.LastError = OutboxRules.Error(error);
            }
        }
        return Task.CompletedTask;
    }

    public Task MarkUndeliverableAsync(Guid id, DeliveryOutcome outcome, string reason, CancellationToken cancellationToken = default)
    {
        if (outcome == DeliveryOutcome.Delivered || !Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), "a message is settled as bounced or undeliverable");
        }
        lock (_lock)
        {
            if (_all.TryGetValue(id, out var entry) && entry.DeliveredAt is null)
            {
                entry.DeliveredAt = _time.GetUtcNow();
                entry.Outcome = outcome;
                entry.Attempts++;
                entry.LeaseUntil = null;
                entry.LastError = OutboxRules.Error(reason);
                _pending.Remove(id);
            }
        }
        return Task.CompletedTask;
    }

    public Task DeferAsync(Guid id, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_all.TryGetValue(id, out var entry) && entry.DeliveredAt is null)
            {
                entry.AvailableAt = until;
                entry.LeaseUntil = null;
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxMessage>> ListDeliveriesAsync(DeliveryQuery query, CancellationToken cancellationToken = default)
    {
        OutboxRules.Query(query);
        lock (_lock)
        {
            IEnumerable<Entry> rows = query.Id is { } id
                ? (_all.TryGetValue(id, out var one) ? [one] : [])
                : (_byRecipient.TryGetValue(query.Recipient!, out var entries) ? entries : []);
            rows = rows.Where(e => query.Recipient is null || e.Message.Recipient == query.Recipient)
                .Where(e => query.Channels is null || query.Channels.Contains(e.Message.Channel));
            var ordered = rows.Select(e => e.Snapshot())
                .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id.ToString("N"), StringComparer.Ordinal);
            IReadOnlyList<OutboxMessage> page = (query.After is { } after
                    ? ordered.Where(m => m.CreatedAt < after.CreatedAt
                        || (m.CreatedAt == after.CreatedAt && string.CompareOrdinal(m.Id.ToString("N"), after.Id.ToString("N")) < 0))
                    : ordered)
                .Take(query.First).ToList();
            return Task.FromResult(page);
        }
    }

    /// <summary>How a message left the outbox (for operators and tests), null when no such message.</summary>
    public Task<DeliveryOutcome?> OutcomeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_all.TryGetValue(id, out var entry) ? entry.Outcome : (DeliveryOutcome?)null);
        }
    }

    public Task<IReadOnlyList<OutboxMessage>> ListForRecipientAsync(string recipient, int limit, CancellationToken cancellationToken = default, OutboxChannel? channel = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(recipient);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_lock)
        {
            IReadOnlyList<OutboxMessage> list = _byRecipient.TryGetValue(recipient, out var entries)
                ? entries.Where(e => channel is null || e.Message.Channel == channel).OrderByDescending(e => e.Message.CreatedAt)
                    .ThenByDescending(e => e.Message.Id.ToString("N"), StringComparer.Ordinal) // PostgreSQL's uuid order
                    .Take(limit).Select(e => e.Snapshot()).ToList()
                : [];
            return Task.FromResult(list);
        }
    }

    /// <summary>
    /// Drops the recipient's undelivered messages of one kind (the rollout store withdraws a revoked code's email);
    /// returns how many. What PostgreSQL's rollout store does with a DELETE in its own transaction.
    /// </summary>
    internal int RemoveUndelivered(string recipient, string kind)
    {
        lock (_lock)
        {
            if (!_byRecipient.TryGetValue(recipient, out var entries))
            {
                return 0;
            }
            return entries.RemoveAll(e =>
            {
                if (e.DeliveredAt is not null || !string.Equals(e.Message.Kind, kind, StringComparison.Ordinal))
                {
                    return false;
                }
                _all.Remove(e.Message.Id);
                _pending.Remove(e.Message.Id);
                return true;
            });
        }
    }

    /// <summary>The last error recorded for a message (for operators and tests; never logged).</summary>
    public Task<string?> LastErrorAsync(Guid id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_all.TryGetValue(id, out var entry) ? entry.LastError : null);
        }
    }

    private sealed class Entry(OutboxMessage message, DateTimeOffset availableAt)
    {
        public OutboxMessage Message { get; } = message;
        public DateTimeOffset AvailableAt { get; set; } = availableAt;
        public DateTimeOffset? LeaseUntil { get; set; }
        public DateTimeOffset? DeliveredAt { get; set; }
        public int Attempts { get; set; }
        public string? LastError { get; set; }
        public DeliveryOutcome Outcome { get; set; }

        public OutboxMessage Snapshot() => Message with { DeliveredAt = DeliveredAt, Attempts = Attempts, Outcome = Outcome, DueAt = DeliveredAt is null ? AvailableAt : null };
    }
}
