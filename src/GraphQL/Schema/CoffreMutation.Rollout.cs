using Coffre.Grains.Rollout;
using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>The rollout operators' mutations that are not on a vault.</summary>
public sealed partial class CoffreMutation
{
    private void AddRolloutOperations() =>
        Mutation<ReissueActivationCodeInputType, ReissueActivationCodeInput, ReissueActivationCodePayloadType>("reissueActivationCode",
            "Re-issues a person's activation code (lost letter, locked or expired code): their codes are revoked and a new one is sent " +
            "by email, else by letter in a new print batch. Operators with the rollout role; recorded in the person's access history. " +
            "userErrors: VALIDATION (nir, campaignId), NOT_FOUND (no such campaign or registry person), CONFLICT (the person opposed or " +
            "already activated, or the campaign is closed).",
            async (ctx, caller, input) => (await ctx.Grains().GetGrain<IRolloutOperationsGrain>(0).ReissueAsync(caller, input.CampaignId, input.Nir), null));
}
