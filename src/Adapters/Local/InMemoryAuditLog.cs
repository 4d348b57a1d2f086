using System.Collections.Concurrent;
using System.Security.Cryptography;
using Coffre.Application.Audit;
using Coffre.Domain.Auditing;

namespace Coffre.Adapters.Local;

/// <summary>
/// The audit log in process memory, for the embedded default and tests: the same chain, hashes and head MAC as
/// <see cref="PostgresAuditLog"/> (through <see cref="AuditChain"/>), one lock per vault, nothing survives a restart.
/// </summary>
public sealed class InMemoryAuditLog : IAuditLog
{
    private readonly ConcurrentDictionary<string, VaultChain> _vaults = new(StringComparer.Ordinal);
    private readonly byte[] _headKey;

    /// <summary>With no key, a random one is drawn (the chain lives only as long as this instance).</summary>
    public InMemoryAuditLog(byte[]? headKey = null)
    {
        if (headKey is not null)
        {
            AuditChain.CheckKey(headKey);
        }
        _headKey = headKey?.ToArray() ?? RandomNumberGenerator.GetBytes(32);
    }

    public Task<long> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        var normalised = AuditChain.Normalise(auditEvent);
        cancellationToken.ThrowIfCancellationRequested();
        var chain = _vaults.GetOrAdd(normalised.VaultId, _ => new VaultChain());
        lock (chain)
        {
            var previous = chain.Links.Count == 0 ? AuditChain.Genesis.ToArray() : chain.Links[^1].Hash;
            var sequence = chain.Links.Count + 1L;
            var hash = AuditChain.ComputeHash(previous, normalised);
            chain.Links.Add(new AuditChainLink(sequence, normalised, previous, hash));
            chain.Head = new AuditHead(normalised.VaultId, sequence, hash, AuditChain.ComputeHeadMac(_headKey, normalised.VaultId, sequence, hash));
            return Task.FromResult(sequence);
        }
    }

    public Task<AuditPage> ReadAsync(string vaultId, long? beforeSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (!_vaults.TryGetValue(vaultId, out var chain))
        {
            return Task.FromResult(new AuditPage([], false, 0));
        }
        lock (chain)
        {
            var count = chain.Links.Count;
            // Links[i] has sequence i + 1: start at the newest sequence below beforeSequence.
            var start = (int)Math.Min(count, Math.Max(0, (beforeSequence ?? long.MaxValue) - 1)) - 1;
            var items = new List<StoredAuditEvent>(Math.Min(limit, start + 1));
            var i = start;
            for (; i >= 0 && items.Count < limit; i--)
            {
                var link = chain.Links[i];
                items.Add(new StoredAuditEvent(link.Sequence, link.Event, AuditChain.ToHex(link.Hash)));
            }
            return Task.FromResult(new AuditPage(items, i >= 0, count));
        }
    }

    public Task<ChainVerification> VerifyAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        if (!_vaults.TryGetValue(vaultId, out var chain))
        {
            return Task.FromResult(AuditChain.Verify(vaultId, [], null, _headKey));
        }
        AuditChainLink[] links;
        AuditHead? head;
        lock (chain)
        {
            links = [.. chain.Links];
            head = chain.Head;
        }
        return Task.FromResult(AuditChain.Verify(vaultId, links, head, _headKey));
    }

    private sealed class VaultChain
    {
        public List<AuditChainLink> Links { get; } = [];
        public AuditHead? Head { get; set; }
    }
}
