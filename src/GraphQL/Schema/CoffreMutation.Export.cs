using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>Exports: the vault's export grain asks the vault to decide and record first.</summary>
public sealed partial class CoffreMutation
{
    private void AddExportMutations() =>
        VaultMutation<VaultRefInputType, VaultRefInput, RequestVaultExportPayloadType>("requestVaultExport",
            "Queues an export of the whole vault (the person, or a parent or tutor representing them) and answers at once with the job (QUEUED); " +
            "it is built in the background, the person is notified (EXPORT_READY) and Vault.exports shows it READY with its download path. " +
            "CONFLICT while another export of the vault is queued or running.",
            async (ctx, vault, caller, _) => await ctx.Exports(vault.GetPrimaryKeyString()).RequestAsync(caller));
}
