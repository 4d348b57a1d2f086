namespace Coffre.Application.Events;

/// <summary>
/// The durable log of vault events behind the live subscriptions' catch-up cursor. Each vault's events get positions
/// 1, 2, 3… in the order they become visible to readers (a writer of a vault waits for the previous writer of the
/// same vault to commit), so a reader that saw position n never later finds an event at a position ≤ n it had not seen.
/// Events are kept <see cref="VaultEventLogRules.Retention"/> and then deleted. Implementations: PostgreSQL (cluster),
/// in-memory (embedded), passing the same contract tests.
/// </summary>
public interface IVaultEventLog
{
    /// <summary>Appends the events (one round trip, one transaction) and returns their positions, in order.</summary>
    Task<IReadOnlyList<long>> AppendAsync(IReadOnlyList<LoggedVaultEvent> events, CancellationToken cancellationToken = default);

    /// <summary>The vault's events with position &gt; <paramref name="after"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredVaultEvent>> ReadAsync(string vaultId, long after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Deletes the events raised before <paramref name="before"/>; positions are never reused. Returns how many were deleted.</summary>
    Task<long> DeleteBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default);
}

/// <summary>An event as the log stores it: ids only (kind is the grains' VaultEventKind number), no personal data.</summary>
public sealed record LoggedVaultEvent(Guid Id, string VaultId, int Kind, string SubjectId, DateTimeOffset At);

public sealed record StoredVaultEvent(long Position, LoggedVaultEvent Event);

public static class VaultEventLogRules
{
    /// <summary>How long events stay in the log (a client away longer re-reads the objects it cares about).</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    /// <summary>Most events one append may carry (the publisher batches up to this).</summary>
    public const int MaxBatch = 256;
}
