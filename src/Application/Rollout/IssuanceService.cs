using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using Coffre.Domain.Content;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Rollout;

public sealed class IssuanceOptions
{
    /// <summary>People per transaction (and at most letters per print batch).</summary>
    public int ChunkSize { get; set; } = 250_000;

    /// <summary>Committers: each writes a chunk's print batch then commits it, while the producer builds the next.</summary>
    public int Writers { get; set; } = 2;

    /// <summary>Built chunks waiting for a committer. Memory ≈ (Writers + QueuedChunks + 1) × chunk, flat in the population.</summary>
    public int QueuedChunks { get; set; } = 1;

    /// <summary>The code key id to hash new codes under; null = the hasher's current key.</summary>
    public short? CodeKeyId { get; set; }

    /// <summary>Passes over the eligible people when chunks conflict (someone got a valid code meanwhile).</summary>
    public int MaxPasses { get; set; } = 3;

    /// <summary>
    /// Count the eligible people exactly before issuing (one extra read of the segment: a tenth to a quarter of the run at
    /// 1 M people, benchmarks/results/issue10-count-first). Without it the progress total is estimated from how far
    /// through the registry the read is (<see cref="ReadEstimate"/>).
    /// </summary>
    public bool CountFirst { get; set; }

    /// <summary>How far before the run's start oppositions are looked at when revoking codes that raced with them.</summary>
    public TimeSpan OppositionRaceMargin { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Progress after each committed chunk. <see cref="Total"/> is the exact count with <see cref="IssuanceOptions.CountFirst"/>,
/// else an estimate (<see cref="TotalEstimated"/>, <see cref="ReadEstimate"/>) once the first pass has read a chunk.
/// </summary>
public sealed record IssuanceProgress(long Issued, long Emails, long Letters, int Batches, long? Total, double CodesPerSecond, TimeSpan Elapsed, TimeSpan? Eta,
    bool TotalEstimated = false);

public sealed record IssuanceResult(
    string CampaignId,
    long Issued,
    long Emails,
    long Letters,
    int Batches,
    int Passes,
    int ConflictedChunks,
    long ExpiredSwept,
    int RevokedAfterOpposition,
    TimeSpan Elapsed,
    long MinorsUnreachable = 0)
{
    public double CodesPerSecond => Issued / Math.Max(Elapsed.TotalSeconds, 1e-3);
}

/// <summary>
/// A bounce → post round: <see cref="Posted"/> people got a new code by letter in print batches <see cref="BatchNos"/>,
/// <see cref="Unreachable"/> have no postal address either, <see cref="Superseded"/> needed nothing any more.
/// </summary>
public sealed record BounceRoundResult(string CampaignId, int Posted, int Unreachable, int Superseded, IReadOnlyList<int> BatchNos);

/// <summary>A re-issue: codes revoked, and the new code's channel and batch (its print batch by post, its email batch by email) when one was issued.</summary>
public sealed record ReissueResult(int Revoked, bool Issued, CodeChannel? Channel, int? BatchNo)
{
    /// <summary>The print batch carrying the letter (post only): what the CLI and the API show as the re-issue's batch.</summary>
    public int? PrintBatchNo => Channel == CodeChannel.Post ? BatchNo : null;
}

/// <summary>
/// Issues a campaign's codes. The producer streams the eligible people (one read, one snapshot), draws each code from
/// the CSPRNG (<see cref="ActivationCodes.Generate(Span{char})"/>) and fills a chunk (whose committer hashes all its
/// codes at once, <see cref="IssuanceChunk.HashCodes"/>): for email people a line of the chunk's email batch file whose payload holds the code encrypted for the email
/// channel (<see cref="DeliveryCodeCipher"/>, <see cref="EmailBatchFiles"/>), for the others a line of the chunk's print
/// batch (the only place a code is in clear). A person under 18 at issuance gets their code at their legal representative's email or address
/// (<see cref="EligiblePerson.ForRepresentatives"/>; the store reads it in the same statement), in a letter or email
/// addressed to the child's representatives; a minor none of whose representatives can be written to gets no code and
/// is counted (<see cref="IssuanceResult.MinorsUnreachable"/>). Bounded channels hand chunks to the committers, which write the print batch CSV and its manifest
/// and the email batch file to the content store, then store codes + print batch row + email batch row (and the one
/// outbox message that hands the email batch to its router, <see cref="Mail.EmailBatchChannel"/>) in one transaction: a
/// code exists only with its delivery record.
/// </summary>
/// <remarks>
/// <para>
/// Idempotent and crash-safe: a rerun (after a crash anywhere, or a cancellation) streams only people still without a
/// valid code, so nobody ever holds two (the partial unique index would refuse the chunk anyway; such a chunk is skipped
/// and its people picked up by another pass). Batch numbers come from the campaign's counter (one per chunk, taken at its
/// first person) and are never reused: a file written by a chunk that then failed is an orphan, never overwritten and
/// never referenced by <c>print_batch</c> or <c>email_batch</c>; exports and the router see committed batches only. Expired codes are swept first, so their people get new ones.
/// </para>
/// <para>
/// An opposition recorded while a chunk that read the person is in flight can leave that code valid; the run ends by
/// revoking the valid codes of everyone who opposed since it started (activation also refuses anyone not registered).
/// Letters already printed cannot be recalled.
/// </para>
/// </remarks>
public sealed class IssuanceService
{
    private readonly IRolloutStore _store;
    private readonly IContentStore _content;
    private readonly CodeHasher _codeHasher;
    private readonly DeliveryCodeCipher _cipher;
    private readonly IssuanceOptions _options;
    private readonly TimeProvider _time;
    private readonly short _keyId;

    public IssuanceService(IRolloutStore store, IContentStore content, CodeHasher codeHasher, DeliveryCodeCipher cipher,
        IssuanceOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(codeHasher);
        ArgumentNullException.ThrowIfNull(cipher);
        _store = store;
        _content = content;
        _codeHasher = codeHasher;
        _cipher = cipher;
        _options = options ?? new IssuanceOptions();
        if (_options.ChunkSize < 1 || _options.Writers < 1 || _options.QueuedChunks < 1 || _options.MaxPasses < 1)
        {
            throw new ArgumentException("chunk size, writers, queued chunks and passes must be positive", nameof(options));
        }
        _keyId = _options.CodeKeyId ?? codeHasher.CurrentKeyId;
        if (!codeHasher.HasKey(_keyId))
        {
            throw new ArgumentException($"the code hasher has no key {_keyId}", nameof(options));
        }
        _time = time ?? TimeProvider.System;
    }

    public async Task<IssuanceResult> IssueAsync(string campaignId, IProgress<IssuanceProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var campaign = await OpenCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false);
        await using var issuing = await _store.LockIssuanceAsync(campaignId, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var started = _time.GetUtcNow();
        await _store.SetCampaignStatusAsync(campaignId, CampaignStatus.Issuing, cancellationToken).ConfigureAwait(false);
        var expired = await _store.ExpireCodesAsync(started, cancellationToken).ConfigureAwait(false);
        long? total = _options.CountFirst ? await _store.CountEligibleAsync(campaignId, cancellationToken).ConfigureAwait(false) : null;

        var tally = new Tally(total, clock, progress);
        var passes = 0;
        var conflicts = 0;
        int conflicted;
        long minorsUnreachable;
        do
        {
            passes++;
            (conflicted, minorsUnreachable) = await RunPassAsync(campaign, tally, estimate: passes == 1 && total is null, cancellationToken).ConfigureAwait(false);
            conflicts += conflicted;
        }
        while (conflicted > 0 && passes < _options.MaxPasses);

        var revoked = await _store.RevokeCodesOfOpposedAsync(started - _options.OppositionRaceMargin, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (conflicted > 0)
        {
            throw new IssuanceConflictException(
                $"campaign '{campaignId}': {conflicted} chunks still conflicted after {passes} passes (people receiving codes concurrently); run the issuance again");
        }
        // Minors none of whose legal representatives can be written to get no code (they are not eligible): counted by the
        // last pass's read, which reads them with the others.
        await _store.SetCampaignStatusAsync(campaignId, CampaignStatus.Issued, cancellationToken).ConfigureAwait(false);
        return new IssuanceResult(campaignId, tally.Issued, tally.Emails, tally.Letters, tally.Batches, passes, conflicts, expired, revoked, clock.Elapsed,
            minorsUnreachable);
    }

    /// <summary>
    /// A lost or expired code, or a locked one: revokes the person's codes and, when they are eligible for the campaign,
    /// issues a new one at once (an email batch or a print batch of one). Throws <see cref="IssuanceConflictException"/>
    /// when an issuance run gave them a code in between.
    /// </summary>
    public async Task<ReissueResult> ReissueAsync(string campaignId, byte[] nirHash, CancellationToken cancellationToken = default)
    {
        var campaign = await OpenCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false);
        var revoked = await _store.RevokeCodesAsync(nirHash, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var person = await _store.FindEligibleAsync(campaignId, nirHash, cancellationToken).ConfigureAwait(false);
        if (person is null)
        {
            return new ReissueResult(revoked, false, null, null);
        }
        using var work = new Work(new IssuanceChunk(1));
        var builder = new Builder(this, campaign, work);
        work.Chunk.BatchNo = await _store.AllocatePrintBatchAsync(campaignId, cancellationToken).ConfigureAwait(false);
        builder.Add(person);
        await CommitAsync(work, cancellationToken).ConfigureAwait(false);
        return new ReissueResult(revoked, true, person.Channel, work.Chunk.BatchNo);
    }

    /// <summary>
    /// Bounce → post: the campaign's people whose activation email was refused for good (their email code is already
    /// revoked, <see cref="IRolloutStore.RecordEmailBouncesAsync"/>) get a new code by letter, in one print batch per
    /// round of at most <see cref="IssuanceOptions.ChunkSize"/> people, built and committed as issuance's own chunks
    /// (file and manifest first, then codes + print batch row + the bounces marked posted in one transaction). People
    /// without a postal address are settled as unreachable; those who activated, opposed or hold a valid code meanwhile
    /// as superseded.
    /// </summary>
    /// <remarks>
    /// Idempotent and crash-safe like issuance: it holds the campaign's issuance lock; a bounce leaves "awaiting post"
    /// only in the transaction that commits its letter's code (or settles it), so a crash before that commit leaves an
    /// orphan file and the bounce is posted by the next round under a new batch number; after it, nothing is redone.
    /// The partial unique index on valid codes refuses a second valid code for anyone.
    /// </remarks>
    public async Task<BounceRoundResult> PostBouncesAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        var campaign = await OpenCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false);
        await using var issuing = await _store.LockIssuanceAsync(campaignId, cancellationToken).ConfigureAwait(false);
        int posted = 0, unreachable = 0, superseded = 0;
        var batches = new List<int>();
        while (true)
        {
            var bounced = await _store.ListBouncesAwaitingPostAsync(campaignId, _options.ChunkSize, cancellationToken).ConfigureAwait(false);
            if (bounced.Count == 0)
            {
                break;
            }
            // One letter per person, whichever of their bounced emails it answers.
            var people = bounced.GroupBy(b => Convert.ToHexString(b.NirHash), StringComparer.Ordinal).ToList();
            var letters = people.Where(g => g.First() is { Eligible: true, Address: not null }).ToList();
            var noAddress = people.Where(g => g.First() is { Eligible: true, Address: null }).SelectMany(g => g).Select(b => b.OutboxId).ToList();
            var nothingToSend = people.Where(g => !g.First().Eligible).SelectMany(g => g).Select(b => b.OutboxId).ToList();
            if (letters.Count > 0)
            {
                using var work = new Work(new IssuanceChunk(letters.Count));
                var builder = new Builder(this, campaign, work);
                work.Chunk.BatchNo = await _store.AllocatePrintBatchAsync(campaignId, cancellationToken).ConfigureAwait(false);
                foreach (var person in letters)
                {
                    var b = person.First();
                    builder.Add(new EligiblePerson(b.NirHash, b.VaultId, HasEmail: false, b.GivenNames, b.FamilyName, b.Address, b.ForRepresentatives, b.PersonNo));
                    work.Chunk.PostedBounces.AddRange(person.Select(p => p.OutboxId));
                }
                await CommitAsync(work, cancellationToken).ConfigureAwait(false);
                batches.Add(work.Chunk.BatchNo.Value);
                posted += letters.Count;
            }
            var now = _time.GetUtcNow();
            unreachable += await _store.SettleBouncesAsync(noAddress, BounceStatus.Unreachable, now, cancellationToken).ConfigureAwait(false) > 0
                ? people.Count(g => g.First() is { Eligible: true, Address: null }) : 0;
            superseded += await _store.SettleBouncesAsync(nothingToSend, BounceStatus.Superseded, now, cancellationToken).ConfigureAwait(false) > 0
                ? people.Count(g => !g.First().Eligible) : 0;
        }
        return new BounceRoundResult(campaignId, posted, unreachable, superseded, batches);
    }

    private async Task<Campaign> OpenCampaignAsync(string campaignId, CancellationToken cancellationToken)
    {
        var campaign = await _store.GetCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false)
            ?? throw new CampaignNotFoundException(campaignId);
        if (campaign.Status == CampaignStatus.Closed)
        {
            throw new CampaignConflictException($"campaign '{campaignId}' is closed");
        }
        return campaign;
    }

    /// <summary>
    /// One pass: producer → bounded channel → committers. Returns the number of chunks refused for a conflict and the
    /// minors the read found unreachable; with <paramref name="estimate"/>, estimates the progress total as it reads.
    /// </summary>
    private async Task<(int Conflicts, long UnreachableMinors)> RunPassAsync(Campaign campaign, Tally tally, bool estimate, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(_options.QueuedChunks) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var pool = Channel.CreateUnbounded<Work>();
        var poolSize = _options.Writers + _options.QueuedChunks + 1;
        var created = 0;
        var conflicts = 0;
        var read = new EligibleReadTally();
        Exception? failure = null;

        async Task<Work> RentAsync()
        {
            if (pool.Reader.TryRead(out var work))
            {
                return work;
            }
            if (created < poolSize)
            {
                created++;
                return new Work(new IssuanceChunk(_options.ChunkSize));
            }
            return await pool.Reader.ReadAsync(stop.Token).ConfigureAwait(false);
        }

        void Fail(Exception e)
        {
            Interlocked.CompareExchange(ref failure, e, null);
            stop.Cancel();
        }

        async Task CommitLoopAsync()
        {
            await foreach (var work in queue.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await CommitAsync(work, stop.Token).ConfigureAwait(false);
                    tally.Add(work.Chunk);
                }
                catch (IssuanceConflictException)
                {
                    Interlocked.Increment(ref conflicts);
                }
                finally
                {
                    work.Clear();
                    pool.Writer.TryWrite(work);
                }
            }
        }

        var committers = Enumerable.Range(0, _options.Writers).Select(_ => Task.Run(async () =>
        {
            try
            {
                await CommitLoopAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }, CancellationToken.None)).ToArray();

        try
        {
            var work = await RentAsync().ConfigureAwait(false);
            var builder = new Builder(this, campaign, work);
            var estimated = estimate ? new ReadEstimate() : null;
            await foreach (var person in _store.StreamEligibleAsync(campaign.CampaignId, read, stop.Token).ConfigureAwait(false))
            {
                // A full chunk leaves when the next person arrives, so the last one always leaves after the read ended
                // (and after the exact total, below).
                if (work.Chunk.IsFull)
                {
                    if (estimated is not null)
                    {
                        tally.Estimate(estimated.Total);
                    }
                    await queue.Writer.WriteAsync(work, stop.Token).ConfigureAwait(false);
                    work = await RentAsync().ConfigureAwait(false);
                    builder = new Builder(this, campaign, work);
                }
                if (work.Chunk.BatchNo is null)
                {
                    work.Chunk.BatchNo = await _store.AllocatePrintBatchAsync(campaign.CampaignId, stop.Token).ConfigureAwait(false);
                }
                builder.Add(person);
                estimated?.Add(person, read.Place);
            }
            if (estimated is not null)
            {
                tally.Estimate(estimated.Read);   // the whole read: the pass's exact count
            }
            if (work.Chunk.Count > 0)
            {
                await queue.Writer.WriteAsync(work, stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
        queue.Writer.TryComplete();
        await Task.WhenAll(committers).ConfigureAwait(false);
        while (queue.Reader.TryRead(out var unsent))
        {
            unsent.Dispose();
        }
        while (pool.Reader.TryRead(out var idle))
        {
            idle.Dispose();
        }
        if (failure is not null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        return (conflicts, read.UnreachableMinors);
    }

    /// <summary>Print batch file and manifest (when there are letters) and email batch file (when there are emails) first, then the one transaction.</summary>
    private async Task CommitAsync(Work work, CancellationToken cancellationToken)
    {
        var chunk = work.Chunk;
        chunk.HashCodes(_codeHasher);
        if (chunk.Letters > 0)
        {
            var batchNo = chunk.BatchNo!.Value;
            var csvKey = PrintBatchFiles.CsvKey(chunk.CampaignId, batchNo);
            StoredContent stored;
            await using (var csv = work.Csv.OpenRead())
            {
                stored = await _content.WriteAsync(new ContentKey(csvKey), csv, null, cancellationToken).ConfigureAwait(false);
            }
            var createdAt = RolloutRules.Micros(_time.GetUtcNow());
            var manifest = PrintBatchFiles.ManifestJson(new PrintBatchManifest(chunk.CampaignId, batchNo, csvKey, chunk.Letters, stored.Sha256, createdAt, chunk.ExpiresAt));
            using (var json = new MemoryStream(manifest, writable: false))
            {
                await _content.WriteAsync(new ContentKey(PrintBatchFiles.ManifestKey(chunk.CampaignId, batchNo)), json, null, cancellationToken).ConfigureAwait(false);
            }
            chunk.PrintBatch = new PrintBatch(chunk.CampaignId, batchNo, csvKey, chunk.Letters, stored.Sha256, createdAt);
        }
        if (chunk.Emails > 0)
        {
            var batchNo = chunk.BatchNo!.Value;
            var fileKey = EmailBatchFiles.FileKey(chunk.CampaignId, batchNo);
            using var lines = new SegmentBuffer();
            EmailBatchFiles.Write(lines, chunk, _cipher);
            StoredContent stored;
            await using (var file = lines.OpenRead())
            {
                stored = await _content.WriteAsync(new ContentKey(fileKey), file, null, cancellationToken).ConfigureAwait(false);
            }
            chunk.EmailBatch = new EmailBatch(chunk.CampaignId, batchNo, fileKey, chunk.Emails, stored.Sha256, RolloutRules.Micros(_time.GetUtcNow()));
        }
        await _store.CommitIssuanceAsync(chunk, cancellationToken).ConfigureAwait(false);
        RolloutMetrics.IssuanceChunkCommitted(chunk.Count, chunk.PrintBatch is not null);
    }

    /// <summary>A chunk and its print batch CSV, reused across chunks.</summary>
    private sealed class Work(IssuanceChunk chunk) : IDisposable
    {
        public IssuanceChunk Chunk { get; } = chunk;
        public SegmentBuffer Csv { get; private set; } = new();

        public void Clear()
        {
            Csv.Dispose();
            Csv = new SegmentBuffer();
        }

        public void Dispose()
        {
            Chunk.WipeCodes();
            Csv.Dispose();
        }
    }

    /// <summary>Fills one chunk (producer thread only): the code, then the email or the letter.</summary>
    private sealed class Builder
    {
        private readonly IssuanceService _service;
        private readonly Work _work;
        private readonly string _expiresText;
        private readonly PrintCsvWriter _csv = new();

        public Builder(IssuanceService service, Campaign campaign, Work work)
        {
            _service = service;
            _work = work;
            // Whole seconds: letters and emails show the expiry to the second, and it must be the stored one.
            var now = service._time.GetUtcNow().UtcTicks;
            var issuedAt = new DateTimeOffset(now - now % TimeSpan.TicksPerSecond, TimeSpan.Zero);
            var expires = (issuedAt + campaign.CodeValidity).UtcTicks;
            var expiresAt = new DateTimeOffset(expires - expires % TimeSpan.TicksPerSecond, TimeSpan.Zero);
            work.Chunk.Reset(campaign.CampaignId, service._keyId, issuedAt, expiresAt);
            _expiresText = PrintBatchFiles.FormatExpiry(expiresAt);
        }

        public void Add(EligiblePerson person)
        {
            Span<char> code = stackalloc char[ActivationCodes.CanonicalLength];
            ActivationCodes.Generate(code);
            var chunk = _work.Chunk;
            if (person.HasEmail)
            {
                chunk.AddEmail(person.NirHash, person.PersonNo, person.VaultId, code);
                CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(code));
                return;
            }
            var address = person.Address ?? throw new RolloutException($"person of vault {person.VaultId} has neither an email nor an address");
            if (chunk.Letters == 0)
            {
                PrintCsvWriter.Header(_work.Csv);
            }
            _csv.Letter(_work.Csv, chunk.BatchNo!.Value, chunk.Letters + 1, person.VaultId,
                person.ForRepresentatives ? RolloutRules.RepresentativesAddressee(person.GivenNames) : PrintBatchFiles.Name(person.GivenNames, person.FamilyName),
                address, code, _expiresText, person.ForRepresentatives);
            chunk.AddLetter(person.NirHash, person.PersonNo, person.VaultId, code);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(code));
        }
    }

    /// <summary>Counts committed chunks and reports progress (committers run concurrently).</summary>
    private sealed class Tally(long? total, Stopwatch clock, IProgress<IssuanceProgress>? progress)
    {
        private readonly Lock _lock = new();
        private readonly bool _counted = total is not null;
        private long? _total = total;
        public long Issued { get; private set; }
        public long Emails { get; private set; }
        public long Letters { get; private set; }
        public int Batches { get; private set; }

        public void Add(IssuanceChunk chunk)
        {
            IssuanceProgress report;
            lock (_lock)
            {
                Issued += chunk.Count;
                Emails += chunk.Emails;
                Letters += chunk.Letters;
                Batches += chunk.Letters > 0 ? 1 : 0;
                var elapsed = clock.Elapsed;
                var rate = Issued / Math.Max(elapsed.TotalSeconds, 1e-3);
                var known = _total is { } t ? Math.Max(t, Issued) : (long?)null;
                TimeSpan? eta = known is { } k && rate > 0 ? TimeSpan.FromSeconds((k - Issued) / rate) : null;
                report = new IssuanceProgress(Issued, Emails, Letters, Batches, known, rate, elapsed, eta, TotalEstimated: known is not null && !_counted);
            }
            progress?.Report(report);
        }

        /// <summary>The producer's estimate of the total (when the run did not count first).</summary>
        public void Estimate(long estimated)
        {
            lock (_lock)
            {
                _total = estimated;
            }
        }
    }
}
