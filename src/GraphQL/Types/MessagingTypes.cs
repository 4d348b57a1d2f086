using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Messaging;
using Coffre.Grains;
using Coffre.Grains.Messaging;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Schema;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>
/// Secure messaging for front ends: the person's conversations (<c>Vault.conversations</c>), a professional's or an
/// establishment system's own (<c>Query.myConversations</c>), one conversation (<c>Query.conversation</c>, <c>node</c>) and
/// its messages, newest first. Every decision is the person's vault's (recorded in their access history).
/// </summary>
public static class MessagingFields
{
    /// <summary>A conversation by its id (conv-…) or its global id; VALIDATION naming <paramref name="field"/> otherwise.</summary>
    public static string ConversationIdOf(string? id, string field = "conversationId") =>
        Ids.IsConversationId(id) ? id! : GlobalId.Decode(id) is ("Conversation", var local) && Ids.IsConversationId(local) ? local
        : throw new ValidationFailedException(field, "is not a conversation id (conv-… or a Conversation global id)");

    public static IConversationGrain Conversation(this IResolveFieldContext ctx, string conversationId) =>
        ctx.Grains().GetGrain<IConversationGrain>(GrainNames.Keys.Conversation(conversationId));

    /// <summary><c>Vault.conversations(first, after)</c>: the person's side (owner and representatives).</summary>
    public static void AddToVault(ObjectGraphType<VaultView> vault) =>
        vault.Field<NonNullGraphType<ConversationConnectionType>>("conversations")
            .Description($"The person's conversations with professionals, newest started first. The person and their legal representatives (decided and recorded by the vault); first: 1 to {MessagingRules.MaxPageSize}.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = MessagingRules.DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx => await ListAsync(ctx, MessagingParty.Person(ctx.Source.VaultId)));

    /// <summary><c>Query.conversation(id)</c> and <c>Query.myConversations(first, after)</c>.</summary>
    public static void AddToQuery(ObjectGraphType query)
    {
        query.Field<ConversationType>("conversation")
            .Description("A conversation by its id (conv-…) or global id: its participants. FORBIDDEN when you do not take part.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async ctx => await ctx.Conversation(ConversationIdOf(ctx.GetArgument<string>("id"), "id")).GetAsync(ctx.SignedInCaller()));

        query.Field<NonNullGraphType<ConversationConnectionType>>("myConversations")
            .Description($"Your own conversations (a professional: by your RPPS; an establishment's system: its FINESS), newest started first; first: 1 to {MessagingRules.MaxPageSize}. A person lists theirs with vault.conversations.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = MessagingRules.DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var party = MessagingParty.OfProfessionalSide(caller)
                    ?? throw new AccessDeniedException("Only professionals and establishments' systems have their own conversation list; a person uses vault.conversations.", DenialReason.NotPermitted);
                return await ListAsync(ctx, party);
            });
    }

    /// <summary>
    /// One page of a party's list, each conversation read from its grain (at most 50, in parallel). A conversation the
    /// caller may no longer open (the person blocked them, their basis ended) or whose start did not complete is left out
    /// of the page; the cursor still moves past it.
    /// </summary>
    private static async Task<ConversationConnection> ListAsync(IResolveFieldContext ctx, string party)
    {
        var caller = ctx.SignedInCaller();
        var page = await ctx.Grains().GetGrain<IConversationIndexGrain>(GrainNames.Keys.ConversationIndex(party))
            .ListAsync(caller, ctx.GetArgument("first", MessagingRules.DefaultPageSize), ctx.GetArgument<string?>("after"));
        var views = await Task.WhenAll(page.Items.Select(async e =>
        {
            try
            {
                return await ctx.Conversation(e.ConversationId).GetAsync(caller);
            }
            catch (AccessDeniedException)
            {
                return null;
            }
            catch (ValidationFailedException notStarted) when (notStarted.Code == ErrorCodes.NotFound)
            {
                return null;
            }
        }));
        var edges = views.Select((v, i) => (v, Cursor(page.Items[i])))
            .Where(e => e.v is not null).Select(e => (e.v!, e.Item2)).ToList();
        return new ConversationConnection(edges, page.HasNextPage, page.TotalCount, page.Items.Count > 0 ? Cursor(page.Items[^1]) : null);
    }

    private static string Cursor(ConversationEntry entry) => entry.Position.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record ConversationConnection(IReadOnlyList<(ConversationView Node, string Cursor)> Edges, bool HasNextPage, int TotalCount, string? EndCursor);

public sealed class ConversationConnectionType : ObjectGraphType<ConversationConnection>
{
    public ConversationConnectionType()
    {
        Name = "ConversationConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ConversationEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Edges);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ConversationType>>>>("nodes").Resolve(ctx => ctx.Source.Edges.Select(e => e.Node).ToList());
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.EndCursor));
        Field(c => c.TotalCount).Description("Conversations in the list (including any this page leaves out because you may no longer open them).");
    }
}

public sealed class ConversationEdgeType : ObjectGraphType<(ConversationView Node, string Cursor)>
{
    public ConversationEdgeType()
    {
        Name = "ConversationEdge";
        Field<NonNullGraphType<ConversationType>>("node").Resolve(ctx => ctx.Source.Node);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.Cursor);
    }
}

public sealed class ConversationType : ObjectGraphType<ConversationView>
{
    public ConversationType()
    {
        Name = "Conversation";
        Description = "A conversation between a person and one professional or one establishment.";
        Interface<NodeInterface>();
        IsTypeOf = o => o is ConversationView;
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(ctx => GlobalId.Encode("Conversation", ctx.Source.ConversationId));
        Field(c => c.ConversationId).Description("The conversation's own id (conv-…).");
        Field(c => c.VaultId).Description("The person's vault id.");
        Field(c => c.Subject, nullable: true);
        Field(c => c.NoReply).Description("Institutional messages from an establishment: the person cannot answer (sendMessage is FORBIDDEN with reason NO_REPLY).");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("startedAt").Resolve(ctx => ctx.Source.StartedAt);
        Field<DateTimeOffsetGraphType>("lastMessageAt").Resolve(ctx => ctx.Source.LastMessageAt);
        Field(c => c.MessageCount);
        Field(c => c.UnreadCount).Description("Messages after your side's read receipt.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ConversationParticipantType>>>>("participants")
            .Description("Both sides, with their read receipts (lastReadSequence).").Resolve(ctx => ctx.Source.Participants);
        Field<NonNullGraphType<MessageConnectionType>>("messages")
            .Description($"Messages, newest first; first: 1 to {MessagingRules.MaxPageSize}. Each page is recorded in the person's access history, and each attachment is decided for you.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = MessagingRules.DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx =>
            {
                long? before = null;
                if (ctx.GetArgument<string?>("after") is { } after)
                {
                    before = long.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var b)
                        ? b : throw new ValidationFailedException("after", "is not a cursor of this conversation");
                }
                return await ctx.Conversation(ctx.Source.ConversationId)
                    .ListMessagesAsync(ctx.SignedInCaller(), before, ctx.GetArgument("first", MessagingRules.DefaultPageSize));
            });
    }
}

public sealed class ParticipantKindType : EnumerationGraphType<ParticipantKind>
{
    public ParticipantKindType() => Name = "ParticipantKind";
}

public sealed class MessageTypeEnumType : EnumerationGraphType<MessageType>
{
    public MessageTypeEnumType()
    {
        Name = "MessageType";
        Description = "What a message is: FREE_TEXT, CONVOCATION (with convocation details), PRESCRIPTION_RENEWAL, CARE_PLAN.";
    }
}

public sealed class ConversationParticipantType : ObjectGraphType<Participant>
{
    public ConversationParticipantType()
    {
        Name = "ConversationParticipant";
        Field(p => p.Party).Description("vault:v-… (the person's side), rpps:… (a professional) or finess:… (an establishment's system).");
        Field<NonNullGraphType<ParticipantKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field(p => p.DisplayName, nullable: true).Description("The directory's name of a professional or establishment; null for the person.");
        Field(p => p.LastReadSequence).Description("Read receipt: the last message this side has read (0: none).");
        Field<DateTimeOffsetGraphType>("lastReadAt").Resolve(ctx => ctx.Source.LastReadAt);
        Field<DateTimeOffsetGraphType>("leftAt").Description("When this side left (a professional) or archived it (the person).").Resolve(ctx => ctx.Source.LeftAt);
    }
}

public sealed class MessageConnectionType : ObjectGraphType<MessagePage>
{
    public MessageConnectionType()
    {
        Name = "MessageConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<MessageEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<MessageGraphType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? Cursor(ctx.Source.Items[^1]) : null));
    }

    public static string Cursor(MessageView m) => m.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class MessageEdgeType : ObjectGraphType<MessageView>
{
    public MessageEdgeType()
    {
        Name = "MessageEdge";
        Field<NonNullGraphType<MessageGraphType>>("node").Resolve(ctx => ctx.Source);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => MessageConnectionType.Cursor(ctx.Source));
    }
}

public sealed class MessageGraphType : ObjectGraphType<MessageView>
{
    public MessageGraphType()
    {
        Name = "Message";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(ctx => GlobalId.Encode("Message", $"{ctx.Source.ConversationId}/{ctx.Source.Sequence}"));
        Field(m => m.Sequence).Description("1, 2, … in the conversation; compare with a participant's lastReadSequence.");
        Field<NonNullGraphType<MessageTypeEnumType>>("type").Resolve(ctx => ctx.Source.Type);
        Field(m => m.Body);
        Field<ConvocationType>("convocation").Resolve(ctx => ctx.Source.Convocation);
        Field(m => m.NoReply).Description("An institutional message that cannot be answered.");
        Field(m => m.SenderParty).Description("vault:v-…, rpps:… or finess:….");
        Field<NonNullGraphType<ParticipantKindType>>("senderKind").Resolve(ctx => ctx.Source.SenderKind);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("sentAt").Resolve(ctx => ctx.Source.SentAt);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<MessageAttachmentType>>>>("attachments")
            .Description("Vault documents attached, each decided for you: readable with its title, or only its id and why not.")
            .Resolve(ctx => ctx.Source.Attachments);
    }
}

public sealed class ConvocationType : ObjectGraphType<Convocation>
{
    public ConvocationType()
    {
        Name = "Convocation";
        Field<DateTimeOffsetGraphType>("at").Resolve(ctx => ctx.Source.At);
        Field(c => c.Place, nullable: true);
    }
}

public sealed class MessageAttachmentType : ObjectGraphType<AttachmentView>
{
    public MessageAttachmentType()
    {
        Name = "MessageAttachment";
        Description = "A vault document attached to a message. An attachment never widens access: without a basis to read the document you see only that it exists, and why.";
        Field(a => a.DocumentId);
        Field(a => a.Readable).Description("Whether you may read the document (then title and types are given; download it as any document).");
        Field(a => a.Title, nullable: true);
        Field(a => a.ClassCode, nullable: true);
        Field(a => a.TypeCode, nullable: true);
        Field<NonNullGraphType<AccessExplanationType>>("why").Description("The vault's decision for you on this document.")
            .Resolve(ctx => ctx.Source.Readable
                ? AccessDecision.Allow(LegalBasis.None, ctx.Source.Why)
                : AccessDecision.Deny(ctx.Source.Reason, ctx.Source.Why));
    }
}

public sealed class MessageReceivedNoticeType : NoticeType<MessageReceivedNotice>
{
    public MessageReceivedNoticeType() : base("MESSAGE_RECEIVED: a professional or an establishment wrote to the person (read it in the conversation; the notice never holds the text).")
    {
        Field(n => n.ConversationId);
        Field<NonNullGraphType<ParticipantKindType>>("senderKind").Resolve(ctx => ctx.Source.SenderKind);
        Field(n => n.SenderName, nullable: true).Description("The directory's name of the sender.");
        Field<NonNullGraphType<MessageTypeEnumType>>("messageType").Resolve(ctx => ctx.Source.MessageType);
        Field(n => n.NoReply);
    }
}

// ---------------------------------------------------------------- inputs and payloads

public sealed record ConvocationInput(DateTimeOffset? At, string? Place);

public sealed class ConvocationInputType : InputObjectGraphType<ConvocationInput>
{
    public ConvocationInputType()
    {
        Name = "ConvocationInput";
        Field<DateTimeOffsetGraphType>("at");
        Field<StringGraphType>("place");
    }
}

public sealed record MessageInput(MessageType Type, string Body, List<string>? AttachmentIds, ConvocationInput? Convocation)
{
    public NewMessage ToMessage() => new(Type, Body, AttachmentIds ?? [], Convocation is null ? null : new Convocation(Convocation.At, Convocation.Place));
}

public sealed class MessageInputType : InputObjectGraphType<MessageInput>
{
    public MessageInputType()
    {
        Name = "MessageInput";
        Field<NonNullGraphType<MessageTypeEnumType>>("type");
        Field<NonNullGraphType<StringGraphType>>("body").Description($"At most {MessagingRules.MaxBodyLength} characters; line breaks allowed.");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("attachmentIds").Description($"Documents of the person's vault you may read (at most {MessagingRules.MaxAttachments}).");
        Field<ConvocationInputType>("convocation").Description("For CONVOCATION: when and where.");
    }
}

public sealed record StartConversationInput(string VaultId, string? Subject, MessageInput Message, bool? NoReply, string? CounterpartRpps);

public sealed class StartConversationInputType : InputObjectGraphType<StartConversationInput>
{
    public StartConversationInputType()
    {
        Name = "StartConversationInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId").Description("The person's vault.");
        Field<StringGraphType>("subject").Description($"At most {MessagingRules.MaxSubjectLength} characters.");
        Field<NonNullGraphType<MessageInputType>>("message").Description("The first message.");
        Field<BooleanGraphType>("noReply").Description("An establishment's system only: institutional messages the person cannot answer.");
        Field<RppsGraphType>("counterpartRpps").Description("When the person (or a representative) starts it: the professional they write to.");
    }
}

public sealed record SendMessageInput(string ConversationId, MessageInput Message);

public sealed class SendMessageInputType : InputObjectGraphType<SendMessageInput>
{
    public SendMessageInputType()
    {
        Name = "SendMessageInput";
        Field<NonNullGraphType<IdGraphType>>("conversationId");
        Field<NonNullGraphType<MessageInputType>>("message");
    }
}

public sealed record MarkConversationReadInput(string ConversationId, long? UpToSequence);

public sealed class MarkConversationReadInputType : InputObjectGraphType<MarkConversationReadInput>
{
    public MarkConversationReadInputType()
    {
        Name = "MarkConversationReadInput";
        Field<NonNullGraphType<IdGraphType>>("conversationId");
        Field<LongGraphType>("upToSequence").Description("The last message read; default the newest.");
    }
}

public sealed record ConversationRefInput(string ConversationId);

public sealed class ConversationRefInputType : InputObjectGraphType<ConversationRefInput>
{
    public ConversationRefInputType()
    {
        Name = "ConversationRefInput";
        Field<NonNullGraphType<IdGraphType>>("conversationId");
    }
}

public sealed record BlockMessagingInput(string VaultId, string? Rpps, string? Finess) : IVaultInput
{
    public string Party => (Rpps is null) == (Finess is null)
        ? throw new ValidationFailedException("rpps", "give exactly one of rpps or finess")
        : Rpps is not null ? MessagingParty.Professional(Rpps) : MessagingParty.Establishment(Finess!);
}

public sealed class BlockMessagingInputType : InputObjectGraphType<BlockMessagingInput>
{
    public BlockMessagingInputType()
    {
        Name = "BlockMessagingInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<RppsGraphType>("rpps").Description("A professional (give rpps or finess).");
        Field<FinessGraphType>("finess").Description("An establishment's system.");
    }
}

public sealed class StartConversationPayloadType() : PayloadType<ConversationType>("StartConversationPayload", "conversation", withVault: false);
public sealed class SendMessagePayloadType() : PayloadType<MessageGraphType>("SendMessagePayload", "message", withVault: false);
public sealed class MarkConversationReadPayloadType() : PayloadType<ConversationType>("MarkConversationReadPayload", "conversation", withVault: false);
public sealed class LeaveConversationPayloadType() : PayloadType<ConversationType>("LeaveConversationPayload", "conversation", withVault: false);
public sealed class BlockMessagingPayloadType() : PayloadType<StringGraphType>("BlockMessagingFromPayload", "blockedParty", withVault: false);
public sealed class UnblockMessagingPayloadType() : PayloadType<StringGraphType>("UnblockMessagingFromPayload", "unblockedParty", withVault: false);
