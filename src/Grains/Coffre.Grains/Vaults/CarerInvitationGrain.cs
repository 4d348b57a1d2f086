using Coffre.Domain.Access;

namespace Coffre.Grains.Vaults;

/// <summary>
/// Where a carer invitation's reference leads (state <c>carer-invitation-v1</c>): the issuing vault and until when. The
/// invitation itself (the code's keyed hash, its attempts) stays in that vault, which alone decides the acceptance.
/// </summary>
[GrainType("carer-invitation")]
public sealed class CarerInvitationGrain(
    [PersistentState(GrainNames.States.CarerInvitation, GrainNames.Storage)] IPersistentState<CarerInvitationRoute> state,
    TimeProvider clock) : Grain, ICarerInvitationGrain
{
    async Task<bool> ICarerInvitationGrain.RegisterAsync(Caller caller, string vaultId, DateTimeOffset expiresAt)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        if (state.State.VaultId is not null && clock.GetUtcNow() < state.State.ExpiresAt)
        {
            return false;
        }
        state.State.VaultId = vaultId;
        state.State.ExpiresAt = expiresAt;
        await state.WriteStateAsync();
        return true;
    }

    Task<string?> ICarerInvitationGrain.VaultOfAsync() =>
        Task.FromResult(state.State.VaultId is { } vaultId && clock.GetUtcNow() < state.State.ExpiresAt ? vaultId : null);
}

[GenerateSerializer, Alias("coffre.carer-invitation-route-state")]
public sealed class CarerInvitationRoute
{
    [Id(0)] public string? VaultId { get; set; }
    [Id(1)] public DateTimeOffset ExpiresAt { get; set; }
}
