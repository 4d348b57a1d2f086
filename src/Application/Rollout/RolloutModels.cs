using System.Text.RegularExpressions;
using Coffre.Application.Audit;
using Coffre.Domain.Auditing;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Rollout;

/// <summary>A registry person's state (column <c>registry_person.status</c>).</summary>
public enum PersonStatus : short
{
    Registered = 0,
    Opposed = 1,
    Activated = 2,
    /// <summary>Opposed after activation: the vault must be closed.</summary>
    Closed = 3,
}

/// <summary>An activation code's state (column <c>activation_code.status</c>).</summary>
public enum CodeStatus : short
{
    Valid = 0,
    Used = 1,
    Revoked = 2,
    /// <summary>Too many failed attempts; a re-issue is needed.</summary>
    Locked = 3,
    /// <summary>Past its expiry, swept when a later issuance run starts.</summary>
    Expired = 4,
}

/// <summary>How a code reaches its person (column <c>activation_code.channel</c>): email when known, else post.</summary>
public enum CodeChannel : short
{
    Email = 0,
    Post = 1,
}

public enum CampaignStatus : short
{
    Created = 0,
    Issuing = 1,
    Issued = 2,
    Closed = 3,
}

/// <summary>Who recorded an opposition.</summary>
public enum OppositionChannel : short
{
    Person = 0,
    Operator = 1,
}

/// <summary>
/// A registry row as stored. Personal fields are null once the person opposed. <see cref="RepresentativeNirHashes"/>
/// are the NIR hashes of a minor's legal representatives (their vaults: <see cref="RepresentativeVaultIds"/>).
/// </summary>
public sealed record RegistryPerson(
    byte[] NirHash,
    string VaultId,
    string? NirMasked,
    DateOnly? BirthDate,
    string? FamilyName,
    string? GivenNames,
    Sex Sex,
    string? Email,
    PostalAddress? Address,
    string? Departement,
    byte[]? VitaleHash,
    IReadOnlyList<byte[]> RepresentativeNirHashes,
    PersonStatus Status,
    string? ImportId,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? OppositionWindowEndsAt = null,
    DateTimeOffset? WindowClosedAt = null)
{
    /// <summary>
    /// <see cref="OppositionWindowEndsAt"/>: the latest end of the opposition windows of the campaigns that sent this
    /// registered person the code they hold (valid or locked), when read by vault id; null otherwise.
    /// <see cref="WindowClosedAt"/>: when <c>campaign close-window</c> created their vault (neither opposed nor activated
    /// at a window's end).
    /// </summary>
    public IReadOnlyList<string> RepresentativeVaultIds => [.. RepresentativeNirHashes.Select(h => RegistryVaultIds.For(h))];

    public bool Opposed => Status is PersonStatus.Opposed or PersonStatus.Closed;
}

/// <summary>What an import writes for one accepted row (the NIR only as its keyed hash).</summary>
public sealed record RegistryRow(
    byte[] NirHash,
    string NirMasked,
    DateOnly BirthDate,
    string FamilyName,
    string GivenNames,
    Sex Sex,
    string? Email,
    PostalAddress? Address,
    byte[]? VitaleHash,
    IReadOnlyList<byte[]> RepresentativeNirHashes)
{
    public string VaultId => RegistryVaultIds.For(NirHash);
}

/// <summary>How an import writes the registry.</summary>
public enum ImportMode : short
{
    /// <summary>Insert or update each row as its chunk commits (any registry; rows visible at once).</summary>
    Upsert = 0,

    /// <summary>
    /// The first load of an empty registry: rows are loaded without indexes and become visible together when the import
    /// completes (indexes built by sorting, several times cheaper than maintaining them row by row). No other import may
    /// start until it completes.
    /// </summary>
    InitialLoad = 1,
}

/// <summary>An import's checkpoint (table <c>import_run</c>).</summary>
public sealed record ImportRun(
    string ImportId,
    string FileName,
    string FileSha256,
    ImportMode Mode,
    DateTimeOffset StartedAt,
    DateTimeOffset? CompletedAt,
    long LinesDone,
    long RowsAccepted,
    long RowsRejected);

/// <summary>What an operator asks for when creating a campaign. <see cref="Departements"/> null = everyone.</summary>
public sealed partial record NewCampaign(
    string CampaignId,
    string Name,
    IReadOnlyList<string>? Departements,
    string CreatedBy,
    TimeSpan? OppositionWindow = null,
    TimeSpan? CodeValidity = null)
{
    public static readonly TimeSpan DefaultOppositionWindow = TimeSpan.FromDays(42);
    public static readonly TimeSpan DefaultCodeValidity = TimeSpan.FromDays(42);

    /// <summary>1–48 characters of [a-z0-9-], starting with a letter or digit (it names content keys).</summary>
    public static bool IsValidId(string? campaignId) => campaignId is not null && IdPattern().IsMatch(campaignId);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,47}$")]
    private static partial Regex IdPattern();
}

public sealed record Campaign(
    string CampaignId,
    string Name,
    IReadOnlyList<string>? Departements,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset OppositionWindowEndsAt,
    TimeSpan CodeValidity,
    CampaignStatus Status)
{
    public bool Equals(Campaign? other) =>
        other is not null && CampaignId == other.CampaignId && Name == other.Name
        && (Departements is null ? other.Departements is null : other.Departements is not null && Departements.SequenceEqual(other.Departements))
        && CreatedAt == other.CreatedAt && CreatedBy == other.CreatedBy && OppositionWindowEndsAt == other.OppositionWindowEndsAt
        && CodeValidity == other.CodeValidity && Status == other.Status;

    public override int GetHashCode() => HashCode.Combine(CampaignId, Name, CreatedAt, Status);
}

/// <summary>A campaign's eligible people and the minors none of whose legal representatives can be written to (no code for them).</summary>
public sealed record EligibleCounts(long Eligible, long UnreachableMinors);

/// <summary>
/// What a streamed eligible read (<see cref="IRolloutStore.StreamEligibleAsync(string, EligibleReadTally, CancellationToken)"/>)
/// counted besides the people it yielded, read by the same statements in the same snapshot; complete once the stream ended.
/// </summary>
public sealed class EligibleReadTally
{
    /// <summary>Minors of the segment who would be eligible but none of whose legal representatives can be written to.</summary>
    public long UnreachableMinors { get; set; }

    /// <summary>
    /// Where the read of the last person yielded is in its class's read (adults, then minors), in (0, 1]: how far through
    /// the table the scan is (NaN when the store cannot tell). What <see cref="ReadEstimate"/> estimates the total from.
    /// </summary>
    public double Place { get; set; } = double.NaN;
}

/// <summary>
/// A campaign's figures. <see cref="Eligible"/> is who the next issuance run would give a code to.
/// Code counts are over the campaign's codes; <see cref="Opposed"/> and <see cref="Activated"/> over the segment's people.
/// </summary>
public sealed record CampaignCounts(
    long Eligible,
    long IssuedValid,
    long ValidByEmail,
    long ValidByPost,
    long Used,
    long Revoked,
    long Locked,
    long Expired,
    long Activated,
    long Opposed,
    long PrintBatches,
    long Letters,
    long EmailCodes,
    long EmailsPending,
    long EmailsBounced = 0,
    long BouncesAwaitingPost = 0,
    long BouncedUnreachable = 0,
    long MinorsUnreachable = 0);

/// <summary>
/// What the email channel needs to know about one recipient vault at send time (one batched registry read):
/// the address and given names (null once opposed), the person's state, and the campaign of their valid email code
/// (null when they hold none: used, revoked, re-issued by post…), so a message whose code is dead is never sent.
/// </summary>
/// <remarks>For a person under 18 (<see cref="ForRepresentatives"/>), <see cref="Email"/> is their first legal representative's
/// (registry row by <c>representative_nir_hashes</c>, in order, neither opposed nor closed) that has one, and
/// <see cref="GivenNames"/> stay the child's (the message names the child).</remarks>
/// <remarks><see cref="ValidEmailCodeHash"/> is the keyed hash of that valid email code: a line of an email batch file is sent
/// only when it carries this very code (a re-issue by email in the same campaign leaves the older line stale).</remarks>
public sealed record EmailRecipient(string VaultId, string? Email, string? GivenNames, PersonStatus Status, string? ValidEmailCodeCampaign,
    bool ForRepresentatives = false, byte[]? ValidEmailCodeHash = null);

/// <summary>An activation email the recipient's server refused for good (the outbox message and what it carried).</summary>
public sealed record EmailBounce(Guid OutboxId, string CampaignId, string VaultId);

/// <summary>Where a bounced activation email stands (column <c>email_bounce.status</c>).</summary>
public enum BounceStatus : short
{
    /// <summary>The email code is revoked; the person waits for the next print batch.</summary>
    AwaitingPost = 0,

    /// <summary>A new code went out by post (<c>email_bounce.batch_no</c>).</summary>
    Posted = 1,

    /// <summary>No postal address either: counted as unreachable.</summary>
    Unreachable = 2,

    /// <summary>Nothing to send any more: the person activated, opposed, or holds a valid code again.</summary>
    Superseded = 3,
}

/// <summary>
/// A bounced person awaiting the next print batch, with what the letter needs. <see cref="Eligible"/>: still
/// registered and holding neither a valid nor a locked code (else the bounce is superseded).
/// </summary>
/// <remarks>For a minor (<see cref="ForRepresentatives"/>) the address is their first legal representative's that has one.</remarks>
public sealed record BouncedPerson(Guid OutboxId, byte[] NirHash, string VaultId, bool Eligible, string? GivenNames, string? FamilyName, PostalAddress? Address,
    bool ForRepresentatives = false, long PersonNo = 0);

/// <summary>
/// A committed email batch (table <c>email_batch</c>): the file at <see cref="ContentKey"/>
/// (<see cref="EmailBatchFiles.FileKey"/>) holds <see cref="Emails"/> lines and hashes to <see cref="Sha256"/>. The
/// router (<see cref="Coffre.Application.Mail.EmailBatchChannel"/>) has settled its first <see cref="SentThrough"/> lines:
/// <see cref="Sent"/>, <see cref="Bounced"/>, <see cref="Undeliverable"/> (a stale code, nobody to write to), and
/// <see cref="Requeued"/> (a transient failure: handed to the outbox as an ordinary <c>activation-code</c> message).
/// <see cref="CompletedAt"/> is set when the whole file is settled.
/// </summary>
public sealed record EmailBatch(string CampaignId, int BatchNo, string ContentKey, int Emails, string Sha256, DateTimeOffset CreatedAt,
    int SentThrough = 0, int Sent = 0, int Bounced = 0, int Undeliverable = 0, int Requeued = 0, DateTimeOffset? CompletedAt = null)
{
    public bool IsComplete => CompletedAt is not null;
}

/// <summary>
/// One page the router settled (<see cref="IRolloutStore.AdvanceEmailBatchAsync"/>): the batch's lines
/// [<see cref="From"/>, <see cref="To"/>) with their outcome counts, the transient failures to retry as ordinary outbox
/// messages (<see cref="RequeuedMessages"/>), and <see cref="CompletedAt"/> when <see cref="To"/> is the end of the file.
/// </summary>
public sealed record EmailBatchAdvance(string CampaignId, int BatchNo, int From, int To, int Sent, int Bounced, int Undeliverable,
    IReadOnlyList<Outbox.OutboxMessage> RequeuedMessages, DateTimeOffset? CompletedAt);

/// <summary>A committed print batch (table <c>print_batch</c>); only committed batches are ever exported.</summary>
public sealed record PrintBatch(string CampaignId, int BatchNo, string ContentKey, int Letters, string Sha256, DateTimeOffset CreatedAt)
{
    public string ManifestKey => PrintBatchFiles.ManifestKey(CampaignId, BatchNo);
}

/// <summary>
/// One person the next issuance gives a code to. Names and address only for post (no email). For a person under 18 at
/// issuance (<see cref="ForRepresentatives"/>) the email or address is their legal representative's (the first in
/// <c>representative_nir_hashes</c> order, neither opposed nor closed, with an email; else the first with an address)
/// and <see cref="GivenNames"/> are the child's. <see cref="PersonNo"/> is the store's number for the person, which follows
/// the order it stores people in (PostgreSQL: <c>registry_person.person_no</c>, the key of the unique index on valid codes);
/// issuance stores each chunk's codes in that order. 0 from a store that keeps none.
/// </summary>
public sealed record EligiblePerson(
    byte[] NirHash,
    string VaultId,
    bool HasEmail,
    string? GivenNames,
    string? FamilyName,
    PostalAddress? Address,
    bool ForRepresentatives = false,
    long PersonNo = 0)
{
    public CodeChannel Channel => HasEmail ? CodeChannel.Email : CodeChannel.Post;
}

/// <summary>A person's valid code (<see cref="CodeId"/> for the conditional updates) and the registry facts activation checks.</summary>
public sealed record ActivationCodeRecord(
    long CodeId,
    string CampaignId,
    short KeyId,
    byte[] CodeHash,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    int Attempts,
    string VaultId,
    DateOnly? BirthDate,
    byte[]? VitaleHash,
    PersonStatus PersonStatus,
    IReadOnlyList<byte[]>? RepresentativeVitaleHashes = null,
    IReadOnlyList<byte[]>? RepresentativeNirHashes = null,
    bool IdentityClaimed = false,
    AuditChainTip? AuditTip = null)
{
    /// <summary>
    /// <see cref="RepresentativeVitaleHashes"/>: for a minor (no Vitale serial of their own), the Vitale hashes of their legal
    /// representatives' registry rows: the code is activated with the representative's card.
    /// <see cref="RepresentativeNirHashes"/>: those representatives' NIR hashes, in the same order (whose card matched).
    /// <see cref="IdentityClaimed"/>: the person's identity grain recorded a claim (<see cref="IRolloutStore.RecordIdentityClaimAsync"/>):
    /// their activation goes through that grain, which knows the claimed vault.
    /// <see cref="AuditTip"/>: where the audit chain of <see cref="VaultId"/> ended at this read, when the store can append
    /// the activation's event in the settlement's transaction (null otherwise).
    /// </summary>
    public bool PersonRegistered => PersonStatus == PersonStatus.Registered;
}

/// <summary>
/// A group of activation attempts settled in one transaction (<see cref="IRolloutStore.SettleActivationsAsync"/>):
/// the codes whose attempts passed every check (each to be used, atomically with its person marked activated, only if
/// still valid, unexpired at <see cref="ExpiryCutoff"/> and of a registered person), and the refusals (each adds one to
/// the day's tally of its shard and, when it counts, a failed attempt on its valid code). A consume the database
/// refuses becomes a counted refusal of the same code.
/// </summary>
public sealed record ActivationSettlement(
    IReadOnlyList<ActivationConsume> Consume,
    IReadOnlyList<ActivationRefusal> Refusals,
    int MaxAttempts,
    DateTimeOffset Now,
    DateTimeOffset ExpiryCutoff);

/// <summary>
/// A code to use (distinct within a settlement) and its person's NIR hash (for the refusal shard if it loses). With
/// <see cref="Audit"/> (normalised, on the person's vault) and the <see cref="AuditTip"/> read with the code, a store that can
/// appends the event to the vault's chain in the same transaction when the code is used — unless the chain moved since
/// the read — and says so (<see cref="SettledActivations.Audited"/>); otherwise the caller appends it through the audit log.
/// </summary>
public sealed record ActivationConsume(long CodeId, byte[] NirHash, AuditEvent? Audit = null, AuditChainTip? AuditTip = null);

/// <summary>
/// What a settlement did: the codes used, and among them those whose activation event it appended to the vault's audit
/// chain in its own transaction (the others' events are still to be appended).
/// </summary>
public sealed record SettledActivations(IReadOnlySet<long> Used, IReadOnlySet<long> Audited);

/// <summary>A refused attempt: the NIR hash it named, the valid code found (null: none) and whether it counts toward the lock.</summary>
public sealed record ActivationRefusal(byte[] NirHash, long? CodeId, bool CountAttempt);

/// <summary>Outcome of counting a failed attempt: <see cref="Counted"/> false when the code was no longer valid.</summary>
public sealed record FailedAttemptResult(bool Counted, int Attempts, bool Locked);

public sealed record OppositionRequest(byte[] NirHash, OppositionChannel Channel, string RecordedBy, DateTimeOffset At);

/// <summary>
/// The minimal record an opposition leaves, and what recording it did. <see cref="WasActivated"/>: the person had
/// activated (their vault must now be closed). <see cref="AlreadyRecorded"/>: an earlier call recorded it (same receipt).
/// </summary>
public sealed record OppositionResult(
    string ReceiptId,
    DateTimeOffset RecordedAt,
    string VaultId,
    bool AlreadyRecorded,
    bool WasActivated,
    int CodesRevoked);

public sealed record Opposition(byte[] NirHash, DateTimeOffset RecordedAt, OppositionChannel Channel, string RecordedBy, string ReceiptId);

public class RolloutException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Resuming an import with a file whose SHA-256 differs from the one it started with.</summary>
public sealed class ImportFileMismatchException(string importId, string expected, string actual)
    : RolloutException($"import '{importId}' was started with a file of SHA-256 {expected}; this file is {actual}: use a new import id")
{
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
}

/// <summary>An initial load needs an empty registry, and no import may start while one is in progress.</summary>
public sealed class ImportModeException(string message) : RolloutException(message);

/// <summary>Another process moved the import's checkpoint (two importers on one import id).</summary>
public sealed class ImportCheckpointException(string message) : RolloutException(message);

/// <summary>The population file cannot be imported at all (wrong header, unreadable).</summary>
public sealed class PopulationFileException(string message) : RolloutException(message);

/// <summary>
/// An issuance chunk would have given a person a second valid code (the partial unique index refused it): nothing of
/// the chunk was stored; a rerun skips people who now hold a valid code.
/// </summary>
public sealed class IssuanceConflictException(string message, Exception? inner = null) : RolloutException(message, inner);

/// <summary>Another issuance run of the same campaign is in progress.</summary>
public sealed class IssuanceInProgressException(string campaignId)
    : RolloutException($"an issuance run of campaign '{campaignId}' is already in progress");

public sealed class CampaignNotFoundException(string campaignId) : RolloutException($"campaign '{campaignId}' does not exist");

/// <summary>A campaign with this id exists with a different definition, or the campaign is closed.</summary>
public sealed class CampaignConflictException(string message) : RolloutException(message);

/// <summary>
/// One chunk of <c>campaign close-window</c>: where the next chunk starts (<see cref="Next"/>, the store's own cursor), the
/// campaign's codes read, the vaults created, and whether the campaign's codes are all read (<see cref="Done"/>).
/// </summary>
public sealed record WindowCloseChunk(long Next, int CodesRead, int VaultsCreated, bool Done);

/// <summary>The result of <c>campaign close-window</c>.</summary>
public sealed record WindowCloseResult(string CampaignId, DateTimeOffset WindowEndedAt, long CodesRead, long VaultsCreated, int Chunks, TimeSpan Elapsed);
