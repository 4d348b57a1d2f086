using System.Threading.Channels;
using Coffre.Grains.Events;

namespace Coffre.GraphQL.Subscriptions;

/// <summary>
/// A subscription's source stream driven by its vault's events (no polling): on subscribe it listens on the relay
/// FIRST, then runs <paramref name="run"/> with the queue of events received since, one at a time, in its own task,
/// so a catch-up read done by <paramref name="run"/> cannot miss what arrives meanwhile. A slow subscriber's queue
/// keeps the newest <see cref="QueueCapacity"/> events (older ones are found again through the log by position).
/// Ends on dispose; an exception of <paramref name="run"/> ends it with that error.
/// </summary>
public sealed class RelayedFeed<T>(VaultEventRelay relay, string vaultId,
    Func<ChannelReader<VaultEventEntry>, Action<T>, CancellationToken, Task> run) : IObservable<object?>
{
    public const int QueueCapacity = 256;

    public IDisposable Subscribe(IObserver<object?> observer)
    {
        var queue = Channel.CreateBounded<VaultEventEntry>(new BoundedChannelOptions(QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropOldest,
        });
        var stop = new CancellationTokenSource();
        var listening = relay.Listen(vaultId, entry => queue.Writer.TryWrite(entry));
        _ = Task.Run(async () =>
        {
            try
            {
                await run(queue.Reader, item => observer.OnNext(item), stop.Token);
                observer.OnCompleted();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                observer.OnError(e);
            }
            finally
            {
                listening.Dispose();
            }
        });
        return new Stopper(stop, listening);
    }

    private sealed class Stopper(CancellationTokenSource stop, IDisposable listening) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                listening.Dispose();
                stop.Cancel();
            }
        }
    }
}
