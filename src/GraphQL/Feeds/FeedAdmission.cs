using Microsoft.Extensions.Options;

namespace Coffre.GraphQL.Feeds;

/// <summary>
/// The bound on feed work in flight in this process: a request is admitted with its manifest's documents and declared
/// bytes, or refused at once (RETRY_LATER) when they would pass <see cref="FeedOptions.MaxInFlightItems"/> or
/// <see cref="FeedOptions.MaxInFlightBytes"/> — nothing waits in a queue. A request is always admitted when nothing is
/// in flight, so one larger than the bounds still goes through alone. Thread-safe.
/// </summary>
public sealed class FeedAdmission(IOptions<FeedOptions> options)
{
    private readonly Lock _gate = new();
    private int _items;
    private long _bytes;

    /// <summary>Documents in flight now.</summary>
    public int InFlightItems { get { lock (_gate) { return _items; } } }

    /// <summary>Declared bytes in flight now.</summary>
    public long InFlightBytes { get { lock (_gate) { return _bytes; } } }

    /// <summary>A lease on <paramref name="items"/> documents and <paramref name="bytes"/> bytes (dispose it when done), or null when full.</summary>
    public IDisposable? TryEnter(int items, long bytes)
    {
        var bounds = options.Value;
        lock (_gate)
        {
            var idle = _items == 0 && _bytes == 0;
            if (!idle && (_items + items > bounds.MaxInFlightItems || _bytes + bytes > bounds.MaxInFlightBytes))
            {
                return null;
            }
            _items += items;
            _bytes += bytes;
        }
        return new Lease(this, items, bytes);
    }

    private void Leave(int items, long bytes)
    {
        lock (_gate)
        {
            _items -= items;
            _bytes -= bytes;
        }
    }

    private sealed class Lease(FeedAdmission admission, int items, long bytes) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                admission.Leave(items, bytes);
            }
        }
    }
}
