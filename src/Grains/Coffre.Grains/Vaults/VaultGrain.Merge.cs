using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>Merging a duplicate vault into another: export from the source, import into the target, close the source.</summary>
public sealed partial class VaultGrain
{
    async Task<MergeBundle> IVaultGrain.ExportForMergeAsync(Caller caller, string targetVaultId)
    {
        await CheckAsync(caller, VaultAction.MergeVaults, null, "vault.merge-export", $"vault:{targetVaultId}");
        if (targetVaultId == VaultId || !Ids.IsVaultId(targetVaultId))
        {
            throw new ValidationFailedException("targetVaultId", "must be another vault's id (v-…)");
        }
        if (vault.State.MergedInto is { } into && into != targetVaultId)
        {
            throw new ValidationFailedException("sourceVaultId", "was already merged into another vault", ErrorCodes.Conflict);
        }
        if (vault.State.MergedInto is null && Access.Status is VaultStatus.Closed)
        {
            throw new ValidationFailedException("sourceVaultId", "is closed", ErrorCodes.Conflict);
        }
        if (vault.State.Identity?.NirMasked is not null)
        {
            throw new ValidationFailedException("sourceVaultId", "has a NIR: only a vault opened without a NIR merges into the person's vault", ErrorCodes.Conflict);
        }
        var now = Now;
        return new MergeBundle(VaultId,
            [.. index.State.Documents.Where(d => d.DeletedAt is null)],
            [.. Access.Referents.Where(r => r.IsActive(now))]);
    }

    async Task<int> IVaultGrain.ImportMergeAsync(Caller caller, MergeBundle bundle, string reason)
    {
        await CheckAsync(caller, VaultAction.MergeVaults, null, "vault.merge-in", $"vault:{bundle.SourceVaultId}");
        if (vault.State.MergedFrom.Contains(bundle.SourceVaultId))
        {
            return 0;
        }
        if (Access.Status is VaultStatus.Closed)
        {
            throw new ValidationFailedException("targetVaultId", "is closed", ErrorCodes.Conflict);
        }
        var now = Now;
        var ids = bundle.Documents.ToDictionary(d => d.Id, d => index.State.Documents.Any(e => e.Id == d.Id) ? $"{d.Id}-m{Ids.NewToken()[..4]}" : d.Id);
        foreach (var d in bundle.Documents)
        {
            index.State.Documents.Add(d with
            {
                Id = ids[d.Id],
                Replaces = d.Replaces is { } r && ids.TryGetValue(r, out var rr) ? rr : d.Replaces,
                ReplacedBy = d.ReplacedBy is { } b && ids.TryGetValue(b, out var bb) ? bb : d.ReplacedBy,
                MergedFromVaultId = d.MergedFromVaultId ?? bundle.SourceVaultId,
                MergedFromDocumentId = d.MergedFromDocumentId ?? d.Id,
                MergedAt = now,
            });
        }
        await index.WriteStateAsync();
        var before = Access.Referents;
        var referents = before.ToList();
        foreach (var r in bundle.Referents.Where(r => !referents.Any(t => t.Rpps == r.Rpps && t.IsActive(now))))
        {
            referents.Add(r);
        }
        vault.State.Access = Access with { Referents = referents };
        vault.State.UsedBytes += bundle.Documents.Sum(d => d.Size);
        vault.State.MergedFrom.Add(bundle.SourceVaultId);
        await WriteReferentsAsync(before);
        VaultLog.ClosedAsMerged(logger);
        await NotifyAsync(new VaultMergedNotice(bundle.SourceVaultId, VaultId, AuditEvents.ActorId(caller), reason, now, bundle.Documents.Count));
        return bundle.Documents.Count;
    }

    async Task IVaultGrain.CloseAsMergedAsync(Caller caller, string targetVaultId, string reason)
    {
        await CheckAsync(caller, VaultAction.MergeVaults, null, "vault.merge-out", $"vault:{targetVaultId}");
        if (vault.State.MergedInto == targetVaultId)
        {
            return;
        }
        vault.State.MergedInto = targetVaultId;
        vault.State.Access = Access with { Status = VaultStatus.Closed };
        vault.State.HandOver = vault.State.HandOver is { Status: HandOverStatus.Valid } h ? h with { Status = HandOverStatus.Replaced } : vault.State.HandOver;
        await WriteReferentsAsync(Access.Referents);
        await StopAgendaAsync();
        await NotifyAsync(new VaultMergedNotice(VaultId, targetVaultId, AuditEvents.ActorId(caller), reason, Now));
    }
}
