using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Orleans.Concurrency;

namespace Coffre.Grains.Exports;

/// <summary>
/// A vault's exports (key <c>export-{vaultId}</c>): its recent jobs (at most <see cref="ExportLimits.JobsKept"/>), at most
/// one queued or running at a time. Every call is decided by the vault first (<see cref="VaultAction.ExportVault"/>) and
/// recorded in the person's access history (<c>export.requested</c>, <c>export.list</c>, <c>export.downloaded</c>). The
/// archive is built in the background by <see cref="IExportRunnerGrain"/>; an Orleans reminder resumes a job whose
/// runner went silent (a silo lost) and deletes archives once they expire.
/// </summary>
[Alias("coffre.export")]
public interface IExportGrain : IGrainWithStringKey
{
    /// <summary>Queues an export of the vault for the caller and answers at once (QUEUED). CONFLICT while another is queued or running.</summary>
    [Alias("request")] Task<ExportJob> RequestAsync(Caller caller);

    /// <summary>The vault's recent exports, newest first (expired ones marked EXPIRED, their archive deleted).</summary>
    [Alias("list")] Task<IReadOnlyList<ExportJob>> ListAsync(Caller caller);

    /// <summary>A READY export the caller may download (decided and recorded as <c>export.downloaded</c>); NOT_FOUND, or CONFLICT when not ready or expired.</summary>
    [Alias("authorize-download")] Task<ExportJob> AuthorizeDownloadAsync(Caller caller, string exportId);

    // ---- the runner's side (inside the cluster)

    /// <summary>The runner takes attempt <paramref name="attempt"/> of the job: RUNNING; null when that attempt is no longer the job's current one.</summary>
    [Alias("start")] Task<ExportWork?> StartAsync(string exportId, int attempt);

    /// <summary>The runner is alive (false: the attempt was superseded; stop).</summary>
    [Alias("heartbeat")] Task<bool> HeartbeatAsync(string exportId, int attempt);

    /// <summary>The archive is stored: READY until it expires; the person is notified. False (the runner deletes the archive) when the attempt was superseded.</summary>
    [Alias("complete")] Task<bool> CompleteAsync(string exportId, int attempt, ExportArchive archive);

    /// <summary>
    /// The attempt failed for <paramref name="reason"/> (a sentence without personal data): FAILED. True when this marked the
    /// job (the runner then deletes whatever it stored); false when the attempt was superseded or the job already settled.
    /// </summary>
    [Alias("fail")] Task<bool> FailAsync(string exportId, int attempt, string reason);
}

/// <summary>Builds one export's archive (key <see cref="ExportLimits.RunnerKey"/>: one activation per export, so an export never waits behind another's).</summary>
[Alias("coffre.export-runner")]
public interface IExportRunnerGrain : IGrainWithStringKey
{
    /// <summary>Runs attempt <paramref name="attempt"/> of the export; reports to the vault's export grain (one-way: the caller never waits).</summary>
    [OneWay, Alias("run")] Task RunAsync(string vaultId, string exportId, int attempt);
}

public static class ExportLimits
{
    /// <summary>Jobs a vault's export grain keeps (older ones are dropped, their archive deleted).</summary>
    public const int JobsKept = 10;

    /// <summary>How long an archive stays downloadable.</summary>
    public static readonly TimeSpan Availability = TimeSpan.FromDays(7);

    /// <summary>An attempt silent this long (queued and never started, or running without a heartbeat) is taken as lost (its silo died) and started again.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(3);

    /// <summary>Attempts before a job is FAILED for good.</summary>
    public const int MaxAttempts = 3;

    public static string GrainKey(string vaultId) => "export-" + vaultId;

    /// <summary>The runner of one export (an ordinary grain per export).</summary>
    public static string RunnerKey(string vaultId, string exportId) => vaultId + "/" + exportId;

    /// <summary>Where attempt <paramref name="attempt"/> of an export stores its archive.</summary>
    public static string ArchiveKey(string vaultId, string exportId, int attempt) => $"exports/{vaultId}/{exportId}/{attempt}.zip";
}

[GenerateSerializer, Alias("coffre.export-status")]
public enum ExportStatus
{
    Queued = 0,
    Running = 1,
    Ready = 2,
    Failed = 3,
    Expired = 4,
}

/// <summary>One export job as kept and shown (the requester and the archive's key stay inside the cluster).</summary>
[GenerateSerializer, Immutable, Alias("coffre.export-job")]
public sealed record ExportJob(
    [property: Id(0)] string Id,
    [property: Id(1)] string VaultId,
    [property: Id(2)] ExportStatus Status,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] Caller Requester,
    [property: Id(5)] int Attempt,
    [property: Id(6)] DateTimeOffset? StartedAt = null,
    [property: Id(7)] DateTimeOffset? HeartbeatAt = null,
    [property: Id(8)] DateTimeOffset? CompletedAt = null,
    [property: Id(9)] DateTimeOffset? ExpiresAt = null,
    [property: Id(10)] ExportArchive? Archive = null,
    [property: Id(11)] string? Failure = null)
{
    public bool InProgress => Status is ExportStatus.Queued or ExportStatus.Running;

    /// <summary>Where the archive is downloaded (bearer token), once READY.</summary>
    public string DownloadPath => $"/vaults/{VaultId}/exports/{Id}";
}

/// <summary>The stored archive: its content key, size and SHA-256, and how many documents it holds.</summary>
[GenerateSerializer, Immutable, Alias("coffre.export-archive")]
public sealed record ExportArchive(
    [property: Id(0)] string ContentKey,
    [property: Id(1)] long Size,
    [property: Id(2)] string Sha256,
    [property: Id(3)] int Documents);

/// <summary>What the runner needs to build an attempt: who asked (the vault re-decides for them).</summary>
[GenerateSerializer, Immutable, Alias("coffre.export-work")]
public sealed record ExportWork(
    [property: Id(0)] Caller Requester,
    [property: Id(1)] DateTimeOffset CreatedAt);

/// <summary>
/// What the vault gives an export, as the requester may see it: the identity traits, the access state (grants,
/// referents, representatives, carer delegations) and the documents they may read (metadata; the content is read from
/// the store by the runner), with the number left out (hidden from the requester).
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.export-snapshot")]
public sealed record ExportSnapshot(
    [property: Id(0)] string VaultId,
    [property: Id(1)] IdentityTraits? Identity,
    [property: Id(2)] VaultAccessState Access,
    [property: Id(3)] IReadOnlyList<DocumentEntry> Documents,
    [property: Id(4)] int LeftOut,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] LegalBasis Basis);
