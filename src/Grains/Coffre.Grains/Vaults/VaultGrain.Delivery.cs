using Coffre.Application.Contact;
using Coffre.Application.Outbox;
using Coffre.Domain.Access;
using Coffre.Domain.Contact;
using Coffre.Grains.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The person's contact points and alert preferences (kept in <see cref="IContactDirectory"/>, where delivery reads them in
/// batches) and their alerts' delivery records. Reading is decided as ReadHistory, setting as ManageAccess: the person
/// and their representatives, never professionals nor operators. Every read and change is in the access history; the
/// addresses themselves never are (nor in any log).
/// </summary>
public sealed partial class VaultGrain
{
    private static readonly OutboxChannel[] AlertChannels = [OutboxChannel.Email, OutboxChannel.Sms, OutboxChannel.Post];

    private IContactDirectory Contacts => ServiceProvider.GetRequiredService<IContactDirectory>();

    async Task<ContactPreferences> IVaultGrain.GetContactPreferencesAsync(Caller caller)
    {
        await CheckAsync(caller, VaultAction.ReadHistory, null, "contact.read", "vault");
        return (await Contacts.FindAsync([VaultId])).GetValueOrDefault(VaultId) ?? ContactPreferences.None;
    }

    async Task<ContactPreferences> IVaultGrain.SetContactPreferencesAsync(Caller caller, ContactPreferences preferences)
    {
        ArgumentNullException.ThrowIfNull(preferences);
        await CheckAsync(caller, VaultAction.ManageAccess, null, "contact.update", "vault");
        var (normalised, errors) = ContactRules.Normalise(preferences);
        if (normalised is null)
        {
            var first = errors[0];
            throw new ValidationFailedException(first.Field, first.Message);
        }
        await Contacts.SetAsync(VaultId, normalised, Now);
        return normalised;
    }

    async Task<DeliveryPage> IVaultGrain.GetDeliveriesAsync(Caller caller, int first, string? after)
    {
        var cursor = DeliveryRecords.Page(first, after);
        await CheckAsync(caller, VaultAction.ReadHistory, null, "deliveries.read", "vault");
        return await DeliveryRecords.ReadAsync(outbox, new DeliveryQuery(VaultId, null, AlertChannels, cursor, first + 1), first);
    }

    async Task<DeliveryPage> IVaultGrain.GetSupportDeliveriesAsync(Caller caller, int first, string? after)
    {
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        // An operator's support action, not one on the vault's content: the operator decision, recorded in the person's history.
        await RecordAsync(caller, "deliveries.support-read", "vault", AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport), Now);
        var cursor = DeliveryRecords.Page(first, after);
        return await DeliveryRecords.ReadAsync(outbox, new DeliveryQuery(VaultId, null, null, cursor, first + 1), first);
    }
}
