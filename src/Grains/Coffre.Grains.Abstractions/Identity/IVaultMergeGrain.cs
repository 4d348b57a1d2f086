using Coffre.Domain.Access;

namespace Coffre.Grains.Identity;

/// <summary>
/// The operator procedure that merges a vault opened without a NIR (source) into the person's vault (target): the
/// source's documents move with their provenance, its active referents follow, the source closes as merged into the
/// target; both vaults' audit chains record it and the person is notified on both. Re-running a merge that stopped
/// half-way completes it (each step is idempotent). A stateless worker: the workflow, not a state.
/// </summary>
[Alias("coffre.vault-merge")]
public interface IVaultMergeGrain : IGrainWithIntegerKey
{
    [Alias("merge")] Task<MergeReport> MergeAsync(Caller caller, string sourceVaultId, string targetVaultId, string reason);
}

[GenerateSerializer, Immutable, Alias("coffre.merge-report")]
public sealed record MergeReport(
    [property: Id(0)] string SourceVaultId,
    [property: Id(1)] string TargetVaultId,
    [property: Id(2)] int DocumentsMoved,
    [property: Id(3)] DateTimeOffset MergedAt);
