using Coffre.Application.Directory;
using Coffre.Domain.Directory;

namespace Coffre.Adapters.Local;

/// <summary>
/// The directory's search projection in process memory, for the embedded default and tests: entries in a set ordered
/// as the search orders them (normalized name, kind, identifier), so a page walks from its cursor and stops after
/// one more match than it returns; one lock. Same answers as <c>PostgresDirectoryIndex</c> (the contract tests).
/// Nothing survives a restart (neither does the embedded default's grain state it is fed from).
/// </summary>
public sealed class InMemoryDirectoryIndex : IDirectoryIndex
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(DirectoryEntryKind, string), Entry> _entries = [];
    private readonly SortedSet<Entry> _ordered = new(EntryOrder.Instance);

    public Task UpsertAsync(IReadOnlyList<DirectoryRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        lock (_lock)
        {
            foreach (var record in records)
            {
                Remove(record.Kind, record.Identifier);
                var nameKey = record.NameKey;
                var entry = new Entry(record, nameKey, DirectoryNames.Words(nameKey));
                _entries[(record.Kind, record.Identifier)] = entry;
                _ordered.Add(entry);
            }
        }
        return Task.CompletedTask;
    }

    public Task RemoveAsync(DirectoryEntryKind kind, string identifier, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            Remove(kind, identifier);
        }
        return Task.CompletedTask;
    }

    public Task<DirectoryPage> SearchAsync(DirectoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_lock)
        {
            var items = new List<DirectoryListing>(query.First);
            var hasNext = false;
            foreach (var entry in From(query.After))
            {
                if (!Matches(entry, query))
                {
                    continue;
                }
                if (items.Count == query.First)
                {
                    hasNext = true;
                    break;
                }
                items.Add(Listing(entry, query.Now));
            }
            return Task.FromResult(new DirectoryPage(items, hasNext));
        }
    }

    private IEnumerable<Entry> From(DirectoryCursor? after)
    {
        if (after is null || _ordered.Count == 0)
        {
            return _ordered;
        }
        var lower = Entry.Probe(after);
        var order = EntryOrder.Instance;
        if (order.Compare(lower, _ordered.Max!) >= 0)
        {
            return [];
        }
        return _ordered.GetViewBetween(lower, _ordered.Max!).Where(e => order.Compare(e, lower) > 0);
    }

    private bool Matches(Entry entry, DirectoryQuery query)
    {
        var record = entry.Record;
        if ((query.Kind is { } kind && record.Kind != kind)
            || (query.Sector is { } sector && record.Sector != sector)
            || (query.Profession is { } profession && record.ProfessionCode != profession)
            || (record.Suspended && !query.IncludeSuspended))
        {
            return false;
        }
        foreach (var word in query.NameWords)
        {
            if (!entry.Words.Any(w => w.StartsWith(word, StringComparison.Ordinal)))
            {
                return false;
            }
        }
        if (query.Establishment is { } finess
            && !(record.Kind == DirectoryEntryKind.Professional && record.Memberships.Any(m => m.Finess == finess && m.IsActiveAt(query.Now))))
        {
            return false;
        }
        if (query.Departement is { } departement)
        {
            return record.Kind == DirectoryEntryKind.Establishment
                ? record.Departement == departement
                : Places(record, query.Now).Any(p => p.Departement == departement);
        }
        return true;
    }

    private DirectoryListing Listing(Entry entry, DateTimeOffset now)
    {
        var record = entry.Record;
        var places = Places(record, now).ToList();
        var (town, departement) = record.Kind == DirectoryEntryKind.Establishment
            ? (record.Town, record.Departement)
            : places.Count > 0 ? (places[0].Town, places[0].Departement) : (null, null);
        return new DirectoryListing(record.Kind, record.Identifier, record.DisplayName, record.ProfessionCode, record.Sector,
            record.Suspended, town, departement, places, new DirectoryCursor(entry.NameKey, record.Kind, record.Identifier).Encode());
    }

    /// <summary>A professional's active memberships as their establishments' entries read now, by FINESS.</summary>
    private IEnumerable<DirectoryPlace> Places(DirectoryRecord record, DateTimeOffset now) =>
        record.Kind != DirectoryEntryKind.Professional ? [] :
        record.Memberships
            .Where(m => m.IsActiveAt(now))
            .Select(m => _entries.GetValueOrDefault((DirectoryEntryKind.Establishment, m.Finess))?.Record)
            .OfType<DirectoryRecord>()
            .DistinctBy(e => e.Identifier)
            .OrderBy(e => e.Identifier, StringComparer.Ordinal)
            .Select(e => new DirectoryPlace(e.Identifier, e.DisplayName, e.Town, e.Departement));

    private void Remove(DirectoryEntryKind kind, string identifier)
    {
        if (_entries.Remove((kind, identifier), out var old))
        {
            _ordered.Remove(old);
        }
    }

    private sealed record Entry(DirectoryRecord Record, string NameKey, IReadOnlyList<string> Words)
    {
        public static Entry Probe(DirectoryCursor cursor) =>
            new(new DirectoryRecord(cursor.Kind, cursor.Identifier, "", null, default, false, null, null, []), cursor.NameKey, []);
    }

    /// <summary>The search's order: normalized name, kind, identifier, all ordinal (as PostgreSQL's <c>COLLATE "C"</c>).</summary>
    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(Entry? x, Entry? y)
        {
            var byName = string.CompareOrdinal(x!.NameKey, y!.NameKey);
            if (byName != 0)
            {
                return byName;
            }
            var byKind = x.Record.Kind.CompareTo(y.Record.Kind);
            return byKind != 0 ? byKind : string.CompareOrdinal(x.Record.Identifier, y.Record.Identifier);
        }
    }
}
