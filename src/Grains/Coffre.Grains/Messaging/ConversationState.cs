using Coffre.Domain.Messaging;

namespace Coffre.Grains.Messaging;

/// <summary>A conversation's header: who, since when, read receipts and the message count (the messages are in pages).</summary>
[GenerateSerializer, Alias("coffre.conversation-state")]
public sealed class ConversationState
{
    [Id(0)] public string? VaultId { get; set; }
    [Id(1)] public string? Subject { get; set; }
    [Id(2)] public bool NoReply { get; set; }
    [Id(3)] public DateTimeOffset StartedAt { get; set; }
    [Id(4)] public List<Participant> Participants { get; set; } = [];
    [Id(5)] public long MessageCount { get; set; }
    [Id(6)] public DateTimeOffset? LastMessageAt { get; set; }
}

/// <summary>A message as stored: the attachments by id only (what a reader sees of them is decided at each read).</summary>
[GenerateSerializer, Immutable, Alias("coffre.stored-message")]
public sealed record StoredMessage(
    [property: Id(0)] long Sequence,
    [property: Id(1)] string SenderParty,
    [property: Id(2)] ParticipantKind SenderKind,
    [property: Id(3)] string SenderActor,
    [property: Id(4)] MessageType Type,
    [property: Id(5)] string Body,
    [property: Id(6)] Convocation? Convocation,
    [property: Id(7)] bool NoReply,
    [property: Id(8)] DateTimeOffset SentAt,
    [property: Id(9)] IReadOnlyList<string> AttachmentIds);

/// <summary>One page of a conversation's messages, at most <see cref="ConversationPageGrain.Size"/>.</summary>
[GenerateSerializer, Alias("coffre.conversation-page-state")]
public sealed class ConversationPageState
{
    [Id(0)] public List<StoredMessage> Messages { get; set; } = [];
}

/// <summary>
/// A party's list header: how many conversations it holds (entries are in <see cref="ConversationIndexPageState"/> pages),
/// and how many the party itself started on its last day of starting (the daily bound).
/// </summary>
[GenerateSerializer, Alias("coffre.conversation-index-state")]
public sealed class ConversationIndexState
{
    [Id(1)] public long Count { get; set; }
    [Id(2)] public DateOnly StartDay { get; set; }
    [Id(3)] public int StartedThatDay { get; set; }

    /// <summary>The last <see cref="RecentKept"/> conversations added: a retried add is recognised whatever page it is on.</summary>
    [Id(4)] public List<string> Recent { get; set; } = [];

    public const int RecentKept = 64;
}

/// <summary>One page of a party's list: positions <c>N·Size+1 … (N+1)·Size</c>, in start order.</summary>
[GenerateSerializer, Alias("coffre.conversation-index-page-state")]
public sealed class ConversationIndexPageState
{
    [Id(0)] public List<ConversationEntry> Entries { get; set; } = [];
}
