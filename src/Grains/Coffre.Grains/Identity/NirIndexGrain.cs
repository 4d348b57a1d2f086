using Coffre.Domain.Access;

namespace Coffre.Grains.Identity;

[GrainType("nir-index")]
public sealed class NirIndexGrain(
    [PersistentState(GrainNames.States.NirIndex, GrainNames.Storage)] IPersistentState<NirIndexState> state,
    HabilitationMatrix matrix) : Grain, INirIndexGrain
{
    Task<string?> INirIndexGrain.FindAsync(Caller caller)
    {
        if (caller.Kind == CallerKind.Anonymous)
        {
            throw new AccessDeniedException("sign in first", DenialReason.NotAuthenticated);
        }
        if (caller.Kind is not (CallerKind.Operator or CallerKind.Professional))
        {
            throw new AccessDeniedException("only operators and professionals look people up by NIR");
        }
        (caller.IsOperator ? AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport) : AccessEvaluator.ProfessionalStanding(caller))?.OrThrow();
        if (state.State.VaultId is null)
        {
            // No vault for this NIR: nothing to keep in memory.
            this.DeactivateOnIdle();
        }
        return Task.FromResult(state.State.VaultId);
    }

    async Task<string> INirIndexGrain.ClaimAsync(Caller caller, string vaultId)
    {
        // Only someone who may open a vault may bind a NIR to it: nobody can squat a person's NIR.
        VaultOpening.Decide(caller, matrix, consentRecorded: true).OrThrow();
        if (state.State.VaultId is { } existing)
        {
            return existing;
        }
        state.State.VaultId = vaultId;
        await state.WriteStateAsync();
        return vaultId;
    }
}

[GenerateSerializer, Alias("coffre.nir-index-state")]
public sealed class NirIndexState
{
    [Id(0)]
    public string? VaultId { get; set; }
}
