using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Exports;

/// <summary>A vault's exports (state <c>export-v1</c>): its recent jobs, newest last.</summary>
[GenerateSerializer, Alias("coffre.export-state")]
public sealed class ExportState
{
    [Id(0)] public List<ExportJob> Jobs { get; set; } = [];
}

/// <summary>
/// One vault's exports (key <c>export-{vaultId}</c>). Not reentrant: requests, lists, downloads and the runner's reports
/// are served one at a time; the archive itself is built by <see cref="ExportRunnerGrain"/> (one-way call), so a request
/// answers at once. One Orleans reminder (<see cref="ReminderName"/>) while a job is queued or running (every minute: an
/// attempt silent for <see cref="ExportLimits.StaleAfter"/> — its silo died — is started again, up to
/// <see cref="ExportLimits.MaxAttempts"/>, then FAILED) and while an archive waits for its expiry (then hourly: expired
/// archives are deleted). A list or download also expires what is due, so nothing expired is ever served.
/// </summary>
[GrainType("export")]
public sealed class ExportGrain(
    [PersistentState(GrainNames.States.Export, GrainNames.Storage)] IPersistentState<ExportState> state,
    IContentStore content,
    PersonNotifier notifier,
    [FromKeyedServices(ExportGrain.ClockKey)] TimeProvider clock,
    ILogger<ExportGrain> logger) : Grain, IExportGrain, IRemindable
{
    public const string ReminderName = "export-tick";

    /// <summary>The clock exports read (keyed, so a test moves an export's time without moving the silo's).</summary>
    public const string ClockKey = "coffre-export-clock";

    private string VaultId => this.GetPrimaryKeyString()["export-".Length..];
    private DateTimeOffset Now => clock.GetUtcNow();
    private IVaultGrain Vault => GrainFactory.GetGrain<IVaultGrain>(VaultId);

    public async Task<ExportJob> RequestAsync(Caller caller)
    {
        var exportId = "x-" + Ids.NewToken();
        // The vault decides (and records) first: a stranger learns nothing, not even that an export is running.
        await Vault.CheckExportAsync(caller, "export.requested", $"export:{exportId}");
        await ExpireDueAsync();
        if (state.State.Jobs.FirstOrDefault(j => j.InProgress) is { } running)
        {
            throw new ValidationFailedException("vaultId",
                $"already has an export {running.Status.ToString().ToUpperInvariant()} (requested at {running.CreatedAt:O}): wait until it is READY or FAILED",
                ErrorCodes.Conflict);
        }
        var job = new ExportJob(exportId, VaultId, ExportStatus.Queued, Now, caller, 1);
        state.State.Jobs.Add(job);
        await DropOldestAsync();
        await state.WriteStateAsync();
        await ScheduleAsync();
        Dispatch(job);
        ExportLog.Queued(logger, exportId);
        return job;
    }

    public async Task<IReadOnlyList<ExportJob>> ListAsync(Caller caller)
    {
        await Vault.CheckExportAsync(caller, "export.list", "exports");
        await ExpireDueAsync();
        // Each one's exports are theirs: an owner's archive holds documents hidden from the representatives.
        return Enumerable.Reverse(state.State.Jobs).Where(j => IsRequester(j, caller)).ToList();
    }

    public async Task<ExportJob> AuthorizeDownloadAsync(Caller caller, string exportId)
    {
        await Vault.CheckExportAsync(caller, "export.downloaded", $"export:{exportId}");
        await ExpireDueAsync();
        // Another's export answers as a missing one.
        var job = state.State.Jobs.FirstOrDefault(j => j.Id == exportId && IsRequester(j, caller))
            ?? throw new ValidationFailedException("exportId", "names no export of yours in this vault", ErrorCodes.NotFound);
        return job.Status == ExportStatus.Ready && job.Archive is not null
            ? job
            : throw new ValidationFailedException("exportId", $"is {job.Status.ToString().ToUpperInvariant()}, not READY: only a ready export is downloaded", ErrorCodes.Conflict);
    }

    public async Task<ExportWork?> StartAsync(string exportId, int attempt)
    {
        if (Find(exportId) is not { InProgress: true } job || job.Attempt != attempt)
        {
            return null;
        }
        var now = Now;
        Replace(job with { Status = ExportStatus.Running, StartedAt = job.StartedAt ?? now, HeartbeatAt = now });
        await state.WriteStateAsync();
        return new ExportWork(job.Requester, job.CreatedAt);
    }

    public async Task<bool> HeartbeatAsync(string exportId, int attempt)
    {
        if (Find(exportId) is not { Status: ExportStatus.Running } job || job.Attempt != attempt)
        {
            return false;
        }
        Replace(job with { HeartbeatAt = Now });
        await state.WriteStateAsync();
        return true;
    }

    public async Task<bool> CompleteAsync(string exportId, int attempt, ExportArchive archive)
    {
        if (Find(exportId) is not { InProgress: true } job || job.Attempt != attempt)
        {
            return false;
        }
        var now = Now;
        var ready = job with { Status = ExportStatus.Ready, CompletedAt = now, HeartbeatAt = now, ExpiresAt = now + ExportLimits.Availability, Archive = archive };
        Replace(ready);
        await state.WriteStateAsync();
        await ScheduleAsync();
        ExportLog.Ready(logger, exportId, archive.Documents, archive.Size);
        await notifier.NotifyAsync(VaultId, new ExportReadyNotice(exportId, archive.Size, ready.ExpiresAt!.Value, ready.DownloadPath));
        return true;
    }

    public async Task<bool> FailAsync(string exportId, int attempt, string reason)
    {
        if (Find(exportId) is not { InProgress: true } job || job.Attempt != attempt)
        {
            return false;
        }
        Replace(job with { Status = ExportStatus.Failed, CompletedAt = Now, Failure = reason });
        await state.WriteStateAsync();
        await DeleteAttemptsAsync(job);
        await ScheduleAsync();
        ExportLog.Failed(logger, exportId, reason);
        return true;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName)
        {
            return;
        }
        await ExpireDueAsync();
        var now = Now;
        foreach (var job in state.State.Jobs.Where(j => j.InProgress).ToList())
        {
            var lastSign = job.HeartbeatAt ?? job.CreatedAt;
            if (now - lastSign < ExportLimits.StaleAfter)
            {
                continue;
            }
            if (job.Attempt >= ExportLimits.MaxAttempts)
            {
                Replace(job with { Status = ExportStatus.Failed, CompletedAt = now, Failure = $"the export was interrupted {job.Attempt} times (a server stopped while building it); request it again" });
                await DeleteAttemptsAsync(job);
                ExportLog.Failed(logger, job.Id, "interrupted");
            }
            else
            {
                var again = job with { Status = ExportStatus.Queued, Attempt = job.Attempt + 1, HeartbeatAt = now };
                Replace(again);
                Dispatch(again);
                ExportLog.Resumed(logger, job.Id, again.Attempt);
            }
        }
        await state.WriteStateAsync();
        await ScheduleAsync();
    }

    /// <summary>The runner builds the archive; this call returns at once (one-way).</summary>
    private void Dispatch(ExportJob job) =>
        GrainFactory.GetGrain<IExportRunnerGrain>(ExportLimits.RunnerKey(VaultId, job.Id)).RunAsync(VaultId, job.Id, job.Attempt).Ignore();

    private static bool IsRequester(ExportJob job, Caller caller) =>
        job.Requester.Kind == caller.Kind && job.Requester.Subject == caller.Subject;

    private ExportJob? Find(string exportId) => state.State.Jobs.FirstOrDefault(j => j.Id == exportId);

    private void Replace(ExportJob job)
    {
        var i = state.State.Jobs.FindIndex(j => j.Id == job.Id);
        state.State.Jobs[i] = job;
    }

    /// <summary>READY archives past their expiry: deleted from the store, the job kept as EXPIRED.</summary>
    private async Task ExpireDueAsync()
    {
        var now = Now;
        var changed = false;
        foreach (var job in state.State.Jobs.Where(j => j.Status == ExportStatus.Ready && j.ExpiresAt <= now).ToList())
        {
            await DeleteArchiveAsync(job);
            Replace(job with { Status = ExportStatus.Expired });
            changed = true;
        }
        if (changed)
        {
            await state.WriteStateAsync();
        }
    }

    private async Task DropOldestAsync()
    {
        while (state.State.Jobs.Count > ExportLimits.JobsKept && state.State.Jobs.FindIndex(j => !j.InProgress) is var i and >= 0)
        {
            await DeleteArchiveAsync(state.State.Jobs[i]);
            state.State.Jobs.RemoveAt(i);
        }
    }

    /// <summary>
    /// Every attempt's archive key (1..<see cref="ExportJob.Attempt"/>, deletes are idempotent): an attempt whose silo died
    /// after the store write, or whose report failed, leaves no archive behind once the job is FAILED, EXPIRED or dropped.
    /// </summary>
    private async Task DeleteAttemptsAsync(ExportJob job)
    {
        for (var attempt = 1; attempt <= job.Attempt; attempt++)
        {
            await content.DeleteAsync(new ContentKey(ExportLimits.ArchiveKey(VaultId, job.Id, attempt)));
        }
    }

    private async Task DeleteArchiveAsync(ExportJob job)
    {
        if (job.Archive is { } archive)
        {
            await content.DeleteAsync(new ContentKey(archive.ContentKey));
        }
        await DeleteAttemptsAsync(job);
    }

    /// <summary>Every minute while a job is in progress; else hourly from the next expiry; none when nothing waits.</summary>
    private async Task ScheduleAsync()
    {
        var now = Now;
        if (state.State.Jobs.Any(j => j.InProgress))
        {
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            return;
        }
        var nextExpiry = state.State.Jobs.Where(j => j.Status == ExportStatus.Ready).Min(j => j.ExpiresAt);
        if (nextExpiry is { } at)
        {
            var due = at - now < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : at - now;
            await this.RegisterOrUpdateReminder(ReminderName, due, TimeSpan.FromHours(1));
        }
        else if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}

internal static partial class ExportLog
{
    [LoggerMessage(EventId = 2900, Level = LogLevel.Information, Message = "export {ExportId} queued")]
    public static partial void Queued(ILogger logger, string exportId);

    [LoggerMessage(EventId = 2901, Level = LogLevel.Information, Message = "export {ExportId} ready: {Documents} documents, {Size} bytes")]
    public static partial void Ready(ILogger logger, string exportId, int documents, long size);

    [LoggerMessage(EventId = 2902, Level = LogLevel.Warning, Message = "export {ExportId} failed: {Reason}")]
    public static partial void Failed(ILogger logger, string exportId, string reason);

    [LoggerMessage(EventId = 2903, Level = LogLevel.Warning, Message = "export {ExportId} resumed after its runner went silent (attempt {Attempt})")]
    public static partial void Resumed(ILogger logger, string exportId, int attempt);

    [LoggerMessage(EventId = 2904, Level = LogLevel.Error, Message = "export {ExportId}: a document's content failed its SHA-256 check; the archive was discarded")]
    public static partial void IntegrityFailed(ILogger logger, string exportId);
}
