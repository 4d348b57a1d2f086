using Coffre.Application.Audit;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;

namespace Coffre.Application.Rollout;

/// <summary>
/// An operator re-issues a person's activation code (a lost letter, a locked or expired code): the one path of the
/// <c>coffre campaign reissue</c> verb and the <c>reissueActivationCode</c> mutation, over
/// <see cref="IssuanceService.ReissueAsync"/>. Refused, before anything is revoked, for someone the registry does not know
/// (NOT_FOUND), who opposed or who already activated (CONFLICT, each with its sentence). Recorded in the person's access
/// history (operation <c>rollout.reissue</c>, the operator's id and roles, the campaign; never the NIR).
/// </summary>
public sealed class CodeReissue(IssuanceService issuance, IRolloutStore store, IAuditLog audit, TimeProvider time)
{
    public const string Operation = "rollout.reissue";

    public async Task<ReissueResult> ReissueAsync(Caller caller, string campaignId, byte[] nirHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var decision = AccessEvaluator.DecideOperator(caller, OperatorAction.Campaigns);
        decision.OrThrow();
        if (!NewCampaign.IsValidId(campaignId))
        {
            throw new ValidationFailedException("campaignId", "must be 1-48 characters of [a-z0-9-], starting with a letter or digit");
        }
        var campaign = await store.GetCampaignAsync(campaignId, cancellationToken).ConfigureAwait(false)
            ?? throw new ValidationFailedException("campaignId", "names no campaign", ErrorCodes.NotFound);
        var person = await store.FindPersonAsync(nirHash, cancellationToken).ConfigureAwait(false)
            ?? throw new ValidationFailedException("nir", "names no person of the registry", ErrorCodes.NotFound);
        if (person.Opposed)
        {
            throw new ValidationFailedException("nir", "names a person who opposed their vault: no activation code is issued to them", ErrorCodes.Conflict);
        }
        if (person.Status == PersonStatus.Activated)
        {
            throw new ValidationFailedException("nir",
                "names a person who already activated their vault: they sign in with their passphrase (or get a hand-over sheet), not a new code",
                ErrorCodes.Conflict);
        }
        // Checked before anything is revoked: naming the wrong campaign must not cost the person the code they hold.
        if (campaign.Departements is { } segment && (person.Departement is not { } departement || !segment.Contains(departement)))
        {
            throw new ValidationFailedException("campaignId",
                "names a campaign whose départements do not include this person's: re-issue through the campaign that covers them");
        }
        var result = await issuance.ReissueAsync(campaignId, nirHash, cancellationToken).ConfigureAwait(false);
        await audit.AppendAsync(AuditEvents.Create(person.VaultId, caller, Operation, "campaign:" + campaignId, decision, time.GetUtcNow()),
            cancellationToken).ConfigureAwait(false);
        return result;
    }
}
