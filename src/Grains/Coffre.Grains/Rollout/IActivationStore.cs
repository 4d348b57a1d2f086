using Coffre.Domain.Documents;

namespace Coffre.Grains.Rollout;

/// <summary>What activation needs from the registry (PostgreSQL in a cluster, memory when embedded).</summary>
public interface IActivationStore
{
    /// <summary>The person's one valid code and the registry facts activation checks; null when none.</summary>
    Task<ActivationCandidate?> FindCandidateAsync(byte[] nirHash, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a refusal with the same durable work whatever the case (one statement that writes and commits); counts
    /// a failed attempt on the candidate's code only when <paramref name="countAttempt"/> (the person's secrets were
    /// proven). True when the code is now locked.
    /// </summary>
    Task<bool> RecordRefusalAsync(byte[] nirHash, ActivationCandidate? candidate, bool countAttempt, int maxAttempts, CancellationToken cancellationToken = default);

    /// <summary>Marks the code used; true only for the one call that won (single use under concurrency).</summary>
    Task<bool> ConsumeAsync(ActivationCandidate candidate, CancellationToken cancellationToken = default);

    Task MarkActivatedAsync(byte[] nirHash, CancellationToken cancellationToken = default);
}

/// <summary>The registry's view of a person, from which a vault takes its initial state on first use.</summary>
public interface IVaultRegistry
{
    Task<RegistryIdentity?> FindByVaultIdAsync(string vaultId, CancellationToken cancellationToken = default);
}

public sealed record ActivationCandidate(
    long CodeId,
    short KeyId,
    byte[] CodeHash,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    int Attempts,
    DateOnly BirthDate,
    byte[]? VitaleHash,
    string VaultId,
    bool PersonRegistered);

[GenerateSerializer, Immutable, Alias("coffre.registry-identity")]
public sealed record RegistryIdentity(
    [property: Id(0)] IdentityTraits Identity,
    [property: Id(1)] bool IsMinor,
    [property: Id(2)] IReadOnlyList<string> RepresentativeVaultIds,
    [property: Id(3)] bool Opposed);
