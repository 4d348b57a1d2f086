namespace Coffre.Application.Rollout;

/// <summary>
/// The rollout's storage: population registry, import checkpoints, campaigns, activation codes, print batches and
/// oppositions. <see cref="PostgresRolloutStore"/> in a cluster, <see cref="InMemoryRolloutStore"/> embedded; both
/// pass the same contract tests (tests/Coffre.IntegrationTests/Rollout). NIRs and Vitale serials only ever appear as
/// their keyed hashes (<see cref="Coffre.Domain.Identifiers.NirHasher"/>). Times that decide something (expiry,
/// opposition) are passed in, so callers choose the clock.
/// </summary>
public interface IRolloutStore
{
    // ---- Import ----

    Task<ImportRun?> GetImportAsync(string importId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts the import, or returns its checkpoint to resume it (with the mode it started in). Throws
    /// <see cref="ImportFileMismatchException"/> when the import exists with another file SHA-256, and
    /// <see cref="ImportModeException"/> when a new import cannot start: an initial load into a registry that is not
    /// empty, or any import while an initial load is incomplete. <paramref name="mode"/> null: an initial load when the
    /// registry is empty, else an upsert (decided atomically).
    /// </summary>
    Task<ImportRun> BeginImportAsync(string importId, string fileName, string fileSha256, DateTimeOffset startedAt,
        ImportMode? mode = ImportMode.Upsert, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the chunk's rows (insert, or update of an earlier import's row; an opposed or closed person is never
    /// updated; in an initial load, rows wait unseen for <see cref="CompleteImportAsync"/>) and moves the checkpoint to <see cref="ImportChunk.LastLine"/> with the accepted and rejected counts, in
    /// one transaction. Throws <see cref="ImportCheckpointException"/> when the checkpoint is no longer
    /// <see cref="ImportChunk.ResumesAfterLine"/> (another importer on the same import id) or the import is complete.
    /// </summary>
    Task CommitImportChunkAsync(ImportChunk chunk, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks the import complete (idempotent). For an initial load this publishes the loaded rows: a NIR loaded twice
    /// keeps its last line, and a registry row written meanwhile (an opposition) wins over the loaded one.
    /// </summary>
    Task<ImportRun> CompleteImportAsync(string importId, DateTimeOffset completedAt, CancellationToken cancellationToken = default);

    // ---- Registry ----

    Task<RegistryPerson?> FindPersonAsync(byte[] nirHash, CancellationToken cancellationToken = default);

    /// <summary>The registry row behind an imported vault (the vault grain's initial state).</summary>
    Task<RegistryPerson?> FindPersonByVaultIdAsync(string vaultId, CancellationToken cancellationToken = default);

    Task<long> CountPeopleAsync(CancellationToken cancellationToken = default);

    // ---- Campaigns ----

    /// <summary>
    /// Creates the campaign (opposition window and code validity default to 6 weeks). Creating it again with the same
    /// definition returns the stored one; a different definition throws <see cref="CampaignConflictException"/>.
    /// </summary>
    Task<Campaign> CreateCampaignAsync(NewCampaign campaign, DateTimeOffset createdAt, CancellationToken cancellationToken = default);

    Task<Campaign?> GetCampaignAsync(string campaignId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Campaign>> ListCampaignsAsync(CancellationToken cancellationToken = default);

    Task SetCampaignStatusAsync(string campaignId, CampaignStatus status, CancellationToken cancellationToken = default);

    /// <summary>The campaign's figures at <paramref name="now"/> (a valid code past its expiry counts as expired).</summary>
    Task<CampaignCounts> GetCampaignCountsAsync(string campaignId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Committed print batches, by number (what an export hands to the print house).</summary>
    Task<IReadOnlyList<PrintBatch>> ListPrintBatchesAsync(string campaignId, CancellationToken cancellationToken = default);

    // ---- Issuance ----

    /// <summary>
    /// Every eligible person in one streamed read (one snapshot); memory does not grow with the population. Eligible =
    /// registered (status 0, so neither opposed nor activated), in the campaign's segment, reachable (an email or a
    /// postal address; for a person under 18 at the store's clock, a legal representative's, see
    /// <see cref="EligiblePerson.ForRepresentatives"/>), holding no valid code (of any campaign: at most one valid code per person) and no locked code
    /// (that needs a re-issue).
    /// </summary>
    IAsyncEnumerable<EligiblePerson> StreamEligibleAsync(string campaignId, CancellationToken cancellationToken = default) =>
        StreamEligibleAsync(campaignId, new EligibleReadTally(), cancellationToken);

    /// <summary>
    /// <see cref="StreamEligibleAsync(string, CancellationToken)"/>, and counts into <paramref name="tally"/> the minors
    /// <see cref="CountUnreachableMinorsAsync"/> would count, read by the same statements: issuance's one read of the segment.
    /// </summary>
    IAsyncEnumerable<EligiblePerson> StreamEligibleAsync(string campaignId, EligibleReadTally tally, CancellationToken cancellationToken = default);

    /// <summary>The person if eligible for this campaign now, else null.</summary>
    Task<EligiblePerson?> FindEligibleAsync(string campaignId, byte[] nirHash, CancellationToken cancellationToken = default);

    Task<long> CountEligibleAsync(string campaignId, CancellationToken cancellationToken = default);

    /// <summary>
    /// People of the campaign's segment who would be eligible but are under 18 and none of whose legal representatives
    /// (registry rows of <c>representative_nir_hashes</c>, neither opposed nor closed) has an email or a postal address:
    /// they get no code. "Under 18" is at the store's clock (<see cref="RolloutRules.MinorsBornAfter"/>).
    /// </summary>
    Task<long> CountUnreachableMinorsAsync(string campaignId, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="CountEligibleAsync"/> and <see cref="CountUnreachableMinorsAsync"/> from one snapshot: what an issuance run
    /// that counts first needs at its start (PostgreSQL reads the segment, and probes the minors' representatives, once).
    /// </summary>
    async Task<EligibleCounts> CountEligibleAndUnreachableAsync(string campaignId, CancellationToken cancellationToken = default) =>
        new(await CountEligibleAsync(campaignId, cancellationToken).ConfigureAwait(false),
            await CountUnreachableMinorsAsync(campaignId, cancellationToken).ConfigureAwait(false));

    /// <summary>Marks valid codes past <paramref name="now"/> expired (so their people can be issued again); returns how many.</summary>
    Task<long> ExpireCodesAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>A new print batch number for the campaign, never handed out before (not even to a crashed run).</summary>
    Task<int> AllocatePrintBatchAsync(string campaignId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Refuses a second concurrent issuance run of the campaign (<see cref="IssuanceInProgressException"/>); dispose to
    /// release. In PostgreSQL an advisory lock on a held connection, so a killed process releases it.
    /// </summary>
    Task<IAsyncDisposable> LockIssuanceAsync(string campaignId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the chunk's codes (hashes only, each with the chunk's batch number), its print batch row, its email batch
    /// row and the one outbox message (<see cref="EmailBatchFiles.OutboxKind"/>, id <see cref="EmailBatchFiles.MessageId"/>)
    /// that hands the email batch to its router, in one transaction: a code is acknowledged only with its delivery record. The bounces of <see cref="IssuanceChunk.PostedBounces"/> (a
    /// bounce → post round) move to posted, with the chunk's batch number, in the same transaction. Throws <see cref="IssuanceConflictException"/>, storing
    /// nothing, when someone in the chunk already holds a valid code.
    /// </summary>
    Task CommitIssuanceAsync(IssuanceChunk chunk, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes the person's valid and locked codes and drops their undelivered (requeued) activation emails (a re-issue
    /// then gives a new code); returns how many codes were revoked. Their lines in email batch files stay, and the router
    /// refuses them at send time (the code is no longer the person's valid email code).
    /// </summary>
    Task<int> RevokeCodesAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes valid codes of people who opposed at or after <paramref name="since"/> (a code committed by a chunk read
    /// before the opposition); returns how many.
    /// </summary>
    Task<int> RevokeCodesOfOpposedAsync(DateTimeOffset since, DateTimeOffset at, CancellationToken cancellationToken = default);

    // ---- Campaign emails ----

    /// <summary>
    /// The email channel's one registry read for a claimed batch: for each vault id that names a registry person, their
    /// address, given names, state and the campaign of their valid email code (see <see cref="EmailRecipient"/>).
    /// </summary>
    Task<IReadOnlyDictionary<string, EmailRecipient>> FindEmailRecipientsAsync(IReadOnlyCollection<string> vaultIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records permanent refusals of activation emails and revokes each person's valid email code of that campaign, in one
    /// transaction. Idempotent per outbox message (a replayed bounce records and revokes nothing more, and never touches
    /// a code issued later by post). Returns how many bounces were new.
    /// </summary>
    Task<int> RecordEmailBouncesAsync(IReadOnlyList<EmailBounce> bounces, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The committed email batch, with how far its router got; null when there is none.</summary>
    Task<EmailBatch?> GetEmailBatchAsync(string campaignId, int batchNo, CancellationToken cancellationToken = default);

    /// <summary>The campaign's committed email batches, by number.</summary>
    Task<IReadOnlyList<EmailBatch>> ListEmailBatchesAsync(string campaignId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a page the router settled, in one transaction: the requeued lines become ordinary <c>activation-code</c>
    /// outbox messages due now (ignored when their id is already stored), and the batch's <c>sent_through</c> moves from
    /// <see cref="EmailBatchAdvance.From"/> to <see cref="EmailBatchAdvance.To"/> with its counts (and <c>completed_at</c>).
    /// Returns false, changing nothing, when <c>sent_through</c> is no longer <see cref="EmailBatchAdvance.From"/>
    /// (another router advanced it): two routers never count a line twice.
    /// </summary>
    Task<bool> AdvanceEmailBatchAsync(EmailBatchAdvance advance, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> of the campaign's bounces awaiting post, oldest first.</summary>
    Task<IReadOnlyList<BouncedPerson>> ListBouncesAwaitingPostAsync(string campaignId, int max, CancellationToken cancellationToken = default);

    /// <summary>Moves bounces still awaiting post to <paramref name="status"/> (unreachable, superseded); returns how many moved.</summary>
    Task<int> SettleBouncesAsync(IReadOnlyList<Guid> outboxIds, BounceStatus status, DateTimeOffset at, CancellationToken cancellationToken = default);

    // ---- Activation ----

    /// <summary>
    /// Records that the person's identity grain claims a vault for them (a referent opens one, or attaches a NIR), before
    /// it does: from then on their activation goes through that grain (<see cref="ActivationCodeRecord.IdentityClaimed"/>).
    /// Idempotent; a claim is never removed (it only means "ask the grain").
    /// </summary>
    Task RecordIdentityClaimAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The person's valid code with the registry facts activation checks; null when they have none.</summary>
    Task<ActivationCodeRecord?> FindValidCodeAsync(byte[] nirHash, CancellationToken cancellationToken = default);

    /// <summary>
    /// The valid codes of these people with the registry facts activation checks, in one read: position i answers
    /// <paramref name="nirHashes"/>[i] (null when that person has none; a hash may appear more than once).
    /// </summary>
    Task<IReadOnlyList<ActivationCodeRecord?>> FindValidCodesAsync(IReadOnlyList<byte[]> nirHashes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Settles a group of activation attempts in one transaction (one statement in PostgreSQL, whatever the mix of
    /// outcomes): uses the codes of <see cref="ActivationSettlement.Consume"/> that are still usable and marks their people
    /// activated, counts the refusals in the day's tally (one per refusal, including lost consumes) and the counted
    /// attempts on valid codes (locking at <see cref="ActivationSettlement.MaxAttempts"/>). Returns the code ids that were
    /// used (single use under concurrency is decided by the database) and those whose <see cref="ActivationConsume.Audit"/>
    /// event it appended in the same transaction (a store that cannot, or a chain that moved since its tip was read,
    /// leaves it to the caller). Nothing is applied when it throws.
    /// </summary>
    Task<SettledActivations> SettleActivationsAsync(ActivationSettlement settlement, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts a failed attempt on the valid code <paramref name="codeId"/> of the person <paramref name="nirHash"/> (a code
    /// is found through its person); the code locks when attempts reach <paramref name="maxAttempts"/>.
    /// </summary>
    Task<FailedAttemptResult> RecordFailedAttemptAsync(byte[] nirHash, long codeId, int maxAttempts, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Uses the code <paramref name="codeId"/> of the person <paramref name="nirHash"/> and marks them activated, atomically:
    /// true only for the one call that moved a valid, unexpired (expires_at ≥ <paramref name="now"/>) code of a registered
    /// person to used.
    /// </summary>
    /// <remarks><paramref name="expiryCutoff"/> (default <paramref name="now"/>) is what expires_at is compared with: callers
    /// that tolerate clock skew pass now minus the skew, while <paramref name="now"/> stays the recorded time of use.</remarks>
    Task<bool> ConsumeCodeAsync(byte[] nirHash, long codeId, DateTimeOffset now, CancellationToken cancellationToken = default, DateTimeOffset? expiryCutoff = null);

    /// <summary>Registered → activated (idempotent; false when the person is not registered or already activated).</summary>
    Task<bool> MarkActivatedAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a refused activation in one statement that always writes and commits: it adds one to the day's refusal
    /// tally (shard of <paramref name="nirHash"/>) and, when <paramref name="countAttempt"/> (the person proved their
    /// secrets), counts a failed attempt on the person's valid code <paramref name="codeId"/>, locking it at
    /// <paramref name="maxAttempts"/>. The same statement runs whether or not there is a code (null) and whether or not
    /// the attempt counts, so every refusal does the same durable work.
    /// </summary>
    Task<FailedAttemptResult> RecordRefusalAsync(byte[] nirHash, long? codeId, bool countAttempt, int maxAttempts, DateTimeOffset at,
        CancellationToken cancellationToken = default);

    /// <summary>Refusals recorded on <paramref name="day"/> (UTC), all shards.</summary>
    Task<long> CountRefusalsAsync(DateOnly day, CancellationToken cancellationToken = default);

    // ---- Opposition ----

    /// <summary>
    /// Records the opposition (idempotent: a second call returns the first receipt), revokes the person's codes, drops
    /// their undelivered activation emails and purges the registry row down to nir_hash, vault_id, departement and
    /// status (opposed, or closed when they had activated). A person not in the registry gets a purged row, so a later
    /// import never brings them in.
    /// </summary>
    Task<OppositionResult> RecordOppositionAsync(OppositionRequest request, CancellationToken cancellationToken = default);

    Task<Opposition?> GetOppositionAsync(byte[] nirHash, CancellationToken cancellationToken = default);

    /// <summary>
    /// One chunk of closing a campaign's opposition window, in one statement: about the next <paramref name="chunkSize"/>
    /// codes of the campaign from <paramref name="after"/> (0 for the first chunk, then the last chunk's
    /// <see cref="WindowCloseChunk.Next"/>, until <see cref="WindowCloseChunk.Done"/>; the order is the store's), and for
    /// their people still registered (neither opposed nor activated) without a closed window, <c>window_closed_at = at</c>.
    /// Idempotent.
    /// </summary>
    Task<WindowCloseChunk> CloseOppositionWindowChunkAsync(string campaignId, long after, int chunkSize, DateTimeOffset at,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// The vault ids of the registry's people born on <paramref name="birthDate"/> who did not oppose, in one read (the
    /// people turning 18 on a day: about 2 200 in France).
    /// </summary>
    Task<IReadOnlyList<string>> ListVaultsBornOnAsync(DateOnly birthDate, CancellationToken cancellationToken = default);
}
