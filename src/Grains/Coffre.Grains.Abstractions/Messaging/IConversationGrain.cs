using Coffre.Domain.Access;
using Coffre.Domain.Messaging;

namespace Coffre.Grains.Messaging;

/// <summary>
/// One conversation between a person (their vault: the owner and their representatives) and one professional or one
/// establishment's system, keyed <c>conv-…</c>. Who may reach the person is decided by the person's vault
/// (<see cref="Vaults.IVaultGrain.CheckMessagingAsync"/>: <see cref="VaultAction.ContactPerson"/>, audited) at the start,
/// at every message sent and at every page read; attachments are decided again for every reader. Messages are kept in
/// pages of bounded size, not in the conversation's own state.
/// </summary>
[Alias("coffre.conversation")]
public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the conversation with its first message: a professional or an establishment's system with a basis to reach
    /// the person, or the person (or a representative) writing to a professional (<see cref="StartConversation.Counterpart"/>).
    /// Only an establishment's system may start a no-reply conversation. CONFLICT when this id is already started.
    /// </summary>
    [Alias("start")] Task<ConversationView> StartAsync(Caller caller, StartConversation start);

    /// <summary>Sends a message; a professional's basis is decided again, a person cannot answer a no-reply conversation.</summary>
    [Alias("send")] Task<MessageView> SendAsync(Caller caller, NewMessage message);

    /// <summary>The conversation as the caller sees it (participants, read receipts, counts); not a read of messages.</summary>
    [Alias("get")] Task<ConversationView> GetAsync(Caller caller);

    /// <summary>
    /// A page of messages, newest first, before <paramref name="beforeSequence"/> (null: the newest). Recorded in the
    /// person's history as one <c>message.read</c>; every attachment decided for this reader.
    /// </summary>
    [Alias("messages")] Task<MessagePage> ListMessagesAsync(Caller caller, long? beforeSequence, int limit);

    /// <summary>The caller's side has read up to <paramref name="upToSequence"/> (null: the newest). Returns the view.</summary>
    [Alias("mark-read")] Task<ConversationView> MarkReadAsync(Caller caller, long? upToSequence);

    /// <summary>A professional (or system) leaves: they read and write no more. The person's side archives it (a new message brings it back).</summary>
    [Alias("leave")] Task<ConversationView> LeaveAsync(Caller caller);
}

/// <summary>
/// A party's list of conversations (<c>convidx-vault:v-…</c>, <c>convidx-rpps:…</c>, <c>convidx-finess:…</c>), newest
/// first, written by conversation grains when one starts; read by the party (the person's side decided by their vault).
/// </summary>
[Alias("coffre.conversation-index")]
public interface IConversationIndexGrain : IGrainWithStringKey
{
    [Alias("list")] Task<ConversationPage> ListAsync(Caller caller, int first, string? after);

    /// <summary>
    /// Written by conversation grains only (the system caller <c>system:conversation</c>); idempotent per conversation.
    /// <paramref name="startedByThisParty"/>: the party starts it, which counts against its daily bound
    /// (<see cref="Coffre.Domain.Messaging.MessagingRules.MaxStartsPerDay"/>, QUOTA_EXCEEDED beyond).
    /// </summary>
    [Alias("add")] Task AddAsync(Caller writer, ConversationEntry entry, bool startedByThisParty);
}

/// <summary>How a conversation starts: the person's vault, the other side when the person starts it, a subject, the first message.</summary>
[GenerateSerializer, Immutable, Alias("coffre.start-conversation")]
public sealed record StartConversation(
    [property: Id(0)] string VaultId,
    [property: Id(1)] string? Subject,
    [property: Id(2)] NewMessage FirstMessage,
    [property: Id(3)] bool NoReply = false,
    [property: Id(4)] string? CounterpartRpps = null);

[GenerateSerializer, Alias("coffre.participant-kind")]
public enum ParticipantKind
{
    Person = 0,
    Professional = 1,
    Establishment = 2,
}

/// <summary>A participant: a party key (<see cref="MessagingParty"/>), a display name from the directory, read receipt, left.</summary>
[GenerateSerializer, Immutable, Alias("coffre.conversation-participant")]
public sealed record Participant(
    [property: Id(0)] string Party,
    [property: Id(1)] ParticipantKind Kind,
    [property: Id(2)] string? DisplayName,
    [property: Id(3)] DateTimeOffset JoinedAt,
    [property: Id(4)] long LastReadSequence = 0,
    [property: Id(5)] DateTimeOffset? LastReadAt = null,
    [property: Id(6)] DateTimeOffset? LeftAt = null);

[GenerateSerializer, Immutable, Alias("coffre.conversation-view")]
public sealed record ConversationView(
    [property: Id(0)] string ConversationId,
    [property: Id(1)] string VaultId,
    [property: Id(2)] string? Subject,
    [property: Id(3)] bool NoReply,
    [property: Id(4)] DateTimeOffset StartedAt,
    [property: Id(5)] IReadOnlyList<Participant> Participants,
    [property: Id(6)] long MessageCount,
    [property: Id(7)] DateTimeOffset? LastMessageAt,
    [property: Id(8)] long YourLastReadSequence)
{
    public long UnreadCount => Math.Max(0, MessageCount - YourLastReadSequence);
}

/// <summary>An attachment as one reader sees it: always its id; its title and type only when the reader may read the document.</summary>
[GenerateSerializer, Immutable, Alias("coffre.message-attachment")]
public sealed record AttachmentView(
    [property: Id(0)] string DocumentId,
    [property: Id(1)] bool Readable,
    [property: Id(2)] string? Title,
    [property: Id(3)] string? ClassCode,
    [property: Id(4)] string? TypeCode,
    [property: Id(5)] DenialReason Reason,
    [property: Id(6)] string Why);

[GenerateSerializer, Immutable, Alias("coffre.message-view")]
public sealed record MessageView(
    [property: Id(0)] string ConversationId,
    [property: Id(1)] long Sequence,
    [property: Id(2)] string SenderParty,
    [property: Id(3)] ParticipantKind SenderKind,
    [property: Id(4)] string SenderActor,
    [property: Id(5)] MessageType Type,
    [property: Id(6)] string Body,
    [property: Id(7)] Convocation? Convocation,
    [property: Id(8)] bool NoReply,
    [property: Id(9)] DateTimeOffset SentAt,
    [property: Id(10)] IReadOnlyList<AttachmentView> Attachments);

[GenerateSerializer, Immutable, Alias("coffre.message-page")]
public sealed record MessagePage(
    [property: Id(0)] IReadOnlyList<MessageView> Items,
    [property: Id(1)] bool HasNextPage);

/// <summary>One line of a party's conversation list (what the index keeps; details come from the conversation).</summary>
[GenerateSerializer, Immutable, Alias("coffre.conversation-entry")]
public sealed record ConversationEntry(
    [property: Id(0)] string ConversationId,
    [property: Id(1)] string VaultId,
    [property: Id(2)] string Counterpart,
    [property: Id(3)] string? Subject,
    [property: Id(4)] DateTimeOffset StartedAt,
    [property: Id(5)] long Position = 0);

[GenerateSerializer, Immutable, Alias("coffre.conversation-page")]
public sealed record ConversationPage(
    [property: Id(0)] IReadOnlyList<ConversationEntry> Items,
    [property: Id(1)] bool HasNextPage,
    [property: Id(2)] int TotalCount);

/// <summary>What the vault answered for a messaging step: the caller's basis (and side) and each attachment as this caller may see it.</summary>
[GenerateSerializer, Immutable, Alias("coffre.messaging-check")]
public sealed record MessagingCheck(
    [property: Id(0)] LegalBasis Basis,
    [property: Id(1)] IReadOnlyList<AttachmentView> Attachments)
{
    /// <summary>The person's own side: the owner or a legal representative.</summary>
    public bool PersonSide => Basis is LegalBasis.Owner or LegalBasis.LegalRepresentative;
}
