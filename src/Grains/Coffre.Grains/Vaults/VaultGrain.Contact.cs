using Coffre.Domain.Access;

namespace Coffre.Grains.Vaults;

public sealed partial class VaultGrain
{
    public async Task<LegalBasis> CheckContactAsync(Caller caller, string operation)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operation);
        var decision = await CheckAsync(caller, VaultAction.ContactPerson, null, operation, "vault");
        return decision.Basis;
    }
}
