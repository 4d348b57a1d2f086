using Coffre.Domain.Identifiers;
using Coffre.Grains.Messaging;
using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>Secure messaging: every step decided (and recorded in the person's history) by the person's vault.</summary>
public sealed partial class CoffreMutation
{
    private void AddMessagingMutations()
    {
        Mutation<StartConversationInputType, StartConversationInput, StartConversationPayloadType>("startConversation",
            "Starts a conversation with the person (vaultId) and its first message: a professional or an establishment's system with a basis to reach " +
            "them (grant, referent mandate, care team; never break-glass), or the person (or a representative) writing to a professional (counterpartRpps). " +
            "noReply: an establishment's system only. FORBIDDEN with the vault's reason (NO_BASIS, BLOCKED, MESSAGING_BLOCKED, …); attachments must be readable by you.",
            async (ctx, caller, input) =>
            {
                var vaultId = VaultIdOf(input.VaultId);
                var id = Ids.NewConversationId();
                var view = await ctx.Conversation(id).StartAsync(caller,
                    new StartConversation(vaultId, input.Subject, input.Message.ToMessage(), input.NoReply ?? false, input.CounterpartRpps));
                return (view, vaultId);
            });

        Mutation<SendMessageInputType, SendMessageInput, SendMessagePayloadType>("sendMessage",
            "Sends a message in a conversation you take part in. A professional's basis is decided again (a revoked grant stops them); the person " +
            "cannot answer a noReply conversation (FORBIDDEN, reason NO_REPLY).",
            async (ctx, caller, input) =>
                (await ctx.Conversation(MessagingFields.ConversationIdOf(input.ConversationId)).SendAsync(caller, input.Message.ToMessage()), null));

        Mutation<MarkConversationReadInputType, MarkConversationReadInput, MarkConversationReadPayloadType>("markConversationRead",
            "Your side's read receipt: read up to upToSequence (default the newest message).",
            async (ctx, caller, input) =>
                (await ctx.Conversation(MessagingFields.ConversationIdOf(input.ConversationId)).MarkReadAsync(caller, input.UpToSequence), null));

        Mutation<ConversationRefInputType, ConversationRefInput, LeaveConversationPayloadType>("leaveConversation",
            "A professional (or establishment's system) leaves: they read and write no more. The person archives it (a new message brings it back).",
            async (ctx, caller, input) =>
                (await ctx.Conversation(MessagingFields.ConversationIdOf(input.ConversationId)).LeaveAsync(caller), null));

        VaultMutation<BlockMessagingInputType, BlockMessagingInput, BlockMessagingPayloadType>("blockMessagingFrom",
            "The person (or a parent or tutor) blocks a professional (rpps) or an establishment's system (finess) from messaging them: they can no longer " +
            "start a conversation nor write (FORBIDDEN, reason MESSAGING_BLOCKED). Their access to documents is unchanged (blockProfessional blocks everything).",
            async (vault, caller, input) =>
            {
                var party = input.Party;
                await vault.BlockMessagingAsync(caller, party);
                return party;
            });

        VaultMutation<BlockMessagingInputType, BlockMessagingInput, UnblockMessagingPayloadType>("unblockMessagingFrom", "Lifts a messaging block.",
            async (vault, caller, input) =>
            {
                var party = input.Party;
                await vault.UnblockMessagingAsync(caller, party);
                return party;
            });
    }
}
