using System.Collections.Concurrent;
using GraphQLParser.AST;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// Parsed documents keyed by their exact query text, so a client repeating the same query (the usual case: front
/// ends send a fixed set of texts with variables) is parsed once and validated once. Bounded by
/// <see cref="GraphQLOptions.DocumentCacheSize"/> entries: when full it is emptied and fills again, so texts sent to
/// fill it cost memory only up to the bound. A document is marked validated only after a request that passed
/// validation; later requests with that text skip the document-only validation rules (variables are still coerced
/// and checked, and the document budget is still measured for each request's variables).
/// </summary>
public sealed class DocumentCache(int capacity)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public sealed class Entry(GraphQLDocument document)
    {
        public GraphQLDocument Document { get; } = document;

        /// <summary>A request with this text passed validation (set once, read by every later request).</summary>
        public bool Validated { get => Volatile.Read(ref _validated); set => Volatile.Write(ref _validated, value); }

        private bool _validated;
    }

    public int Count => _entries.Count;

    /// <summary>The cached entry for <paramref name="query"/>, or a new one parsed now (a syntax error throws and caches nothing).</summary>
    public Entry GetOrParse(string query)
    {
        if (capacity > 0 && _entries.TryGetValue(query, out var cached))
        {
            return cached;
        }
        var entry = new Entry(GraphQLParser.Parser.Parse(query));
        if (capacity > 0)
        {
            if (_entries.Count >= capacity)
            {
                _entries.Clear();
            }
            entry = _entries.GetOrAdd(query, entry);
        }
        return entry;
    }
}
