using Coffre.Domain.Auditing;

namespace Coffre.Application.Audit;

/// <summary>
/// The per-vault, append-only, hash-chained access history. Event n of a vault stores
/// hash_n = SHA-256(hash_{n-1} ‖ canonical(event_n)), hash_0 = 32 zero bytes, so editing or deleting any stored
/// event breaks verification from that event on. Implementations: PostgreSQL (cluster) and in-memory (embedded),
/// passing the same contract tests.
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends the event; the task completes once it is durable. Returns its sequence number in its vault's chain (from 1).</summary>
    Task<long> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default);

    /// <summary>Newest first: events with sequence &lt; <paramref name="beforeSequence"/> (all when null), at most <paramref name="limit"/>.</summary>
    Task<AuditPage> ReadAsync(string vaultId, long? beforeSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>Recomputes the vault's chain and reports the first event that does not verify.</summary>
    Task<ChainVerification> VerifyAsync(string vaultId, CancellationToken cancellationToken = default);
}

public sealed record StoredAuditEvent(long Sequence, AuditEvent Event, string Hash);

public sealed record AuditPage(IReadOnlyList<StoredAuditEvent> Items, bool HasMore, long TotalCount);

/// <summary>Intact, or the first broken sequence with what is wrong (edited, missing, reordered, truncated).</summary>
public sealed record ChainVerification(bool Intact, long EventsChecked, long? FirstBrokenSequence, string? Problem);
