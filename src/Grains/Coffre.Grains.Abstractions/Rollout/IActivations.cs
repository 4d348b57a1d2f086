namespace Coffre.Grains.Rollout;

/// <summary>
/// Where the API hands an activation attempt. In a process that is also a silo, the silo's own settler takes it
/// directly (no grain call between the request and the settlement); in a gateway, the activation grain on any silo.
/// Either way the answer and the work are those of <see cref="IActivationGrain.ActivateAsync"/>.
/// </summary>
public interface IActivations
{
    Task<ActivationResult> ActivateAsync(ActivationRequest request);
}

/// <summary>A gateway's <see cref="IActivations"/>: one call to the stateless activation grain, which any silo takes.</summary>
public sealed class GrainActivations(IGrainFactory grains) : IActivations
{
    public Task<ActivationResult> ActivateAsync(ActivationRequest request) => grains.GetGrain<IActivationGrain>(0).ActivateAsync(request);
}
