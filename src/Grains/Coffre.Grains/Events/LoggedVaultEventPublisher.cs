using System.Threading.Channels;
using Coffre.Application.Events;
using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Events;

/// <summary>
/// The silo's event transport. <see cref="PublishAsync"/> only queues the event (never fails, never waits on I/O); one
/// pump per silo takes what is queued (up to <see cref="VaultEventLogRules.MaxBatch"/>), appends it to the durable
/// <see cref="IVaultEventLog"/> in one transaction (positions), then sends each hub partition its share in one one-way
/// call. A failure is logged and counted (<see cref="VaultEventMetrics"/>), never thrown to the grain: an event not
/// logged is lost for catch-up too; an event logged but not forwarded is found by the cursor.
/// </summary>
public sealed partial class LoggedVaultEventPublisher : IVaultEventPublisher, IAsyncDisposable
{
    /// <summary>Events waiting for the pump beyond this are dropped (counted): a stuck database must not grow the silo's memory without bound.</summary>
    public const int MaxQueued = 100_000;

    private readonly Channel<VaultEvent> _queue = Channel.CreateBounded<VaultEvent>(new BoundedChannelOptions(MaxQueued)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    }, _ => VaultEventMetrics.Failed("queue-full", 1));

    private readonly IVaultEventLog _log;
    private readonly IGrainFactory _grains;
    private readonly ILogger<LoggedVaultEventPublisher> _logger;
    private readonly Task _pump;

    public LoggedVaultEventPublisher(IVaultEventLog log, IGrainFactory grains, ILogger<LoggedVaultEventPublisher> logger)
    {
        _log = log;
        _grains = grains;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    public Task PublishAsync(VaultEvent vaultEvent)
    {
        ArgumentNullException.ThrowIfNull(vaultEvent);
        VaultEventMetrics.Raised();
        _queue.Writer.TryWrite(vaultEvent);
        return Task.CompletedTask;
    }

    private async Task PumpAsync()
    {
        var batch = new List<VaultEvent>(VaultEventLogRules.MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < VaultEventLogRules.MaxBatch && _queue.Reader.TryRead(out var e))
            {
                batch.Add(e);
            }
            IReadOnlyList<long> positions;
            try
            {
                positions = await _log.AppendAsync(batch.Select(e => new LoggedVaultEvent(e.Id, e.VaultId, (int)e.Kind, e.SubjectId, e.At)).ToList()).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                VaultEventMetrics.Failed("log", batch.Count);
                NotLogged(_logger, batch.Count, ex.GetType().Name);
                continue;
            }
            foreach (var partition in batch.Select((e, i) => new VaultEventEntry(positions[i], e)).GroupBy(e => VaultEventPartitions.Of(e.Event.VaultId)))
            {
                var entries = partition.ToArray();
                try
                {
                    await _grains.GetGrain<IVaultEventHubGrain>(partition.Key).PublishAsync(entries).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    VaultEventMetrics.Failed("forward", entries.Length);
                    NotForwarded(_logger, entries.Length, partition.Key, ex.GetType().Name);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAny(_pump, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} vault events could not be logged ({Error}): lost for live subscribers and catch-up")]
    private static partial void NotLogged(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} vault events logged but not forwarded to hub {Partition} ({Error}): subscribers catch up by cursor")]
    private static partial void NotForwarded(ILogger logger, int count, int partition, string error);
}
