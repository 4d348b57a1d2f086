using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Coffre.Application.Mail;

/// <summary>
/// The router of campaign email batches: delivers the outbox's <see cref="EmailBatchFiles.OutboxKind"/> messages (one per
/// issuance chunk, <see cref="IRolloutStore.CommitIssuanceAsync"/>) by sending the lines of the batch's file through an
/// inner per-message email channel (<see cref="EmailDeliveryChannel"/> over SMTP, the file sink embedded) and recording
/// each line's outcome. The dispatcher routes by (channel, kind), so the inner channel keeps every other email kind.
/// </summary>
/// <remarks>
/// <para>For a claimed batch message: the <c>email_batch</c> row (<see cref="IRolloutStore.GetEmailBatchAsync"/>), then
/// the whole file from the content store, checked against the row's SHA-256 before any line is read (a file that is not
/// the committed one throws: the dispatcher retries, then fails the batch; a tampered file is never sent) and kept,
/// verified, for the next calls on the same batch until it completes. Lines before
/// <c>sent_through</c> are skipped; the rest go page by page (<see cref="EmailBatchOptions.PageSize"/>). A line is
/// settled undeliverable without being sent when its code is no longer the person's valid email code (revoked, used,
/// expired, re-issued — also by email in the same campaign: the hashes differ), since a line cannot be deleted from the
/// file as an outbox row was. Outcomes of the inner channel: none = sent; <see cref="UndeliverableException"/> with
/// <see cref="DeliveryOutcome.Bounced"/> = bounced (the inner channel recorded the bounce under the line's id and revoked
/// the code: the bounce → post round is unchanged); another <see cref="UndeliverableException"/> = undeliverable; a
/// <see cref="DeliveryDeferredException"/> (cut by the delivery timeout) stops the page at that line; anything else is
/// transient = requeued: an ordinary <c>activation-code</c> outbox message with the line's id and payload, due now, so
/// the dispatcher's retries and backoff take it from there. Each page ends with ONE store call
/// (<see cref="IRolloutStore.AdvanceEmailBatchAsync"/>): requeued messages and the advanced <c>sent_through</c> with the
/// counts, in one transaction, guarded by the old <c>sent_through</c> so that two routers never count a line twice.</para>
/// <para>A call stops after <see cref="EmailBatchOptions.TimeBudget"/> (below the dispatcher's delivery timeout) or when
/// its token is cancelled and answers <see cref="DeliveryDeferredException"/> (now) for the batch message: due again at
/// once, not an attempt; the next call resumes at <c>sent_through</c>. When the file is done, <c>completed_at</c> is set
/// and the batch message is delivered.</para>
/// <para>At least once: a crash (or a lost store call) between handing a page to the inner channel and advancing
/// <c>sent_through</c> resends at most that page, and so do the lines after a cut that the inner channel had already
/// handed over (parallel connections), under the same message ids (the same Message-ID headers, the same
/// bounce keys: a replayed bounce records and revokes nothing more). Logs carry campaign ids, batch numbers and counts
/// only.</para>
/// </remarks>
public sealed partial class EmailBatchChannel : IDeliveryChannel
{
    private readonly IRolloutStore _store;
    private readonly IContentStore _content;
    private readonly IDeliveryChannel _inner;
    private readonly EmailBatchOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DeliveryCodeCipher? _cipher;

    private readonly InteractiveLoad? _load;
    private readonly Lock _pace = new();
    private DateTimeOffset _nextPageAt = DateTimeOffset.MinValue;
    private KeptFile? _kept;

    public EmailBatchChannel(IRolloutStore store, IContentStore content, IDeliveryChannel inner, EmailBatchOptions? options = null,
        ILogger<EmailBatchChannel>? logger = null, TimeProvider? time = null, InteractiveLoad? load = null, DeliveryCodeCipher? cipher = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(inner);
        if (inner.Channel != OutboxChannel.Email)
        {
            throw new ArgumentException("the inner channel of the email batch router must be an email channel", nameof(inner));
        }
        _options = options ?? new EmailBatchOptions();
        if (_options.PageSize < 1 || _options.TimeBudget <= TimeSpan.Zero || _options.EmailsPerSecondWhileBusy < 0 || _options.BusyRequestsPerSecond < 1)
        {
            throw new ArgumentException("the email batch page size, time budget and busy threshold must be positive, the paced rate positive or zero", nameof(options));
        }
        _store = store;
        _content = content;
        _inner = inner;
        _logger = logger ?? NullLogger<EmailBatchChannel>.Instance;
        _time = time ?? TimeProvider.System;
        _load = load;
        _cipher = cipher;
    }

    /// <summary>
    /// The router around <paramref name="inner"/> as a composition registers it: the rollout store and content store from
    /// <paramref name="services"/>, the bound <see cref="EmailBatchOptions"/> with a time budget of two thirds of the
    /// dispatcher's delivery timeout, the process's <see cref="InteractiveLoad"/> when the host counts it, and its
    /// <see cref="DeliveryCodeCipher"/> (the delivery keys a version 3 batch file is read with).
    /// </summary>
    public static EmailBatchChannel Around(IServiceProvider services, IDeliveryChannel inner)
    {
        ArgumentNullException.ThrowIfNull(services);
        var timeout = services.GetService<IOptions<OutboxDispatcherOptions>>()?.Value.DeliveryTimeout ?? new OutboxDispatcherOptions().DeliveryTimeout;
        var bound = services.GetService<IOptions<EmailBatchOptions>>()?.Value ?? new EmailBatchOptions();
        return new EmailBatchChannel(
            services.GetRequiredService<IRolloutStore>(),
            services.GetRequiredService<IContentStore>(),
            inner,
            new EmailBatchOptions
            {
                PageSize = bound.PageSize,
                EmailsPerSecondWhileBusy = bound.EmailsPerSecondWhileBusy,
                BusyRequestsPerSecond = bound.BusyRequestsPerSecond,
                TimeBudget = timeout * 2 / 3,
            },
            services.GetService<ILogger<EmailBatchChannel>>(),
            services.GetService<TimeProvider>(),
            services.GetService<InteractiveLoad>(),
            services.GetService<DeliveryCodeCipher>());
    }

    public OutboxChannel Channel => OutboxChannel.Email;

    public IReadOnlyCollection<string>? Kinds { get; } = [EmailBatchFiles.OutboxKind];

    public Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default) => this.DeliverOneAsync(message, cancellationToken);

    /// <summary>The claimed batch messages one after another, within one time budget; those after the first that stops are deferred unread.</summary>
    public async Task<IReadOnlyDictionary<Guid, Exception>> DeliverBatchAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var stopAt = _time.GetUtcNow() + _options.TimeBudget;
        var failed = new Dictionary<Guid, Exception>();
        // Once a batch stops before its end (budget spent, cut, cancelled), the batches after it are deferred unread.
        var stopped = false;
        foreach (var message in messages)
        {
            if (message.Channel != OutboxChannel.Email)
            {
                throw new ArgumentException($"a {message.Channel} message was given to the email batch router", nameof(messages));
            }
            if (message.Kind != EmailBatchFiles.OutboxKind || EmailBatchFiles.ParseMessagePayload(message.PayloadJson) is not { } reference)
            {
                failed[message.Id] = new UndeliverableException(DeliveryOutcome.Undeliverable, $"the email batch router sends no '{message.Kind}' messages or cannot read this one");
                continue;
            }
            if (stopped)
            {
                failed[message.Id] = new DeliveryDeferredException(_time.GetUtcNow());
                continue;
            }
            try
            {
                if (!await RouteAsync(reference.CampaignId, reference.BatchNo, stopAt, cancellationToken).ConfigureAwait(false))
                {
                    failed[message.Id] = new DeliveryDeferredException(_time.GetUtcNow());
                    stopped = true;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                failed[message.Id] = new DeliveryDeferredException(_time.GetUtcNow());
                stopped = true;
            }
            catch (Exception e)
            {
                LogBatchFailed(reference.CampaignId, reference.BatchNo, e.GetType().Name);
                failed[message.Id] = e;
            }
        }
        return failed;
    }

    /// <summary>Sends the batch from <c>sent_through</c> on; true when the whole file is settled, false when stopped before.</summary>
    private async Task<bool> RouteAsync(string campaignId, int batchNo, DateTimeOffset stopAt, CancellationToken cancellationToken)
    {
        var batch = await _store.GetEmailBatchAsync(campaignId, batchNo, cancellationToken).ConfigureAwait(false)
            ?? throw new UndeliverableException(DeliveryOutcome.Undeliverable, $"email batch {batchNo} of campaign '{campaignId}' is not committed");
        if (batch.IsComplete)
        {
            return true;
        }
        var position = batch.SentThrough;
        // Before the file is read: a call whose budget the batches before it used defers this one without reading its
        // file (a claim hands the router every due batch; reading each one's file only to defer it cost the content
        // store and the silo's SHA-256 a whole file per batch and call).
        if (Stopped(stopAt, cancellationToken))
        {
            LogPaused(campaignId, batchNo, position, batch.Emails);
            return false;
        }
        var file = await FileAsync(batch, cancellationToken).ConfigureAwait(false);
        if (file.Count != batch.Emails)
        {
            throw new RolloutException($"email batch {batchNo} of campaign '{campaignId}' holds {file.Count} emails, {batch.Emails} were committed");
        }
        do
        {
            var end = Math.Min(position + _options.PageSize, batch.Emails);
            if (!await WaitForPageSlotAsync(end - position, stopAt, cancellationToken).ConfigureAwait(false))
            {
                LogPaused(campaignId, batchNo, position, batch.Emails);
                return false;
            }
            var page = new List<EmailBatchLine>(end - position);
            for (var i = position; i < end; i++)
            {
                page.Add(file.Line(i));
            }
            var started = Stopwatch.GetTimestamp();
            var (settled, cut) = await SendPageAsync(batch, position, page, cancellationToken).ConfigureAwait(false);
            var sentAt = Stopwatch.GetTimestamp();
            if (!await _store.AdvanceEmailBatchAsync(settled, CancellationToken.None).ConfigureAwait(false))
            {
                // Another router moved it meanwhile: come back and resume where the row says.
                return false;
            }
            LogPage(page.Count, Stopwatch.GetElapsedTime(started, sentAt).TotalMilliseconds, Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds);
            position = settled.To;
            if (cut)
            {
                return false;
            }
            if (position < batch.Emails && Stopped(stopAt, cancellationToken))
            {
                LogPaused(campaignId, batchNo, position, batch.Emails);
                return false;
            }
        }
        while (position < batch.Emails);
        if (Volatile.Read(ref _kept) is { } done && done.Key == KeptFile.KeyOf(batch))
        {
            Interlocked.CompareExchange(ref _kept, null, done);
        }
        LogCompleted(campaignId, batchNo, batch.Emails);
        return true;
    }

    private bool Stopped(DateTimeOffset stopAt, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested || _time.GetUtcNow() >= stopAt;

    /// <summary>
    /// The batch's file, read and verified (<see cref="EmailBatchFiles.ReadVerifiedAsync"/>) once while this router comes
    /// back to the same batch call after call: a paced router sends a 250 000-email file over many calls, and reading its
    /// 19 MB (version 2; 11 MB as version 3, 30 MB as version 1 text) from the content store again at each one cost the
    /// content store a third of a core at 10 M. One file is kept, known by its content key and committed SHA-256, and let
    /// go when its batch completes; a version 3 file is opened once, with the delivery keys (<see cref="EmailBatchFiles.ParsedFile"/>),
    /// and kept with each code sealed alone again, none in clear.
    /// </summary>
    private async Task<EmailBatchFiles.ParsedFile> FileAsync(EmailBatch batch, CancellationToken cancellationToken)
    {
        var key = KeptFile.KeyOf(batch);
        if (Volatile.Read(ref _kept) is { } kept && kept.Key == key)
        {
            return kept.File;
        }
        var file = new EmailBatchFiles.ParsedFile(await EmailBatchFiles.ReadVerifiedAsync(_content, batch, cancellationToken).ConfigureAwait(false), _cipher);
        Volatile.Write(ref _kept, new KeptFile(key, file));
        return file;
    }

    private sealed record KeptFile(string Key, EmailBatchFiles.ParsedFile File)
    {
        public static string KeyOf(EmailBatch batch) => batch.ContentKey + "\n" + batch.Sha256;
    }

    /// <summary>
    /// While the process serves at least <see cref="EmailBatchOptions.BusyRequestsPerSecond"/> interactive requests a
    /// second (in the last whole second, or already in the current one: <see cref="InteractiveLoad.IsBusy"/>), pages
    /// leave at <see cref="EmailBatchOptions.EmailsPerSecondWhileBusy"/> emails a second across every call of this
    /// router (a page waits for its slot); otherwise, or without a load counter or with a rate of 0, at once.
    /// False when the slot comes after <paramref name="stopAt"/> (the call answers "deferred" and the next one resumes).
    /// </summary>
    private async Task<bool> WaitForPageSlotAsync(int lines, DateTimeOffset stopAt, CancellationToken cancellationToken)
    {
        if (_load is null || _options.EmailsPerSecondWhileBusy == 0 || !_load.IsBusy(_options.BusyRequestsPerSecond))
        {
            return true;
        }
        var now = _time.GetUtcNow();
        TimeSpan wait;
        lock (_pace)
        {
            var start = _nextPageAt > now ? _nextPageAt : now;
            if (start >= stopAt)
            {
                return false;
            }
            _nextPageAt = start + TimeSpan.FromSeconds(lines / (double)_options.EmailsPerSecondWhileBusy);
            wait = start - now;
        }
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>One page through the inner channel: the lines settled from the first on (all of them unless cut), and whether it was cut.</summary>
    private async Task<(EmailBatchAdvance Settled, bool Cut)> SendPageAsync(EmailBatch batch, int from, List<EmailBatchLine> page, CancellationToken cancellationToken)
    {
        var recipients = await _store.FindEmailRecipientsAsync([.. page.Select(l => l.VaultId).Distinct(StringComparer.Ordinal)], cancellationToken)
            .ConfigureAwait(false);
        var stale = new HashSet<Guid>();
        var outgoing = new List<OutboxMessage>(page.Count);
        foreach (var line in page)
        {
            if (recipients.GetValueOrDefault(line.VaultId)?.ValidEmailCodeHash is not { } valid || !line.Carries(valid))
            {
                stale.Add(line.Id);
                continue;
            }
            outgoing.Add(new OutboxMessage(line.Id, OutboxChannel.Email, line.VaultId, DeliveryCodeCipher.OutboxKind, line.PayloadJson, batch.CreatedAt));
        }
        IReadOnlyDictionary<Guid, Exception> failures = outgoing.Count == 0
            ? new Dictionary<Guid, Exception>()
            : await _inner.DeliverBatchAsync(outgoing, cancellationToken).ConfigureAwait(false);
        int sent = 0, bounced = 0, undeliverable = 0, settledLines = 0;
        var requeued = new List<OutboxMessage>();
        var cut = false;
        var byId = outgoing.ToDictionary(m => m.Id);
        foreach (var line in page)
        {
            if (stale.Contains(line.Id))
            {
                undeliverable++;
            }
            else
            {
                switch (failures.GetValueOrDefault(line.Id))
                {
                    case null:
                        sent++;
                        break;
                    case UndeliverableException { Outcome: DeliveryOutcome.Bounced }:
                        bounced++;
                        break;
                    case UndeliverableException:
                        undeliverable++;
                        break;
                    case DeliveryDeferredException:
                        cut = true;
                        break;
                    default:
                        requeued.Add(byId[line.Id]);
                        break;
                }
            }
            if (cut)
            {
                break;
            }
            settledLines++;
        }
        var to = from + settledLines;
        var completedAt = to == batch.Emails ? _time.GetUtcNow() : (DateTimeOffset?)null;
        return (new EmailBatchAdvance(batch.CampaignId, batch.BatchNo, from, to, sent, bounced, undeliverable, requeued, completedAt), cut);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "email batch {BatchNo} of campaign {CampaignId}: all {Emails} emails settled")]
    private partial void LogCompleted(string campaignId, int batchNo, int emails);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "email batch {BatchNo} of campaign {CampaignId} paused at line {SentThrough} of {Emails} (time budget)")]
    private partial void LogPaused(string campaignId, int batchNo, int sentThrough, int emails);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "email batch {BatchNo} of campaign {CampaignId} could not be routed: {ErrorType}")]
    private partial void LogBatchFailed(string campaignId, int batchNo, string errorType);

    /// <summary>Each page's timings, for setting the router's work beside the silo's other latencies (counts and durations only).</summary>
    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "email page of {Lines} lines: read and sent in {SendMs} ms, advanced in {AdvanceMs} ms")]
    private partial void LogPage(int lines, double sendMs, double advanceMs);
}

/// <summary>How the email batch router (<see cref="EmailBatchChannel"/>) paces itself (section <see cref="Section"/>).</summary>
public sealed class EmailBatchOptions
{
    public const string Section = "Coffre:EmailBatches";

    /// <summary>Lines handed to the inner email channel at once; <c>sent_through</c> moves once per page.</summary>
    [Range(1, 10_000)]
    public int PageSize { get; set; } = 200;

    /// <summary>
    /// Campaign emails a second this silo's router sends at most while the silo is busy with interactive requests (people
    /// activating, professionals reading): about an eighth of a core here (≈ 125 µs of silo and PostgreSQL CPU an email),
    /// so a national campaign's delivery leaves the machine to them; when they stop, the router goes at full speed again.
    /// 0: never paced.
    /// </summary>
    [Range(0, 1_000_000)]
    public int EmailsPerSecondWhileBusy { get; set; } = 1_000;

    /// <summary>
    /// Interactive requests and grain calls in a second from which the silo counts as busy: in the last whole second, or
    /// already in the current one (<see cref="InteractiveLoad.IsBusy"/>).
    /// </summary>
    [Range(1, 1_000_000)]
    public int BusyRequestsPerSecond { get; set; } = 20;

    /// <summary>How long one delivery call may route before it answers "deferred" (below the dispatcher's delivery timeout; the composition sets it to two thirds of it).</summary>
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromSeconds(20);
}
