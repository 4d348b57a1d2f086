using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>Carers (invite, accept, end) and break-glass review (flag, resolve): every step decided and audited by the person's vault.</summary>
public sealed partial class CoffreMutation
{
    private void AddCarerMutations()
    {
        Mutation<InviteCarerInputType, InviteCarerInput, InviteCarerPayloadType>("inviteCarer",
            "The person (or a parent or tutor) invites a carer (aidant): document classes, actions (READ, DEPOSIT, MANAGE_APPOINTMENTS), until when " +
            "(at most a year), a label. Returns a one-time code to give the carer (valid 72 hours, 5 wrong codes lock it). At most 10 live delegations per vault.",
            async (ctx, caller, input) =>
            {
                var vaultId = VaultIdOf(input.VaultId);
                var request = new CarerInvitationRequest(input.ClassCodes, CarerActionMapping.ToFlags(input.Actions), input.Until, input.Label);
                return (await ctx.Grains().GetGrain<IVaultCarersGrain>(vaultId).InviteCarerAsync(caller, request), vaultId);
            });

        Mutation<AcceptCarerInvitationInputType, AcceptCarerInvitationInput, AcceptCarerInvitationPayloadType>("acceptCarerInvitation",
            "The carer, signed in as themself, accepts the person's invitation with its code: the delegation starts at once (the person's consent " +
            "recorded IN_APP) and the person is notified. Every refusal answers CARER_INVITATION_REFUSED on code.",
            async (ctx, caller, input) =>
            {
                if (!CarerRules.TrySplitCode(input.Code, out var reference, out var code))
                {
                    throw new ValidationFailedException("code", "does not match a valid carer invitation: ask the person for a new one", CarerRules.InvitationRefused);
                }
                RequireAttemptAllowedFor(ctx, "carer-invitation:" + reference);
                var vaultId = await ctx.Grains().GetGrain<ICarerInvitationGrain>(GrainNames.Keys.CarerInvitation(reference)).VaultOfAsync()
                    ?? throw new ValidationFailedException("code", "does not match a valid carer invitation: ask the person for a new one", CarerRules.InvitationRefused);
                return (await ctx.Grains().GetGrain<IVaultCarersGrain>(vaultId).AcceptCarerInvitationAsync(caller, reference, code), vaultId);
            });

        Mutation<RecordCarerDelegationInputType, RecordCarerDelegationInput, RecordCarerDelegationPayloadType>("recordCarerDelegation",
            "A social or médico-social referent of the person records a carer delegation for a person far from digital tools, with their consent " +
            "on paper (SIGNED_PAPER) or witnessed orally (ORAL_WITNESSED) and its evidence; the carer is named by their own vault id. Starts at once; the person is notified.",
            async (ctx, caller, input) =>
            {
                var vaultId = VaultIdOf(input.VaultId);
                var record = new CarerDelegationRecord(GlobalId.VaultId(input.CarerVaultId) ?? input.CarerVaultId,
                    new CarerInvitationRequest(input.ClassCodes, CarerActionMapping.ToFlags(input.Actions), input.Until, input.Label), input.ConsentMethod, input.Evidence);
                return (await ctx.Grains().GetGrain<IVaultCarersGrain>(vaultId).RecordCarerDelegationAsync(caller, record), vaultId);
            });

        Mutation<EndCarerDelegationInputType, EndCarerDelegationInput, EndCarerDelegationPayloadType>("endCarerDelegation",
            "Ends a carer delegation at once: the person, a parent or tutor, or the carer themself. The person is notified.",
            async (ctx, caller, input) =>
            {
                var vaultId = VaultIdOf(input.VaultId);
                return (await ctx.Grains().GetGrain<IVaultCarersGrain>(vaultId).EndCarerDelegationAsync(caller, input.DelegationId), vaultId);
            });

        Mutation<FlagBreakGlassSessionInputType, FlagBreakGlassSessionInput, FlagBreakGlassSessionPayloadType>("flagBreakGlassSession",
            "\"I don't recognise this access\": the person (or a parent or tutor) flags a break-glass session, once (CONFLICT after); a review case opens " +
            "for support operators, and its outcome shows on the session's review.",
            async (ctx, caller, input) =>
            {
                var vaultId = VaultIdOf(input.VaultId);
                return (await ctx.Grains().GetGrain<IVaultBreakGlassReviewGrain>(vaultId).FlagBreakGlassSessionAsync(caller, input.SessionId, input.Comment), vaultId);
            });

        Mutation<ResolveBreakGlassReviewInputType, ResolveBreakGlassReviewInput, ResolveBreakGlassReviewPayloadType>("resolveBreakGlassReview",
            "Support operators record a review's outcome (JUSTIFIED or NOT_JUSTIFIED) with a note shown to the person, who is notified. CONFLICT when already resolved.",
            async (ctx, caller, input) =>
            {
                var queue = ctx.Grains().GetGrain<IBreakGlassReviewQueueGrain>(0);
                var reviewCase = await queue.GetAsync(caller, input.CaseId);
                await ctx.Grains().GetGrain<IVaultBreakGlassReviewGrain>(reviewCase.VaultId)
                    .ResolveBreakGlassReviewAsync(caller, reviewCase.SessionId, reviewCase.CaseId, input.Outcome, input.Note);
                return (await queue.GetAsync(caller, input.CaseId), reviewCase.VaultId);
            });
    }
}
