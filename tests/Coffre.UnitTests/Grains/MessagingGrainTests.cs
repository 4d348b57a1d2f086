using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Messaging;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using Coffre.Grains.Messaging;
using Coffre.Grains.Professionals;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// Secure messaging on the in-process cluster: who may start and write (decided by the person's vault), attachments
/// decided for each reader, blocks, no-reply, read receipts, pagination, and the person's access history.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MessagingGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);
    private static readonly Caller Operator = Caller.Operator("op-1");

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private static string NewFiness()
    {
        var body = "75" + Random.Shared.Next(0, 999_999).ToString("D6");
        return body + Luhn.CheckDigit(body);
    }

    private sealed record Scene(IVaultGrain Vault, string VaultId, Caller Owner, Caller SocialWorker, Caller Doctor);

    /// <summary>A social worker (referent) opens a vault; a doctor has a grant on biology (class 10) only.</summary>
    private async Task<Scene> SceneAsync(bool doctorGrant = true)
    {
        var vaultId = Ids.NewVaultId();
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(social, new OpenVault(new IdentityTraits("Martin", "Paul", new DateOnly(1975, 3, 2), Sex.Male),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001")));
        var owner = Caller.Patient(vaultId);
        var doctor = Caller.Professional(NewRpps(), "10");
        if (doctorGrant)
        {
            await vault.GrantAccessAsync(owner, new GrantRequest(GranteeKind.Professional, doctor.Rpps!, new DocumentScope(ClassCodes: ["10"]), NextYear));
        }
        return new Scene(vault, vaultId, owner, social, doctor);
    }

    private static async Task<DocumentEntry> DepositAsync(Scene scene, Caller author, string classCode, string typeCode)
    {
        var sha = Sha256Hex.Of(new byte[10]);
        var document = new NewDocument($"{typeCode} document", classCode, typeCode, "application/pdf", 10, sha);
        var permit = await scene.Vault.AuthorizeUploadAsync(author, document);
        return await scene.Vault.AddDocumentAsync(author, document, permit.ContentKey, 10, sha);
    }

    private IConversationGrain NewConversation() => fixture.Grains.GetGrain<IConversationGrain>(Ids.NewConversationId());

    private static StartConversation Start(Scene scene, string body = "Bonjour", IReadOnlyList<string>? attachments = null, bool noReply = false, string? counterpart = null) =>
        new(scene.VaultId, "Suivi", new NewMessage(MessageType.FreeText, body, attachments ?? []), noReply, counterpart);

    private async Task<List<Coffre.Domain.Auditing.AuditEvent>> HistoryAsync(Scene scene) =>
        (await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100)).Items.Select(i => i.Event).ToList();

    [Fact]
    public async Task A_professional_without_basis_cannot_start_and_the_refusal_is_in_the_history()
    {
        var scene = await SceneAsync(doctorGrant: false);
        var denied = await Assert.ThrowsAsync<AccessDeniedException>(() => NewConversation().StartAsync(scene.Doctor, Start(scene)));
        Assert.Equal(DenialReason.NoBasis, denied.Code);
        Assert.Contains(await HistoryAsync(scene), e => e.Operation == "conversation.start" && !e.Allowed && e.ActorId == scene.Doctor.Rpps);
    }

    [Fact]
    public async Task Break_glass_gives_no_basis_to_write()
    {
        var scene = await SceneAsync(doctorGrant: false);
        await scene.Vault.BreakGlassAsync(scene.Doctor, "unconscious patient admitted to the emergency room");
        var denied = await Assert.ThrowsAsync<AccessDeniedException>(() => NewConversation().StartAsync(scene.Doctor, Start(scene)));
        Assert.Equal(DenialReason.NotPermitted, denied.Code);
        Assert.Contains("break-glass", denied.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_revoked_grant_stops_the_next_message()
    {
        var scene = await SceneAsync();
        var conversation = NewConversation();
        var started = await conversation.StartAsync(scene.Doctor, Start(scene));
        Assert.Equal(1, started.MessageCount);
        await conversation.SendAsync(scene.Doctor, new NewMessage(MessageType.PrescriptionRenewal, "Renouvellement prêt", []));

        var grant = (await scene.Vault.GetAsync(scene.Owner)).Access!.Grants.Single(g => g.Grantee == scene.Doctor.Rpps);
        await scene.Vault.RevokeAccessAsync(scene.Owner, grant.Id);
        var denied = await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.SendAsync(scene.Doctor, new NewMessage(MessageType.FreeText, "Encore", [])));
        Assert.Equal(DenialReason.BasisExpired, denied.Code);
        Assert.Equal(2, (await conversation.GetAsync(scene.Owner)).MessageCount);
    }

    [Fact]
    public async Task Attachments_are_decided_for_each_reader_and_never_widen_access()
    {
        var scene = await SceneAsync();
        // The person keeps an imaging report and a biology result; the doctor's grant covers biology (class 10) only.
        var imaging = await DepositAsync(scene, scene.Owner, "31", "18748-4");
        var biology = await DepositAsync(scene, scene.Owner, "10", "11502-2");

        // The doctor cannot attach what their grant does not cover: refused and recorded; an unknown id is NOT_FOUND.
        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => NewConversation().StartAsync(scene.Doctor, Start(scene, "Voir pièce", [imaging.Id])));
        Assert.Equal(DenialReason.OutsideScope, refused.Code);
        Assert.Contains(await HistoryAsync(scene), e => e.Operation == "message.attach" && !e.Allowed && e.Target == $"document:{imaging.Id}");
        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => NewConversation().StartAsync(scene.Doctor, Start(scene, "x", ["d-999999-nothere"])));
        Assert.Equal(("attachmentIds", ErrorCodes.NotFound), (missing.Field, missing.Code));

        var conversation = NewConversation();
        await conversation.StartAsync(scene.Doctor, Start(scene, "Votre résultat", [biology.Id]));
        // The person answers with both documents attached.
        var sent = await conversation.SendAsync(scene.Owner, new NewMessage(MessageType.FreeText, "Et mon scanner", [imaging.Id, biology.Id]));
        Assert.All(sent.Attachments, a => Assert.True(a.Readable));

        // The person reads everything; the doctor sees the scanner exists, not its title nor type, with the vault's reason.
        var ownerView = (await conversation.ListMessagesAsync(scene.Owner, null, 10)).Items[0];
        Assert.Equal([imaging.Title, biology.Title], ownerView.Attachments.Select(a => a.Title));
        var doctorView = (await conversation.ListMessagesAsync(scene.Doctor, null, 10)).Items;
        var hidden = doctorView[0].Attachments[0];
        Assert.Equal(imaging.Id, hidden.DocumentId);
        Assert.False(hidden.Readable);
        Assert.Null(hidden.Title);
        Assert.Null(hidden.TypeCode);
        Assert.Equal(DenialReason.OutsideScope, hidden.Reason);
        Assert.False(string.IsNullOrWhiteSpace(hidden.Why));
        Assert.True(doctorView[0].Attachments[1].Readable);
        Assert.Equal(biology.Title, Assert.Single(doctorView[1].Attachments).Title);
        // And the attachment gave no access to the document itself.
        Assert.Equal(DenialReason.OutsideScope, (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetDocumentAsync(scene.Doctor, imaging.Id))).Code);
    }

    [Fact]
    public async Task A_professional_blocked_from_messaging_is_refused_on_start_and_send_but_keeps_document_access()
    {
        var scene = await SceneAsync();
        var conversation = NewConversation();
        await conversation.StartAsync(scene.Doctor, Start(scene));
        await scene.Vault.BlockMessagingAsync(scene.Owner, MessagingParty.Professional(scene.Doctor.Rpps!));

        var send = await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.SendAsync(scene.Doctor, new NewMessage(MessageType.FreeText, "Bonjour", [])));
        Assert.Equal(DenialReason.MessagingBlocked, send.Code);
        var start = await Assert.ThrowsAsync<AccessDeniedException>(() => NewConversation().StartAsync(scene.Doctor, Start(scene)));
        Assert.Equal(DenialReason.MessagingBlocked, start.Code);
        Assert.Contains("blocked messages", start.Message, StringComparison.Ordinal);
        // Documents: unchanged by a messaging block.
        await scene.Vault.ListDocumentsAsync(scene.Doctor, new DocumentQuery());

        // A professional may not block for the person; the vault's full block also refuses messaging; unblocking restores it.
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.BlockMessagingAsync(scene.Doctor, MessagingParty.Professional(scene.SocialWorker.Rpps!)));
        await scene.Vault.UnblockMessagingAsync(scene.Owner, MessagingParty.Professional(scene.Doctor.Rpps!));
        await conversation.SendAsync(scene.Doctor, new NewMessage(MessageType.FreeText, "Bonjour", []));
        await scene.Vault.BlockProfessionalAsync(scene.Owner, scene.Doctor.Rpps!);
        var blocked = await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.SendAsync(scene.Doctor, new NewMessage(MessageType.FreeText, "Bonjour", [])));
        Assert.Equal(DenialReason.Blocked, blocked.Code);
        var invalid = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Vault.BlockMessagingAsync(scene.Owner, "someone"));
        Assert.Equal("party", invalid.Field);
    }

    [Fact]
    public async Task An_establishment_system_sends_no_reply_messages_the_person_cannot_answer()
    {
        var scene = await SceneAsync();
        var finess = NewFiness();
        await fixture.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess))
            .RegisterAsync(Operator, new RegisterEstablishment("Centre hospitalier", EstablishmentKind.LegalEntity, "355", null, ProfessionSector.Health));
        var system = Caller.Establishment(finess, "client-" + finess);
        // No grant yet: no basis.
        var denied = await Assert.ThrowsAsync<AccessDeniedException>(() => NewConversation().StartAsync(system, Start(scene, noReply: true)));
        Assert.Equal(DenialReason.NoBasis, denied.Code);
        await scene.Vault.GrantAccessAsync(scene.Owner, new GrantRequest(GranteeKind.Establishment, finess, DocumentScope.All, NextYear));

        var conversation = NewConversation();
        var view = await conversation.StartAsync(system, new StartConversation(scene.VaultId, "Convocation",
            new NewMessage(MessageType.Convocation, "Merci de vous présenter", [], new Convocation(NextYear, "Consultation 3")), NoReply: true));
        Assert.True(view.NoReply);
        Assert.Equal("Centre hospitalier", view.Participants.Single(p => p.Kind == ParticipantKind.Establishment).DisplayName);
        var reply = await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.SendAsync(scene.Owner, new NewMessage(MessageType.FreeText, "Merci", [])));
        Assert.Equal(DenialReason.NoReply, reply.Code);
        // Only systems send no-reply. (The person's MESSAGE_RECEIVED notice is checked over HTTP in tests/api/messaging.test.mjs:
        // this two-silo cluster gives each silo its own in-memory outbox, so the vault may not see what the conversation queued.)
        var notYours = await Assert.ThrowsAsync<ValidationFailedException>(() => NewConversation().StartAsync(scene.Doctor, Start(scene, noReply: true)));
        Assert.Equal("noReply", notYours.Field);
        var message = Assert.Single((await conversation.ListMessagesAsync(scene.Owner, null, 10)).Items);
        Assert.Equal(NextYear, message.Convocation!.At);
        Assert.True(message.NoReply);
    }

    [Fact]
    public async Task Read_receipts_leaving_and_the_person_starting_a_conversation()
    {
        var scene = await SceneAsync();
        var rpps = scene.Doctor.Rpps!;
        await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps))
            .RegisterAsync(Operator, new RegisterProfessional("Dr Durand", "10", ProfessionSector.Health));
        var conversation = NewConversation();
        var started = await conversation.StartAsync(scene.Owner, Start(scene, "Question sur mon traitement", counterpart: rpps));
        Assert.Equal("Dr Durand", started.Participants.Single(p => p.Kind == ParticipantKind.Professional).DisplayName);
        Assert.Equal(1, started.YourLastReadSequence);

        Assert.Equal(1, (await conversation.GetAsync(scene.Doctor)).UnreadCount);
        await conversation.SendAsync(scene.Doctor, new NewMessage(MessageType.FreeText, "Réponse", []));
        var doctorView = await conversation.GetAsync(scene.Doctor);
        Assert.Equal(0, doctorView.UnreadCount);
        var ownerView = await conversation.GetAsync(scene.Owner);
        Assert.Equal(1, ownerView.UnreadCount);
        var receipt = await conversation.MarkReadAsync(scene.Owner, null);
        Assert.Equal(2, receipt.Participants.Single(p => p.Kind == ParticipantKind.Person).LastReadSequence);
        await Assert.ThrowsAsync<ValidationFailedException>(() => conversation.MarkReadAsync(scene.Owner, 5));

        // Someone else: not a participant.
        var stranger = Caller.Professional(NewRpps(), "10");
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.GetAsync(stranger))).Code);

        // The doctor leaves: they neither read nor write; the person cannot write to them any more.
        await conversation.LeaveAsync(scene.Doctor);
        await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.ListMessagesAsync(scene.Doctor, null, 10));
        await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.SendAsync(scene.Doctor, new NewMessage(MessageType.FreeText, "x", [])));
        await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.SendAsync(scene.Owner, new NewMessage(MessageType.FreeText, "x", [])));

        // Both sides list it.
        var mine = await fixture.Grains.GetGrain<IConversationIndexGrain>(GrainNames.Keys.ConversationIndex(MessagingParty.Professional(rpps))).ListAsync(scene.Doctor, 10, null);
        Assert.Equal(conversation.GetPrimaryKeyString(), Assert.Single(mine.Items).ConversationId);
        var persons = fixture.Grains.GetGrain<IConversationIndexGrain>(GrainNames.Keys.ConversationIndex(MessagingParty.Person(scene.VaultId)));
        Assert.Single((await persons.ListAsync(scene.Owner, 10, null)).Items);
        await Assert.ThrowsAsync<AccessDeniedException>(() => persons.ListAsync(scene.Doctor, 10, null));
        await Assert.ThrowsAsync<AccessDeniedException>(() => fixture.Grains.GetGrain<IConversationIndexGrain>(GrainNames.Keys.ConversationIndex(MessagingParty.Professional(rpps))).ListAsync(stranger, 10, null));
    }

    [Fact]
    public async Task History_pages_across_storage_pages_and_every_send_and_read_is_recorded()
    {
        var scene = await SceneAsync();
        var conversation = NewConversation();
        await conversation.StartAsync(scene.Doctor, Start(scene, "1"));
        for (var i = 2; i <= 75; i++)
        {
            await conversation.SendAsync(i % 2 == 0 ? scene.Owner : scene.Doctor, new NewMessage(MessageType.FreeText, i.ToString(), []));
        }
        var seen = new List<long>();
        long? before = null;
        while (true)
        {
            var page = await conversation.ListMessagesAsync(scene.Owner, before, 20);
            seen.AddRange(page.Items.Select(m => m.Sequence));
            Assert.All(page.Items, m => Assert.Equal(m.Sequence.ToString(), m.Body));
            if (!page.HasNextPage)
            {
                break;
            }
            before = page.Items[^1].Sequence;
        }
        Assert.Equal(Enumerable.Range(1, 75).Reverse().Select(i => (long)i), seen);
        await Assert.ThrowsAsync<ValidationFailedException>(() => conversation.ListMessagesAsync(scene.Owner, null, 51));
        await Assert.ThrowsAsync<ValidationFailedException>(() => conversation.ListMessagesAsync(scene.Owner, 500, 10));
        var tooLong = await Assert.ThrowsAsync<ValidationFailedException>(() => conversation.SendAsync(scene.Owner, new NewMessage(MessageType.FreeText, new string('a', 10_001), [])));
        Assert.Equal("body", tooLong.Field);

        var history = await HistoryAsync(scene);
        var target = "conversation:" + conversation.GetPrimaryKeyString();
        Assert.Single(history, e => e.Operation == "conversation.start" && e.Allowed && e.Target == target && e.ActorId == scene.Doctor.Rpps);
        Assert.Equal(74, history.Count(e => e.Operation == "message.send" && e.Allowed && e.Target == target));
        Assert.Equal(4, history.Count(e => e.Operation == "message.read" && e.Allowed && e.Target == target));
    }

    private IConversationIndexGrain IndexOf(string party) => fixture.Grains.GetGrain<IConversationIndexGrain>(GrainNames.Keys.ConversationIndex(party));

    private async Task RegisterAsync(string rpps) =>
        await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps))
            .RegisterAsync(Operator, new RegisterProfessional("Dr Durand", "10", ProfessionSector.Health));

    [Fact]
    public async Task A_professional_who_left_still_sees_the_header_so_their_list_keeps_working()
    {
        var scene = await SceneAsync();
        var conversation = NewConversation();
        await conversation.StartAsync(scene.Doctor, Start(scene));
        await conversation.LeaveAsync(scene.Doctor);

        var header = await conversation.GetAsync(scene.Doctor);
        Assert.NotNull(header.Participants.Single(p => p.Party == MessagingParty.Professional(scene.Doctor.Rpps!)).LeftAt);
        Assert.Equal(conversation.GetPrimaryKeyString(), Assert.Single((await IndexOf(MessagingParty.Professional(scene.Doctor.Rpps!)).ListAsync(scene.Doctor, 10, null)).Items).ConversationId);
        // Messages and read receipts stay refused.
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.ListMessagesAsync(scene.Doctor, null, 10))).Code);
        await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.MarkReadAsync(scene.Doctor, null));
    }

    [Fact]
    public async Task The_header_and_read_receipts_are_decided_by_the_vault_and_a_suspended_professional_lists_nothing()
    {
        var scene = await SceneAsync();
        var conversation = NewConversation();
        await conversation.StartAsync(scene.Doctor, Start(scene));
        await scene.Vault.BlockMessagingAsync(scene.Owner, MessagingParty.Professional(scene.Doctor.Rpps!));

        Assert.Equal(DenialReason.MessagingBlocked, (await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.GetAsync(scene.Doctor))).Code);
        Assert.Equal(DenialReason.MessagingBlocked, (await Assert.ThrowsAsync<AccessDeniedException>(() => conversation.MarkReadAsync(scene.Doctor, null))).Code);
        Assert.Contains(await HistoryAsync(scene), e => e.Operation == "conversation.read" && !e.Allowed && e.ActorId == scene.Doctor.Rpps);
        // Leaving needs no basis.
        await conversation.LeaveAsync(scene.Doctor);

        var suspended = scene.Doctor with { Standing = DirectoryStanding.Suspended };
        var listing = await Assert.ThrowsAsync<AccessDeniedException>(() => IndexOf(MessagingParty.Professional(scene.Doctor.Rpps!)).ListAsync(suspended, 10, null));
        Assert.Equal(DenialReason.Suspended, listing.Code);
    }

    [Fact]
    public async Task An_unknown_counterpart_is_not_found_before_anything_is_recorded()
    {
        var scene = await SceneAsync();
        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => NewConversation().StartAsync(scene.Owner, Start(scene, counterpart: NewRpps())));
        Assert.Equal(("counterpartRpps", ErrorCodes.NotFound), (missing.Field, missing.Code));
        Assert.DoesNotContain(await HistoryAsync(scene), e => e.Operation == "conversation.start");
    }

    [Fact]
    public async Task A_person_starts_a_bounded_number_of_conversations_a_day()
    {
        var scene = await SceneAsync();
        var rpps = scene.Doctor.Rpps!;
        await RegisterAsync(rpps);
        for (var i = 0; i < MessagingRules.MaxStartsPerDay; i++)
        {
            await NewConversation().StartAsync(scene.Owner, Start(scene, counterpart: rpps));
        }
        var quota = await Assert.ThrowsAsync<ValidationFailedException>(() => NewConversation().StartAsync(scene.Owner, Start(scene, counterpart: rpps)));
        Assert.Equal(("conversation", ErrorCodes.QuotaExceeded), (quota.Field, quota.Code));
        // The professional reaching the person is not the person starting: not counted.
        await NewConversation().StartAsync(scene.Doctor, Start(scene));
        Assert.Equal(MessagingRules.MaxStartsPerDay + 1, (await IndexOf(MessagingParty.Person(scene.VaultId)).ListAsync(scene.Owner, 1, null)).TotalCount);
    }

    [Fact]
    public async Task A_long_list_is_kept_in_pages_and_lists_newest_first_across_them()
    {
        var party = MessagingParty.Professional(NewRpps());
        var index = IndexOf(party);
        var writer = Caller.Operator("system:conversation");
        var ids = Enumerable.Range(0, 300).Select(_ => Ids.NewConversationId()).ToList();
        foreach (var id in ids)
        {
            await index.AddAsync(writer, new ConversationEntry(id, Ids.NewVaultId(), "vault:x", null, DateTimeOffset.UtcNow), startedByThisParty: false);
        }
        // Idempotent: a retried add changes nothing, on the last page (300) or on the one before (position 250).
        await index.AddAsync(writer, new ConversationEntry(ids[^1], Ids.NewVaultId(), "vault:x", null, DateTimeOffset.UtcNow), startedByThisParty: false);
        await index.AddAsync(writer, new ConversationEntry(ids[249], Ids.NewVaultId(), "vault:x", null, DateTimeOffset.UtcNow), startedByThisParty: false);
        await Assert.ThrowsAsync<AccessDeniedException>(() => index.AddAsync(Operator, new ConversationEntry(Ids.NewConversationId(), Ids.NewVaultId(), "vault:x", null, DateTimeOffset.UtcNow), false));

        var owner = Caller.Professional(party["rpps:".Length..], "10");
        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await index.ListAsync(owner, 50, after);
            Assert.Equal(300, page.TotalCount);
            seen.AddRange(page.Items.Select(e => e.ConversationId));
            if (!page.HasNextPage)
            {
                break;
            }
            after = page.Items[^1].Position.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Equal(Enumerable.Reverse(ids), seen);
        var outside = await Assert.ThrowsAsync<ValidationFailedException>(() => index.ListAsync(owner, 10, "302"));
        Assert.Equal("after", outside.Field);
    }

    [Fact]
    public async Task Messaging_blocks_are_bounded()
    {
        var scene = await SceneAsync();
        for (var i = 0; i < VaultGrain.MaxMessagingBlocks; i++)
        {
            await scene.Vault.BlockMessagingAsync(scene.Owner, MessagingParty.Professional(NewRpps()));
        }
        var quota = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Vault.BlockMessagingAsync(scene.Owner, MessagingParty.Professional(NewRpps())));
        Assert.Equal(("party", ErrorCodes.QuotaExceeded), (quota.Field, quota.Code));
        // Blocking one already blocked still answers.
        await scene.Vault.BlockMessagingAsync(scene.Owner, (await scene.Vault.GetAsync(scene.Owner)).Access!.MessagingBlocks[0].Party);
    }
}
