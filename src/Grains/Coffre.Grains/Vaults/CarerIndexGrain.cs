using Coffre.Domain.Access;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The delegations naming one person as carer (key <c>carers-{vault id}</c>, state <c>carer-index-v1</c>): the live ones and
/// those ended or expired within a year, at most 50. Written by vault grains only, read by the carer themself.
/// </summary>
[GrainType("carer-index")]
public sealed class CarerIndexGrain(
    [PersistentState(GrainNames.States.CarerIndex, GrainNames.Storage)] IPersistentState<CarerIndexState> state,
    TimeProvider clock) : Grain, ICarerIndexGrain
{
    private const int Kept = 50;

    private string CarerVaultId => this.GetPrimaryKeyString()["carers-".Length..];

    async Task ICarerIndexGrain.NoteAsync(Caller caller, CaringFor entry)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        var now = clock.GetUtcNow();
        state.State.Entries = [.. state.State.Entries
            .Where(c => c.DelegationId != entry.DelegationId && (c.StatusAt(now) == CarerDelegationStatus.Active || (c.EndedAt ?? c.Until) >= now.AddYears(-1)))
            .TakeLast(Kept - 1), entry];
        await state.WriteStateAsync();
    }

    Task<IReadOnlyList<CaringFor>> ICarerIndexGrain.ListAsync(Caller caller)
    {
        if (caller.Kind != CallerKind.Patient || caller.VaultId != CarerVaultId)
        {
            throw new AccessDeniedException("Only the person themself sees whom they are a carer for.", DenialReason.NotPermitted);
        }
        return Task.FromResult<IReadOnlyList<CaringFor>>([.. state.State.Entries.AsEnumerable().Reverse()]);
    }
}

[GenerateSerializer, Alias("coffre.carer-index-state")]
public sealed class CarerIndexState
{
    [Id(0)] public List<CaringFor> Entries { get; set; } = [];
}
