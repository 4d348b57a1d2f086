using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Messaging;
using Coffre.Grains.Establishments;
using Coffre.Grains.Events;
using Coffre.Grains.Professionals;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Messaging;

/// <summary>
/// A conversation between a person and one professional or one establishment's system. Every start, send and page read
/// is decided by the person's vault (<see cref="IVaultGrain.CheckMessagingAsync"/>: <see cref="VaultAction.ContactPerson"/>,
/// recorded in the person's history), so a revoked grant or a block stops a professional at their next message, and
/// attachments are decided for each reader. Messages live in <see cref="IConversationPageGrain"/> pages; this grain keeps
/// the header. Not reentrant: one step at a time, and it calls the vault, which never calls back.
/// </summary>
[GrainType("conversation")]
public sealed partial class ConversationGrain(
    [PersistentState(GrainNames.States.Conversation, GrainNames.Storage)] IPersistentState<ConversationState> state,
    PersonNotifier notifier,
    IVaultEventPublisher events,
    TimeProvider clock,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain
{
    /// <summary>Who writes pages and indexes: the system, on behalf of a conversation.</summary>
    internal static readonly Caller System = Caller.Operator("system:conversation");

    private string ConversationId => this.GetPrimaryKeyString();
    private string Target => "conversation:" + ConversationId;
    private DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>Pages and indexes take writes from conversation grains only.</summary>
    internal static void RequireSystem(Caller caller)
    {
        if (caller is not { Kind: CallerKind.Operator, Subject: "system:conversation" })
        {
            throw new AccessDeniedException("Only conversations write their pages and indexes.", DenialReason.NotPermitted);
        }
    }

    async Task<ConversationView> IConversationGrain.StartAsync(Caller caller, StartConversation start)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (!Ids.IsConversationId(ConversationId))
        {
            throw new ValidationFailedException("conversationId", "is not a conversation id");
        }
        if (state.State.VaultId is not null)
        {
            throw new ValidationFailedException("conversationId", "is already started", ErrorCodes.Conflict);
        }
        if (!Ids.IsVaultId(start.VaultId))
        {
            throw new ValidationFailedException("vaultId", "is not a vault id");
        }
        MessagingRules.ValidateSubject(start.Subject);
        MessagingRules.Validate(start.FirstMessage, "message.");
        if (start.NoReply && caller.Kind != CallerKind.Establishment)
        {
            throw new ValidationFailedException("noReply", "is only for an establishment's system (institutional messages)");
        }
        var professionalSide = MessagingParty.OfProfessionalSide(caller);
        if (professionalSide is not null && start.CounterpartRpps is not null)
        {
            throw new ValidationFailedException("counterpartRpps", "is only for the person starting a conversation with a professional");
        }
        if (caller.Kind == CallerKind.Patient && start.CounterpartRpps is null)
        {
            throw new ValidationFailedException("counterpartRpps", "is required when the person starts a conversation");
        }
        if (start.CounterpartRpps is { } given && Rpps.Validate(given) is { } rule)
        {
            throw new ValidationFailedException("counterpartRpps", rule);
        }

        // The directory is public: an unknown counterpart is NOT_FOUND before anything is recorded in the person's history.
        var counterpartProfile = start.CounterpartRpps is { } wanted
            ? await GrainFactory.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(wanted)).GetPublicAsync()
                ?? throw new ValidationFailedException("counterpartRpps", "is not registered in the directory", ErrorCodes.NotFound)
            : null;

        // The one check: a basis to reach the person (or the person's own side), decided and recorded by the vault;
        // every attachment must be readable by the sender.
        var check = await Vault(start.VaultId).CheckMessagingAsync(caller, "conversation.start", Target, start.FirstMessage.AttachmentIds ?? [], mustRead: true);
        var now = Now;
        var person = new Participant(MessagingParty.Person(start.VaultId), ParticipantKind.Person, null, now);
        Participant counterpart;
        if (professionalSide is not null)
        {
            counterpart = new Participant(professionalSide, KindOf(caller), await DisplayNameAsync(caller), now);
        }
        else if (check.PersonSide && counterpartProfile is not null)
        {
            counterpart = new Participant(MessagingParty.Professional(start.CounterpartRpps!), ParticipantKind.Professional, counterpartProfile.DisplayName, now);
        }
        else
        {
            throw new AccessDeniedException("Only the person, their representatives and professionals with a basis to reach them start conversations.", DenialReason.NotPermitted);
        }

        // Both list entries first (idempotent per conversation): once the header is written, the conversation is in both
        // lists. An entry whose header never got written names a conversation that is not started, which a list skips.
        foreach (var party in new[] { person.Party, counterpart.Party })
        {
            await GrainFactory.GetGrain<IConversationIndexGrain>(GrainNames.Keys.ConversationIndex(party))
                .AddAsync(System, new ConversationEntry(ConversationId, start.VaultId, party == person.Party ? counterpart.Party : person.Party, start.Subject, now),
                    startedByThisParty: party == person.Party && check.PersonSide);
        }

        state.State.VaultId = start.VaultId;
        state.State.Subject = start.Subject;
        state.State.NoReply = start.NoReply;
        state.State.StartedAt = now;
        state.State.Participants = [person, counterpart];
        var sender = check.PersonSide ? person : counterpart;
        var stored = await AppendAsync(caller, sender, start.FirstMessage, now);
        await TellPersonAsync(sender, stored);
        return View(sender.Party);
    }

    async Task<MessageView> IConversationGrain.SendAsync(Caller caller, NewMessage message)
    {
        var vaultId = RequireStarted();
        ArgumentNullException.ThrowIfNull(message);
        if (caller.Kind == CallerKind.Patient && state.State.NoReply)
        {
            MessagingRules.NoReplyDenied.OrThrow();
        }
        var party = RequireActiveParticipant(caller);
        MessagingRules.Validate(message);
        var check = await Vault(vaultId).CheckMessagingAsync(caller, "message.send", Target, message.AttachmentIds ?? [], mustRead: true);
        var sender = SenderOf(caller, check, party);
        if (sender.Kind == ParticipantKind.Person && Counterpart.LeftAt is not null)
        {
            MessagingRules.CounterpartLeftDenied.OrThrow();
        }
        var now = Now;
        var stored = await AppendAsync(caller, sender, message, now);
        await TellPersonAsync(sender, stored);
        return ToView(stored, check.Attachments);
    }

    async Task<ConversationView> IConversationGrain.GetAsync(Caller caller)
    {
        // A professional who left still sees the header (with their leftAt), so their list keeps working; messages stay refused.
        var party = await DecideHeaderAsync(caller, "conversation.read", allowLeft: true);
        return View(party);
    }

    async Task<MessagePage> IConversationGrain.ListMessagesAsync(Caller caller, long? beforeSequence, int limit)
    {
        var vaultId = RequireStarted();
        var party = RequireActiveParticipant(caller);
        MessagingRules.ValidatePageSize(limit);
        var count = state.State.MessageCount;
        var before = beforeSequence ?? count + 1;
        if (before < 1 || before > count + 1)
        {
            throw new ValidationFailedException("after", "is not a cursor of this conversation");
        }
        var messages = await ReadBeforeAsync(before, limit);
        var check = await Vault(vaultId).CheckMessagingAsync(caller, "message.read", Target,
            messages.SelectMany(m => m.AttachmentIds).Distinct(StringComparer.Ordinal).ToList(), mustRead: false);
        SenderOf(caller, check, party);
        var decided = check.Attachments.ToDictionary(a => a.DocumentId, StringComparer.Ordinal);
        var items = messages.Select(m => ToView(m, m.AttachmentIds.Select(id => decided[id]).ToList())).ToList();
        return new MessagePage(items, items.Count > 0 && items[^1].Sequence > 1);
    }

    async Task<ConversationView> IConversationGrain.MarkReadAsync(Caller caller, long? upToSequence)
    {
        var party = await DecideHeaderAsync(caller, "conversation.mark-read", allowLeft: false);
        var count = state.State.MessageCount;
        var upTo = upToSequence ?? count;
        if (upTo < 0 || upTo > count)
        {
            throw new ValidationFailedException("upToSequence", $"must be between 0 and the conversation's last message ({count})");
        }
        var participant = state.State.Participants.Single(p => p.Party == party);
        if (upTo > participant.LastReadSequence)
        {
            Replace(participant, participant with { LastReadSequence = upTo, LastReadAt = Now });
            await state.WriteStateAsync();
        }
        return View(party);
    }

    async Task<ConversationView> IConversationGrain.LeaveAsync(Caller caller)
    {
        RequireStarted();
        var party = RequireActiveParticipant(caller) ?? await PersonSideAsync(caller, "conversation.leave");
        var participant = state.State.Participants.Single(p => p.Party == party);
        if (participant.LeftAt is null)
        {
            Replace(participant, participant with { LeftAt = Now });
            await state.WriteStateAsync();
        }
        return View(party);
    }

    // ---------------------------------------------------------------- helpers

    private string PersonParty => MessagingParty.Person(state.State.VaultId!);

    private Participant Counterpart => state.State.Participants.First(p => p.Kind != ParticipantKind.Person);

    private IVaultGrain Vault(string vaultId) => GrainFactory.GetGrain<IVaultGrain>(GrainNames.Keys.Vault(vaultId));

    private string RequireStarted() => state.State.VaultId
        ?? throw new ValidationFailedException("conversationId", "names no conversation", ErrorCodes.NotFound);

    /// <summary>
    /// The caller's own party when it is a participant that has not left (professionals and systems), the person's
    /// party for the owner; null for another patient caller (decided by the vault). Others are refused.
    /// </summary>
    private string? RequireActiveParticipant(Caller caller) => RequireParticipant(caller, allowLeft: false);

    /// <summary>
    /// A header step (read, read receipt): the caller must take part (<see cref="RequireParticipant"/>) and the person's
    /// vault decides and records it (<see cref="VaultAction.ContactPerson"/>), so a suspended or blocked professional
    /// sees nothing more. Returns the caller's side.
    /// </summary>
    private async Task<string> DecideHeaderAsync(Caller caller, string operation, bool allowLeft)
    {
        RequireStarted();
        var party = RequireParticipant(caller, allowLeft);
        var check = await Vault(state.State.VaultId!).CheckMessagingAsync(caller, operation, Target, [], mustRead: false);
        return SenderOf(caller, check, party).Party;
    }

    private string? RequireParticipant(Caller caller, bool allowLeft)
    {
        if (caller.Kind == CallerKind.Patient)
        {
            return caller.VaultId == state.State.VaultId ? PersonParty : null;
        }
        var party = MessagingParty.OfProfessionalSide(caller);
        var participant = state.State.Participants.FirstOrDefault(p => p.Party == party && p.Kind != ParticipantKind.Person);
        if (participant is null)
        {
            (caller.Kind == CallerKind.Anonymous ? AccessDecision.Deny(DenialReason.NotAuthenticated, "Sign in first.") : MessagingRules.NotParticipantDenied).OrThrow();
        }
        if (participant!.LeftAt is not null && !allowLeft)
        {
            MessagingRules.LeftDenied.OrThrow();
        }
        return party;
    }

    /// <summary>A representative of the person: the vault decides (and records) that they act for the person.</summary>
    private async Task<string> PersonSideAsync(Caller caller, string operation)
    {
        var check = await Vault(state.State.VaultId!).CheckMessagingAsync(caller, operation, Target, [], mustRead: false);
        return check.PersonSide ? PersonParty : throw new AccessDeniedException(MessagingRules.NotParticipantDenied.Explanation, DenialReason.NotPermitted);
    }

    /// <summary>The participant the caller speaks as, once the vault decided: the person's side, or their own party.</summary>
    private Participant SenderOf(Caller caller, MessagingCheck check, string? party)
    {
        if (caller.Kind == CallerKind.Patient)
        {
            return check.PersonSide
                ? state.State.Participants.First(p => p.Kind == ParticipantKind.Person)
                : throw new AccessDeniedException(MessagingRules.NotParticipantDenied.Explanation, DenialReason.NotPermitted);
        }
        return state.State.Participants.First(p => p.Party == party);
    }

    private static ParticipantKind KindOf(Caller caller) =>
        caller.Kind == CallerKind.Establishment ? ParticipantKind.Establishment : ParticipantKind.Professional;

    private async Task<string?> DisplayNameAsync(Caller caller) => caller.Kind == CallerKind.Establishment
        ? (await GrainFactory.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(caller.EstablishmentFiness!)).GetAsync(caller))?.Name
        : (await GrainFactory.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(caller.Rpps!)).GetPublicAsync())?.DisplayName;

    private void Replace(Participant old, Participant updated)
    {
        var participants = state.State.Participants;
        participants[participants.IndexOf(old)] = updated;
    }

    /// <summary>
    /// Writes the message into its page, then the header (count, last message, the sender's own read receipt; a message
    /// to the person brings an archived conversation back). A retried sequence replaces the page's copy.
    /// </summary>
    private async Task<StoredMessage> AppendAsync(Caller caller, Participant sender, NewMessage message, DateTimeOffset now)
    {
        var sequence = state.State.MessageCount + 1;
        var stored = new StoredMessage(sequence, sender.Party, sender.Kind, AuditEvents.ActorId(caller), message.Type, message.Body,
            message.Convocation, state.State.NoReply && sender.Kind == ParticipantKind.Establishment, now, [.. message.AttachmentIds ?? []]);
        await Page(ConversationPageGrain.PageOf(sequence)).AppendAsync(System, stored);
        state.State.MessageCount = sequence;
        state.State.LastMessageAt = now;
        Replace(sender, sender with { LastReadSequence = sequence, LastReadAt = now });
        if (sender.Kind != ParticipantKind.Person && state.State.Participants.First(p => p.Kind == ParticipantKind.Person) is { LeftAt: not null } archived)
        {
            Replace(archived, archived with { LeftAt = null });
        }
        await state.WriteStateAsync();
        return stored;
    }

    private IConversationPageGrain Page(long page) =>
        GrainFactory.GetGrain<IConversationPageGrain>(GrainNames.Keys.ConversationPage(ConversationId, page));

    /// <summary>Up to <paramref name="limit"/> messages before <paramref name="before"/>, newest first: at most two page reads for a page of ≤ 50 when pages hold 32.</summary>
    private async Task<List<StoredMessage>> ReadBeforeAsync(long before, int limit)
    {
        var items = new List<StoredMessage>(limit);
        var last = before - 1;
        var first = Math.Max(1, before - limit);
        for (var page = last < 1 ? -1 : ConversationPageGrain.PageOf(last); page >= 0 && last >= first; page--)
        {
            var messages = await Page(page).ReadAsync(System);
            items.AddRange(messages.Where(m => m.Sequence >= first && m.Sequence <= last).OrderByDescending(m => m.Sequence));
            last = page * ConversationPageGrain.Size;
        }
        return items;
    }

    /// <summary>A message to the person: their notification (no text) and the vault's live event.</summary>
    private async Task TellPersonAsync(Participant sender, StoredMessage stored)
    {
        if (sender.Kind == ParticipantKind.Person)
        {
            return;
        }
        var vaultId = state.State.VaultId!;
        try
        {
            await notifier.NotifyAsync(vaultId, new MessageReceivedNotice(ConversationId, sender.Kind, sender.DisplayName, stored.Type, stored.NoReply));
            await events.PublishAsync(new VaultEvent(Guid.NewGuid(), vaultId, VaultEventKind.MessageReceived, ConversationId, stored.SentAt));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The message is stored: a retry would duplicate it, so the sender is answered; the person still finds it in the list.
            LogNoticeFailed(logger, stored.Sequence, e.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 2171, Level = LogLevel.Warning, Message = "message {Sequence} stored but the person's notice or live event failed ({Error})")]
    private static partial void LogNoticeFailed(ILogger logger, long sequence, string error);

    private ConversationView View(string party) => new(ConversationId, state.State.VaultId!, state.State.Subject, state.State.NoReply, state.State.StartedAt,
        [.. state.State.Participants], state.State.MessageCount, state.State.LastMessageAt,
        state.State.Participants.FirstOrDefault(p => p.Party == party)?.LastReadSequence ?? 0);

    private MessageView ToView(StoredMessage m, IReadOnlyList<AttachmentView> attachments) => new(ConversationId, m.Sequence, m.SenderParty, m.SenderKind,
        m.SenderActor, m.Type, m.Body, m.Convocation, m.NoReply, m.SentAt, attachments);
}
