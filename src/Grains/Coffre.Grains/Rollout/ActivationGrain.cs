using Orleans.Concurrency;

namespace Coffre.Grains.Rollout;

/// <summary>
/// A gateway's way to a silo's <see cref="SiloActivations"/> (the API co-hosted with a silo calls that directly). A
/// stateless, reentrant worker: it holds no state and only waits on the settler, so one activation takes many attempts at
/// once.
/// </summary>
[StatelessWorker]
[Reentrant]
[GrainType("activation")]
public sealed class ActivationGrain(SiloActivations activations) : Grain, IActivationGrain
{
    Task<ActivationResult> IActivationGrain.ActivateAsync(ActivationRequest request) => activations.ActivateAsync(request);
}
