using System.Collections.Concurrent;
using Coffre.Application.Contact;
using Coffre.Domain.Contact;

namespace Coffre.Adapters.Local;

/// <summary>Contact preferences in process memory (embedded default and tests); nothing survives a restart.</summary>
public sealed class InMemoryContactDirectory : IContactDirectory
{
    private readonly ConcurrentDictionary<string, ContactPreferences> _all = new(StringComparer.Ordinal);

    public Task<IReadOnlyDictionary<string, ContactPreferences>> FindAsync(IReadOnlyCollection<string> vaultIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vaultIds);
        IReadOnlyDictionary<string, ContactPreferences> found = vaultIds.Distinct(StringComparer.Ordinal)
            .Where(_all.ContainsKey).ToDictionary(id => id, id => _all[id], StringComparer.Ordinal);
        return Task.FromResult(found);
    }

    public Task SetAsync(string vaultId, ContactPreferences preferences, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentNullException.ThrowIfNull(preferences);
        _all[vaultId] = preferences;
        return Task.CompletedTask;
    }
}
