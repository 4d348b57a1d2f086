using Coffre.Domain.Access;

namespace Coffre.Grains.Messaging;

/// <summary>
/// One page of a conversation's history (key <c>conv-…/pN</c>): messages <c>N·Size+1 … (N+1)·Size</c>. Only conversation
/// grains call it (silo-internal: its contract is not in the abstractions a gateway references), and it refuses any
/// writer but the system. A conversation's history thus grows by pages of bounded size, never in one state row.
/// </summary>
[Alias("coffre.conversation-history-page")]
public interface IConversationPageGrain : IGrainWithStringKey
{
    /// <summary>Appends (or, for a retried sequence, replaces) a message.</summary>
    [Alias("append")] Task AppendAsync(Caller writer, StoredMessage message);

    [Alias("read")] Task<IReadOnlyList<StoredMessage>> ReadAsync(Caller reader);
}

[GrainType("conversation-page")]
public sealed class ConversationPageGrain(
    [PersistentState(GrainNames.States.ConversationPage, GrainNames.Storage)] IPersistentState<ConversationPageState> page) : Grain, IConversationPageGrain
{
    /// <summary>Messages per page: a page read answers a screen of history, a page write stays small.</summary>
    public const int Size = 32;

    public static long PageOf(long sequence) => (sequence - 1) / Size;

    async Task IConversationPageGrain.AppendAsync(Caller writer, StoredMessage message)
    {
        ConversationGrain.RequireSystem(writer);
        PageEntries.Put(page.State.Messages, message, m => m.Sequence);
        await page.WriteStateAsync();
    }

    Task<IReadOnlyList<StoredMessage>> IConversationPageGrain.ReadAsync(Caller reader)
    {
        ConversationGrain.RequireSystem(reader);
        return Task.FromResult<IReadOnlyList<StoredMessage>>([.. page.State.Messages]);
    }
}
