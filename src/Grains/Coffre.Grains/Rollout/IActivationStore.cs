using Coffre.Application.Audit;
using Coffre.Application.Rollout;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Rollout;

/// <summary>What activation needs from the registry (PostgreSQL in a cluster, memory when embedded), a group at a time.</summary>
public interface IActivationStore
{
    /// <summary>Each person's one valid code and the registry facts activation checks, in one read; position i answers hash i (null when none).</summary>
    Task<IReadOnlyList<ActivationCandidate?>> FindCandidatesAsync(IReadOnlyList<byte[]> nirHashes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Settles a group in one transaction whatever its mix: uses the codes of <paramref name="consume"/> still usable
    /// (single use under concurrency decided by the store; a lost consume becomes a counted refusal) and marks their
    /// people activated; records every refusal (the day's tally by shard, and a failed attempt on the code when it
    /// counts, locking it at the configured maximum). Returns the code ids used, and those whose activation event
    /// (<see cref="ActivationConsume.Audit"/>) it appended in the same transaction. Nothing is applied when it throws.
    /// </summary>
    Task<SettledActivations> SettleAsync(IReadOnlyList<ActivationConsume> consume, IReadOnlyList<ActivationRefusal> refusals, DateTimeOffset now,
        CancellationToken cancellationToken = default);
}

/// <summary>The registry's view of a person, from which a vault takes its initial state on first use.</summary>
public interface IVaultRegistry
{
    Task<RegistryIdentity?> FindByVaultIdAsync(string vaultId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records, before a person's identity grain opens or attaches a vault for them, that it claims one: their activation
    /// then goes through that grain (<see cref="ActivationCandidate.IdentityClaimed"/>) instead of settling in the registry alone.
    /// </summary>
    Task RecordClaimAsync(byte[] nirHash, CancellationToken cancellationToken = default);
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
    bool PersonRegistered,
    IReadOnlyList<byte[]>? RepresentativeVitaleHashes = null,
    IReadOnlyList<byte[]>? RepresentativeNirHashes = null,
    bool IdentityClaimed = false,
    AuditChainTip? AuditTip = null);

[GenerateSerializer, Immutable, Alias("coffre.registry-identity")]
public sealed record RegistryIdentity(
    [property: Id(0)] IdentityTraits Identity,
    [property: Id(1)] bool IsMinor,
    [property: Id(2)] IReadOnlyList<string> RepresentativeVaultIds,
    [property: Id(3)] bool Opposed,
    [property: Id(4)] bool Activated = false,
    [property: Id(5)] DateOnly? BirthDate = null,
    [property: Id(6)] DateTimeOffset? OppositionWindowEndsAt = null,
    [property: Id(7)] bool Created = false)
{
    /// <summary>
    /// The vault's status as the registry makes it true: pending until the person's code is used, active once it is
    /// (activation writes no vault state) or once their opposition window closed without opposition (<see cref="Created"/>), closed when the person opposed after activating; null when the person opposed
    /// before (no vault).
    /// </summary>
    public VaultStatus? Status => (Opposed, Activated) switch
    {
        (false, false) => Created ? VaultStatus.Active : VaultStatus.Pending,
        (false, true) => VaultStatus.Active,
        (true, true) => VaultStatus.Closed,
        _ => null,
    };
}
