using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Messaging;
using Coffre.Grains.Vaults;

namespace Coffre.Grains.Messaging;

/// <summary>
/// A party's conversations (key <c>convidx-{party}</c>), newest first, cursor = position. Written once per conversation
/// (when it starts), so a busy conversation costs its index nothing. The person's side is listed by the owner and their
/// representatives (decided and recorded by their vault); a professional lists theirs, an establishment's system its own.
/// </summary>
[GrainType("conversation-index")]
public sealed class ConversationIndexGrain(
    [PersistentState(GrainNames.States.ConversationIndex, GrainNames.Storage)] IPersistentState<ConversationIndexState> index) : Grain, IConversationIndexGrain
{
    private string Party => this.GetPrimaryKeyString()["convidx-".Length..];

    async Task IConversationIndexGrain.AddAsync(Caller writer, ConversationEntry entry)
    {
        ConversationGrain.RequireSystem(writer);
        var entries = index.State.Entries;
        if (entries.Any(e => e.ConversationId == entry.ConversationId))
        {
            return;
        }
        entries.Add(entry with { Position = entries.Count + 1 });
        await index.WriteStateAsync();
    }

    async Task<ConversationPage> IConversationIndexGrain.ListAsync(Caller caller, int first, string? after)
    {
        if (Party.StartsWith("vault:", StringComparison.Ordinal))
        {
            if (caller.Kind != CallerKind.Patient)
            {
                throw new AccessDeniedException("Only the person and their legal representatives list the person's conversations; a professional lists their own.",
                    caller.Kind == CallerKind.Anonymous ? DenialReason.NotAuthenticated : DenialReason.NotPermitted);
            }
            var vaultId = Party["vault:".Length..];
            var check = await GrainFactory.GetGrain<IVaultGrain>(GrainNames.Keys.Vault(vaultId))
                .CheckMessagingAsync(caller, "conversations.list", "vault", [], mustRead: false);
            if (!check.PersonSide)
            {
                throw new AccessDeniedException("Only the person and their legal representatives list the person's conversations.", DenialReason.NotPermitted);
            }
        }
        else
        {
            MessagingRules.DecideOwnListing(caller, Party).OrThrow();
        }
        MessagingRules.ValidatePageSize(first);
        var entries = index.State.Entries;
        var before = entries.Count + 1L;
        if (after is not null && (!long.TryParse(after, out before) || before < 1 || before > entries.Count + 1))
        {
            throw new ValidationFailedException("after", "is not a cursor of this list");
        }
        // Positions are 1..Count in start order; newest first means from before-1 down.
        var items = new List<ConversationEntry>(first);
        for (var p = before - 1; p >= 1 && items.Count < first; p--)
        {
            items.Add(entries[(int)p - 1]);
        }
        var more = items.Count > 0 && items[^1].Position > 1;
        return new ConversationPage(items, more, entries.Count);
    }
}
