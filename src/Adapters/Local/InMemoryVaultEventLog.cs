using Coffre.Application.Events;

namespace Coffre.Adapters.Local;

/// <summary>The vault event log in process memory (embedded default, tests): the same contract as the PostgreSQL log under one lock.</summary>
public sealed class InMemoryVaultEventLog : IVaultEventLog
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long Last, List<StoredVaultEvent> Events)> _vaults = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<long>> AppendAsync(IReadOnlyList<LoggedVaultEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var positions = new List<long>(events.Count);
        lock (_lock)
        {
            foreach (var e in events)
            {
                var (last, list) = _vaults.TryGetValue(e.VaultId, out var v) ? v : (0, new List<StoredVaultEvent>());
                list.Add(new StoredVaultEvent(++last, e));
                _vaults[e.VaultId] = (last, list);
                positions.Add(last);
            }
        }
        return Task.FromResult<IReadOnlyList<long>>(positions);
    }

    public Task<IReadOnlyList<StoredVaultEvent>> ReadAsync(string vaultId, long after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        lock (_lock)
        {
            IReadOnlyList<StoredVaultEvent> page = _vaults.TryGetValue(vaultId, out var v)
                ? v.Events.Where(e => e.Position > after).Take(limit).ToList()
                : [];
            return Task.FromResult(page);
        }
    }

    public Task<long> DeleteBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        long deleted = 0;
        lock (_lock)
        {
            foreach (var (_, (_, events)) in _vaults)
            {
                deleted += events.RemoveAll(e => e.Event.At < before);
            }
        }
        return Task.FromResult(deleted);
    }
}
