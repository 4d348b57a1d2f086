namespace Coffre.Grains.Rollout;

/// <summary>The registry of a deployment that imported no population: nobody to find, no code to check.</summary>
public sealed class EmptyRegistry : IVaultRegistry, IActivationStore
{
    public Task<RegistryIdentity?> FindByVaultIdAsync(string vaultId, CancellationToken cancellationToken = default) => Task.FromResult<RegistryIdentity?>(null);

    public Task<ActivationCandidate?> FindCandidateAsync(byte[] nirHash, CancellationToken cancellationToken = default) => Task.FromResult<ActivationCandidate?>(null);

    public Task<bool> RecordFailedAttemptAsync(ActivationCandidate candidate, int maxAttempts, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task<bool> ConsumeAsync(ActivationCandidate candidate, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task MarkActivatedAsync(byte[] nirHash, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task TouchAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}
