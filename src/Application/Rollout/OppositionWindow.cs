using System.Diagnostics;

namespace Coffre.Application.Rollout;

/// <summary>
/// The end of a campaign's opposition window ("otherwise the profile is created automatically 6 weeks after the letter
/// is sent"): <c>coffre campaign close-window --id ID</c>. Once the window has ended, every person the campaign sent a
/// code who neither opposed nor activated gets <c>registry_person.window_closed_at</c>, which their vault grain maps to
/// ACTIVE (created). Set-based: one statement per chunk of the campaign's codes (PostgreSQL: a range of the code table's
/// blocks), each under the bulk
/// command timeout. Idempotent (people already created, opposed or activated are left alone) and resumable (a rerun
/// walks the codes again and changes only what the interrupted run had not reached).
/// </summary>
/// <remarks>
/// Before the run, from the window's end on, the evaluator already lets deposits in again (the window's effect is a rule
/// on the date); the run is what makes the vault ACTIVE. Nothing runs it on its own: the operator (or a scheduled job)
/// runs it after the window's end, and before that date it is refused (CampaignConflictException: exit 5).
/// </remarks>
public sealed class OppositionWindow(IRolloutStore store, TimeProvider time)
{
    public async Task<WindowCloseResult> CloseAsync(string campaignId, int chunkSize = 250_000, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var campaign = await store.GetCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false)
            ?? throw new CampaignNotFoundException(campaignId);
        var now = time.GetUtcNow();
        if (now < campaign.OppositionWindowEndsAt)
        {
            throw new CampaignConflictException(
                $"campaign '{campaignId}': its opposition window ends at {campaign.OppositionWindowEndsAt:yyyy-MM-ddTHH:mm:ssZ}; people may still oppose until then");
        }
        var clock = Stopwatch.StartNew();
        long after = 0, codes = 0, created = 0;
        var chunks = 0;
        while (true)
        {
            var chunk = await store.CloseOppositionWindowChunkAsync(campaignId, after, chunkSize, now, cancellationToken).ConfigureAwait(false);
            chunks++;
            codes += chunk.CodesRead;
            created += chunk.VaultsCreated;
            after = chunk.Next;
            progress?.Report(codes);
            if (chunk.Done)
            {
                break;
            }
        }
        return new WindowCloseResult(campaignId, campaign.OppositionWindowEndsAt, codes, created, chunks, clock.Elapsed);
    }
}
