using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Grains.Exports;

namespace Coffre.Grains.Vaults;

/// <summary>Exports: the decision (<see cref="VaultAction.ExportVault"/>) and what an export may carry for its requester.</summary>
public sealed partial class VaultGrain
{
    async Task<LegalBasis> IVaultGrain.CheckExportAsync(Caller caller, string operation, string target)
    {
        var decision = await CheckAsync(caller, VaultAction.ExportVault, null, operation, target);
        return decision.Basis;
    }

    async Task<ExportSnapshot> IVaultGrain.GetExportSnapshotAsync(Caller caller, string exportId)
    {
        var decision = await CheckAsync(caller, VaultAction.ExportVault, null, "export.build", $"export:{exportId}");
        var now = Now;
        var documents = new List<DocumentEntry>();
        var leftOut = 0;
        foreach (var document in index.State.Documents)
        {
            if (document.DeletedAt is not null)
            {
                continue;
            }
            // Each document as the requester would read it: hidden ones (from the person, from representatives) stay out.
            if (evaluator.Decide(Access, caller, VaultAction.ReadDocument, document.Facts(), now).Allowed)
            {
                documents.Add(document);
            }
            else
            {
                leftOut++;
            }
        }
        return new ExportSnapshot(VaultId, vault.State.Identity, Access, documents, leftOut, now, decision.Basis);
    }

    async Task<AccessHistoryPage> IVaultGrain.ReadExportHistoryAsync(Caller caller, long? beforeSequence, int limit)
    {
        if (limit is < 1 or > 200)
        {
            throw new ValidationFailedException("limit", "must be between 1 and 200");
        }
        _ = Access;
        var decision = evaluator.Decide(Access, caller, VaultAction.ExportVault, null, Now);
        if (!decision.Allowed)
        {
            await RecordAsync(caller, "export.history", "vault", decision, Now);
        }
        await AppendAllAsync(_denials.TakePending());
        var page = await audit.ReadAsync(VaultId, beforeSequence, limit);
        return new AccessHistoryPage(page.Items.Select(e => new AccessHistoryEntry(e.Sequence, e.Event)).ToList(), page.HasMore, page.TotalCount);
    }
}
