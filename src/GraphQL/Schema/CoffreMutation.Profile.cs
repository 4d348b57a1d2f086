using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>The medical profile's mutations: each goes to the person's profile grain, which asks the vault to decide and record first.</summary>
public sealed partial class CoffreMutation
{
    private void AddProfileMutations()
    {
        VaultMutation<AddProfileEntryInputType, AddProfileEntryInput, AddProfileEntryPayloadType>("addProfileEntry",
            "Adds an entry to the person's medical profile, decided as a document of the section's type: the person, a parent or tutor, a curator, " +
            "a carer whose delegation has DEPOSIT and class 11, a professional with a basis whose profession the matrix lets record the section, an " +
            "establishment's system with a grant. Exactly one detail input, the section's. The person is notified when someone else adds one; a " +
            "vaccination updates the agenda's prevention items.",
            async (ctx, _, caller, input) =>
            {
                var vaultId = input.VaultId;
                var entry = await ctx.Profile(VaultIdOf(vaultId)).AddAsync(caller, input.ToNew());
                return new ProfileEntryNode(VaultIdOf(vaultId), entry);
            });

        VaultMutation<HideProfileEntryInputType, HideProfileEntryInput, HideProfileEntryPayloadType>("hideProfileEntry",
            "Hides an entry from professionals (hidden: true) or shows it again: the person, a parent or tutor. Its author still sees it.",
            async (ctx, _, caller, input) =>
                new ProfileEntryNode(VaultIdOf(input.VaultId), await ctx.Profile(VaultIdOf(input.VaultId)).HideAsync(caller, input.EntryId, input.Hidden)));

        VaultMutation<RemoveProfileEntryInputType, RemoveProfileEntryInput, RemoveProfileEntryPayloadType>("removeProfileEntry",
            "Removes an entry: its author or the person (or a parent or tutor). It is kept as a tombstone, shown to nobody.",
            async (ctx, _, caller, input) =>
            {
                await ctx.Profile(VaultIdOf(input.VaultId)).RemoveAsync(caller, input.EntryId);
                return input.EntryId;
            });
    }
}
