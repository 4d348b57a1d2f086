using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Text;
using Coffre.Grains.Vaults;
using Orleans.Concurrency;

namespace Coffre.Grains.Identity;

/// <summary>
/// Merges a vault opened without a NIR into the person's vault, in three idempotent steps, each decided and audited by
/// the vault it touches: the source checks and exports (documents' index entries, active referents), the target takes
/// them with provenance (once per source), the source closes as merged into the target. Content stays where it was
/// stored: moved entries keep their content key.
/// </summary>
[StatelessWorker]
[GrainType("vault-merge")]
public sealed class VaultMergeGrain : Grain, IVaultMergeGrain
{
    async Task<MergeReport> IVaultMergeGrain.MergeAsync(Caller caller, string sourceVaultId, string targetVaultId, string reason)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        if (!Ids.IsVaultId(sourceVaultId))
        {
            throw new ValidationFailedException("sourceVaultId", "is not a vault id (v-…)");
        }
        if (!Ids.IsVaultId(targetVaultId) || targetVaultId == sourceVaultId)
        {
            throw new ValidationFailedException("targetVaultId", "must be another vault's id (v-…)");
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length < 10 || reason.Length > 500 || TextRules.Validate(reason) is not null)
        {
            throw new ValidationFailedException("reason", TextRules.Validate(reason) ?? "must state why the two vaults are one person's, in 10 to 500 characters");
        }
        var source = GrainFactory.GetGrain<IVaultGrain>(sourceVaultId);
        var target = GrainFactory.GetGrain<IVaultGrain>(targetVaultId);
        // The target must exist and be open before anything moves.
        var targetView = await target.GetAsync(caller);
        if (targetView.Status is Domain.Vaults.VaultStatus.Closed)
        {
            throw new ValidationFailedException("targetVaultId", "is closed", ErrorCodes.Conflict);
        }
        var bundle = await source.ExportForMergeAsync(caller, targetVaultId);
        var moved = await target.ImportMergeAsync(caller, bundle, reason.Trim());
        await source.CloseAsMergedAsync(caller, targetVaultId, reason.Trim());
        return new MergeReport(sourceVaultId, targetVaultId, moved, DateTimeOffset.UtcNow);
    }
}
