using Coffre.Application.Audit;


namespace Coffre.Grains.Operations;

/// <summary>The silo's audit log, counting what it appends (<see cref="SiloCounters.AuditEvents"/>).</summary>
public sealed class CountingAuditLog(IAuditLog inner) : IAuditLog
{
    public async Task<long> AppendAsync(Domain.Auditing.AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        var sequence = await inner.AppendAsync(auditEvent, cancellationToken);
        SiloCounters.AuditEventAppended();
        return sequence;
    }

    public Task<AuditPage> ReadAsync(string vaultId, long? beforeSequence, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(vaultId, beforeSequence, limit, cancellationToken);

    public Task<ChainVerification> VerifyAsync(string vaultId, CancellationToken cancellationToken = default) =>
        inner.VerifyAsync(vaultId, cancellationToken);
}
