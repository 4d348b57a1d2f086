using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>An establishment hands over or ends its accompaniment of a person (decided and audited by the vault).</summary>
public sealed partial class CoffreMutation
{
    private void AddAccompanimentMutations()
    {
        VaultMutation<HandOverAccompanimentInputType, HandOverAccompanimentInput, HandOverAccompanimentPayloadType>("handOverAccompaniment",
            "Moves a referent's mandate (fromRpps) to another active social or médico-social member (toRpps) of the same establishment, keeping the person's " +
            "recorded consent (scope, expiry): the referent, or an admin member acting for the establishment (token finess). Recorded in the person's access history.",
            async (vault, caller, input) => await vault.HandOverAccompanimentAsync(caller, input.FromRpps, input.ToRpps));

        VaultMutation<VaultRefInputType, VaultRefInput, EndAccompanimentPayloadType>("endAccompaniment",
            "Ends every mandate naming your establishment on this vault: an admin member or a referent acting for it (token finess), or its own system " +
            "(client credentials). Recorded in the person's access history.",
            async (vault, caller, _) => await vault.EndAccompanimentAsync(caller));
    }
}
