using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Coffre.Application.Outbox;

public sealed class OutboxDispatcherOptions
{
    public const string Section = "Coffre:Outbox";

    /// <summary>Most messages claimed at once.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>How long a claim keeps other dispatchers away; must exceed <see cref="DeliveryTimeout"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Wait before claiming again when nothing was due.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest one channel's batch may take before its messages count as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Channels delivering at once (each hands its share of a claim over as one batch, parallel inside as its transport allows).</summary>
    [Range(1, 1024)]
    public int MaxParallelDeliveries { get; set; } = 8;

    /// <summary>Retry delay after the first failure; doubled at each further failure up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Failed attempts after which a message is given up (settled as failed for good, state FAILED).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 12;
}

/// <summary>
/// Delivers the outbox: claims due messages in batches, hands each channel its share as one batch
/// (<see cref="IDeliveryChannel.DeliverBatchAsync"/>: the file channel appends and flushes a batch once, not once per
/// message), marks the delivered ones in one statement, and records each failure so it is retried after an
/// exponentially growing delay (with ±20 % jitter). A failure given as <see cref="UndeliverableException"/> (a bounce,
/// nobody to send to any more) is settled with its outcome instead, never retried.
/// Delivery is at least once. Logs carry message ids, channels, kinds and counts only: never recipients, payloads
/// or the text of a delivery error (that goes to the outbox row, not to the log).
/// </summary>
public sealed partial class OutboxDispatcher : BackgroundService
{
    private readonly IOutbox _outbox;
    private readonly Dictionary<OutboxChannel, IDeliveryChannel> _channels;
    private readonly Dictionary<(OutboxChannel, string), IDeliveryChannel> _byKind;
    private readonly OutboxDispatcherOptions _options;
    private readonly ILogger<OutboxDispatcher> _logger;
    private readonly TimeProvider _time;

    public OutboxDispatcher(IOutbox outbox, IEnumerable<IDeliveryChannel> channels, IOptions<OutboxDispatcherOptions> options, ILogger<OutboxDispatcher> logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(channels);
        _outbox = outbox;
        _channels = [];
        _byKind = [];
        foreach (var channel in channels)
        {
            if (channel.Kinds is { } kinds)
            {
                foreach (var kind in kinds)
                {
                    if (!_byKind.TryAdd((channel.Channel, kind), channel))
                    {
                        throw new ArgumentException($"two delivery channels are registered for {channel.Channel} '{kind}' messages", nameof(channels));
                    }
                }
            }
            else if (!_channels.TryAdd(channel.Channel, channel))
            {
                throw new ArgumentException($"two delivery channels are registered for {channel.Channel}", nameof(channels));
            }
        }
        _options = options.Value;
        if (_options.BatchSize < 1 || _options.MaxParallelDeliveries < 1 || _options.IdlePollInterval <= TimeSpan.Zero
            || _options.DeliveryTimeout <= TimeSpan.Zero || _options.Lease <= _options.DeliveryTimeout
            || _options.InitialRetryDelay <= TimeSpan.Zero || _options.MaxRetryDelay < _options.InitialRetryDelay || _options.MaxAttempts < 1)
        {
            throw new ArgumentException("outbox dispatcher options out of range (lease must exceed the delivery timeout)", nameof(options));
        }
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The retry delay after a message's <paramref name="attempts"/>-th failure (1 = first), before jitter.</summary>
    public static TimeSpan RetryDelay(int attempts, TimeSpan initial, TimeSpan max)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var ticks = Math.Min(max.Ticks, initial.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)ticks);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_channels.Count);
        var consecutiveErrors = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<OutboxMessage> claimed;
            try
            {
                claimed = await _outbox.ClaimAsync(_options.BatchSize, _options.Lease, stoppingToken).ConfigureAwait(false);
                consecutiveErrors = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                consecutiveErrors++;
                LogClaimFailed(e.GetType().Name, consecutiveErrors);
                await DelayAsync(RetryDelay(consecutiveErrors, _options.IdlePollInterval, TimeSpan.FromSeconds(30)), stoppingToken).ConfigureAwait(false);
                continue;
            }
            if (claimed.Count == 0)
            {
                await DelayAsync(_options.IdlePollInterval, stoppingToken).ConfigureAwait(false);
                continue;
            }
            await DispatchAsync(claimed, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Hands each channel its share of the claim as one batch (channels in parallel, at most
    /// <see cref="OutboxDispatcherOptions.MaxParallelDeliveries"/>), then records the delivered ones in one statement.
    /// </summary>
    private async Task DispatchAsync(IReadOnlyList<OutboxMessage> claimed, CancellationToken stoppingToken)
    {
        var delivered = new List<Guid>(claimed.Count);
        var byChannel = claimed.GroupBy(m => (m.Channel, Handler: _byKind.GetValueOrDefault((m.Channel, m.Kind)) ?? _channels.GetValueOrDefault(m.Channel))).ToList();
        await Parallel.ForEachAsync(byChannel, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelDeliveries }, async (batch, _) =>
        {
            var ok = await DeliverAsync(batch.Key.Channel, batch.Key.Handler, batch.ToList(), stoppingToken).ConfigureAwait(false);
            lock (delivered)
            {
                delivered.AddRange(ok);
            }
        }).ConfigureAwait(false);
        if (delivered.Count == 0)
        {
            return;
        }
        try
        {
            // Recorded even while stopping: these messages are out.
            await _outbox.MarkDeliveredAsync(delivered, CancellationToken.None).ConfigureAwait(false);
            LogDelivered(delivered.Count);
        }
        catch (Exception e)
        {
            // They will be claimed again after the lease and delivered a second time (at least once).
            LogMarkFailed(e.GetType().Name, delivered.Count);
        }
    }

    /// <summary>The ids delivered; each failure is recorded with its retry delay (none while stopping: the lease brings them back).</summary>
    private async Task<IReadOnlyList<Guid>> DeliverAsync(OutboxChannel channelKind, IDeliveryChannel? channel, IReadOnlyList<OutboxMessage> batch, CancellationToken stoppingToken)
    {
        IReadOnlyDictionary<Guid, string> failed;
        var settled = new Dictionary<Guid, UndeliverableException>();
        var deferred = new Dictionary<Guid, DateTimeOffset>();
        if (channel is null)
        {
            LogNoChannel(batch[0].Id, channelKind);
            failed = batch.ToDictionary(m => m.Id, _ => $"no delivery channel is registered for {channelKind}");
        }
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.DeliveryTimeout);
            try
            {
                var failures = await channel.DeliverBatchAsync(batch, timeout.Token).ConfigureAwait(false);
                foreach (var (id, error) in failures)
                {
                    if (error is UndeliverableException undeliverable)
                    {
                        settled[id] = undeliverable;
                    }
                    else if (error is DeliveryDeferredException deferral)
                    {
                        deferred[id] = deferral.Until;
                    }
                }
                failed = failures.Where(f => !settled.ContainsKey(f.Key) && !deferred.ContainsKey(f.Key)).ToDictionary(f => f.Key, f => $"{f.Value.GetType().Name}: {f.Value.Message}");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: leave them leased; they are claimed again when the lease ends.
                return [];
            }
            catch (Exception e)
            {
                var error = timeout.IsCancellationRequested ? $"delivery timed out after {_options.DeliveryTimeout}" : $"{e.GetType().Name}: {e.Message}";
                failed = batch.ToDictionary(m => m.Id, _ => error);
            }
        }
        foreach (var message in batch.Where(m => settled.ContainsKey(m.Id)))
        {
            var outcome = settled[message.Id];
            LogSettled(message.Id, message.Channel, message.Kind, outcome.Outcome);
            try
            {
                await _outbox.MarkUndeliverableAsync(message.Id, outcome.Outcome, outcome.Message, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Claimed again after the lease: the channel then finds the same outcome (it is recorded before it answers).
                LogMarkFailed(e.GetType().Name, 1);
            }
        }
        foreach (var (id, until) in deferred)
        {
            try
            {
                // Not an attempt: the message waits for the end of the person's quiet hours.
                await _outbox.DeferAsync(id, until, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogMarkFailed(e.GetType().Name, 1);
            }
        }
        foreach (var message in batch.Where(m => failed.ContainsKey(m.Id)))
        {
            LogDeliveryFailed(message.Id, message.Channel, message.Kind, message.Attempts + 1, failed[message.Id].Split(':')[0]);
            if (message.Attempts + 1 >= _options.MaxAttempts)
            {
                LogSettled(message.Id, message.Channel, message.Kind, DeliveryOutcome.Failed);
                try
                {
                    await _outbox.MarkUndeliverableAsync(message.Id, DeliveryOutcome.Failed,
                        $"failed for good after {message.Attempts + 1} attempts; last: {failed[message.Id]}", CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    LogMarkFailed(e.GetType().Name, 1);
                }
                continue;
            }
            var delay = Jitter(RetryDelay(message.Attempts + 1, _options.InitialRetryDelay, _options.MaxRetryDelay));
            try
            {
                await _outbox.MarkFailedAsync(message.Id, failed[message.Id], delay, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogMarkFailed(e.GetType().Name, 1);
            }
        }
        return [.. batch.Where(m => !failed.ContainsKey(m.Id) && !settled.ContainsKey(m.Id) && !deferred.ContainsKey(m.Id)).Select(m => m.Id)];
    }

    private static TimeSpan Jitter(TimeSpan delay) =>
        TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + 0.4 * Random.Shared.NextDouble())));

    private async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "outbox dispatcher started with {ChannelCount} delivery channels")]
    private partial void LogStarted(int channelCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "outbox delivered {Count} messages")]
    private partial void LogDelivered(int count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "outbox message {MessageId} ({Channel}, {Kind}) failed delivery attempt {Attempt}: {ErrorType}")]
    private partial void LogDeliveryFailed(Guid messageId, OutboxChannel channel, string kind, int attempt, string errorType);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "outbox claim failed ({ErrorType}), {Failures} in a row")]
    private partial void LogClaimFailed(string errorType, int failures);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "outbox could not record the outcome of {Count} messages ({ErrorType}); they will be retried after their lease")]
    private partial void LogMarkFailed(string errorType, int count);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "outbox message {MessageId} ({Channel}, {Kind}) settled without delivery: {Outcome}")]
    private partial void LogSettled(Guid messageId, OutboxChannel channel, string kind, DeliveryOutcome outcome);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "outbox message {MessageId}: no delivery channel is registered for {Channel}")]
    private partial void LogNoChannel(Guid messageId, OutboxChannel channel);
}
