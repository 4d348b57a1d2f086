using Coffre.Application.Outbox;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Grains.Vaults;
using Orleans.Concurrency;

namespace Coffre.Grains.Delivery;

/// <summary>
/// Support operators' view of the outbox: decided by <see cref="AccessEvaluator.DecideOperator"/> (role Support), then
/// one message or one vault's messages, newest first, as delivery records (never payloads nor addresses). A vault's
/// messages are read through its vault grain, which decides again and records the read in the person's history
/// (<c>deliveries.support-read</c>); an unknown vault is NOT_FOUND.
/// </summary>
[StatelessWorker]
[Reentrant]
[GrainType("delivery-support")]
public sealed class DeliverySupportGrain(IOutbox outbox) : Grain, IDeliverySupportGrain
{
    async Task<DeliveryPage> IDeliverySupportGrain.ListAsync(Caller caller, Guid? messageId, string? vaultId, int first, string? after)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        if ((messageId is null) == string.IsNullOrEmpty(vaultId))
        {
            throw new ValidationFailedException("messageId", "give either messageId or vaultId");
        }
        if (!string.IsNullOrEmpty(vaultId))
        {
            if (!Ids.IsVaultId(vaultId))
            {
                throw new ValidationFailedException("vaultId", "is not a vault id (v-…)");
            }
            return await GrainFactory.GetGrain<IVaultGrain>(vaultId).GetSupportDeliveriesAsync(caller, first, after);
        }
        var cursor = DeliveryRecords.Page(first, after);
        return await DeliveryRecords.ReadAsync(outbox, new DeliveryQuery(null, messageId, null, cursor, first + 1), first);
    }
}
