using System.IO.Pipelines;
using Coffre.Application.Fhir;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Grains.Profile;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Exports;

/// <summary>
/// Builds one attempt of an export: takes it from the vault's export grain (RUNNING), asks the vault for what the
/// requester may export (decided again, recorded <c>export.build</c>) and the profile for what of the medical profile
/// they may read (decided and recorded by the profile), and streams the zip through a pipe straight into
/// the content store under <c>exports/{vaultId}/{exportId}/{attempt}.zip</c> — the store hashes it on the way (the
/// archive's SHA-256 and size go on the job). A failure (a document whose bytes fail their SHA-256, the store down, the
/// requester no longer allowed) leaves no archive: the pipe is completed with the error, so the store keeps nothing,
/// and the job is FAILED with a sentence; should the archive be stored and the job then not take it (the report failed),
/// the runner deletes it once the job is FAILED. One activation per export (key <see cref="ExportLimits.RunnerKey"/>), so a
/// queued export starts at once instead of waiting behind others' (a wait would be taken for a lost attempt).
/// </summary>
[GrainType("export-runner")]
public sealed class ExportRunnerGrain(IContentStore content, IFhirMapper fhir, ILogger<ExportRunnerGrain> logger) : Grain, IExportRunnerGrain
{
    public async Task RunAsync(string vaultId, string exportId, int attempt)
    {
        var exports = GrainFactory.GetGrain<IExportGrain>(ExportLimits.GrainKey(vaultId));
        if (await exports.StartAsync(exportId, attempt) is not { } work)
        {
            return;
        }
        var key = new ContentKey(ExportLimits.ArchiveKey(vaultId, exportId, attempt));
        try
        {
            var vault = GrainFactory.GetGrain<IVaultGrain>(vaultId);
            var snapshot = await vault.GetExportSnapshotAsync(work.Requester, exportId);
            var (stored, result) = await StoreAsync(content, key, output => new ExportArchiveWriter(content, fhir).WriteAsync(output, exportId, snapshot,
                (before, limit) => vault.ReadExportHistoryAsync(work.Requester, before, limit),
                () => GrainFactory.GetGrain<IProfileGrain>(GrainNames.Keys.Profile(vaultId)).ReadForFhirAsync(work.Requester, null),
                async () =>
                {
                    if (!await exports.HeartbeatAsync(exportId, attempt))
                    {
                        throw new OperationCanceledException("the export attempt was superseded");
                    }
                }, CancellationToken.None));
            if (!await exports.CompleteAsync(exportId, attempt, new ExportArchive(key.Value, stored.Length, stored.Sha256, result.Documents)))
            {
                await content.DeleteAsync(key);
            }
        }
        catch (Exception e)
        {
            var reason = e switch
            {
                ContentIntegrityException => "a document's stored content failed its SHA-256 check: no archive was kept (support has been alerted)",
                AccessDeniedException denied => "the vault no longer lets the requester export it: " + denied.Reason,
                OperationCanceledException => "the export was started again elsewhere",
                ContentStoreUnavailableException => "the content store could not be reached: request the export again later",
                _ => "the export could not be built (" + e.GetType().Name + "): request it again",
            };
            if (e is ContentIntegrityException)
            {
                ExportLog.IntegrityFailed(logger, exportId);
            }
            if (await exports.FailAsync(exportId, attempt, reason))
            {
                // The archive may be stored already (the report after the write failed): nothing references it now.
                await content.DeleteAsync(key);
            }
        }
    }

    /// <summary>
    /// Streams what <paramref name="write"/> produces into the store under <paramref name="key"/> through a pipe (never the
    /// whole archive in memory); an exception in the writer completes the pipe with it, so the store discards the write.
    /// </summary>
    public static async Task<(StoredContent Stored, T Result)> StoreAsync<T>(IContentStore store, ContentKey key, Func<Stream, Task<T>> write)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        var upload = Task.Run(async () =>
        {
            try
            {
                await using var input = pipe.Reader.AsStream();
                return await store.WriteAsync(key, input);
            }
            catch (Exception e)
            {
                await pipe.Reader.CompleteAsync(e);
                throw;
            }
        });
        T result;
        try
        {
            await using (var output = pipe.Writer.AsStream(leaveOpen: true))
            {
                result = await write(output);
                await output.FlushAsync();
            }
            await pipe.Writer.CompleteAsync();
        }
        catch (Exception e)
        {
            await pipe.Writer.CompleteAsync(e);
            try
            {
                await upload;
            }
            catch
            {
                // The writer's failure is the one to report; the store saw the same error and kept nothing.
            }
            throw;
        }
        return (await upload, result);
    }
}
