using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Agenda;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// Carers on the in-process cluster: invite → accept → read in scope, refused out of scope with the evaluator's reason,
/// deposit, agenda, ended by either side at once, expiry with the silos' clock moved.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CarerGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);

    private sealed record Scene(string VaultId, IVaultGrain Vault, IVaultCarersGrain Carers, Caller Owner, string CarerVaultId, Caller Carer);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private async Task<IVaultGrain> OpenVaultAsync(string vaultId)
    {
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(Caller.Professional(NewRpps(), "SOC-AS"), new OpenVault(new IdentityTraits("Martin", "Paule", new DateOnly(1944, 3, 2), Sex.Female),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001")));
        return vault;
    }

    private async Task<Scene> SceneAsync()
    {
        var vaultId = Ids.NewVaultId();
        var carerVaultId = Ids.NewVaultId();
        var vault = await OpenVaultAsync(vaultId);
        await OpenVaultAsync(carerVaultId);
        return new Scene(vaultId, vault, fixture.Grains.GetGrain<IVaultCarersGrain>(vaultId), Caller.Patient(vaultId), carerVaultId, Caller.Patient(carerVaultId));
    }

    private static CarerInvitationRequest Request(CarerActions actions, params string[] classes) =>
        new(classes.Length == 0 ? ["52"] : classes, actions, DateTimeOffset.UtcNow.AddDays(30), "ma fille");

    private static async Task<CarerDelegation> InviteAndAcceptAsync(Scene scene, CarerActions actions, params string[] classes)
    {
        var invitation = await scene.Carers.InviteCarerAsync(scene.Owner, Request(actions, classes));
        Assert.True(CarerRules.TrySplitCode(invitation.Code, out var reference, out var code));
        return await scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, code);
    }

    private async Task<DocumentEntry> DepositAsync(IVaultGrain vault, Caller author, string classCode, string typeCode)
    {
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray()));
        var document = new NewDocument($"{typeCode} document", classCode, typeCode, "application/pdf", 10, sha);
        var permit = await vault.AuthorizeUploadAsync(author, document);
        return await vault.AddDocumentAsync(author, document, permit.ContentKey, 10, sha);
    }

    [Fact]
    public async Task Invite_accept_read_in_scope_refused_outside_deposit_and_end()
    {
        var scene = await SceneAsync();
        var social = await DepositAsync(scene.Vault, scene.Owner, "52", "ATTEST-RESID");
        var medical = await DepositAsync(scene.Vault, scene.Owner, "10", "11490-0");

        var delegation = await InviteAndAcceptAsync(scene, CarerActions.Read | CarerActions.Deposit, "52");
        Assert.Equal(scene.CarerVaultId, delegation.CarerVaultId);
        Assert.Equal(ConsentMethod.InApp, delegation.Consent.Method);
        Assert.Equal(scene.VaultId, delegation.Consent.RecordedBy);

        // In scope: read, with the sentence in why; the list shows only the delegated class.
        var view = await scene.Vault.GetAsync(scene.Carer);
        Assert.Equal(LegalBasis.Carer, view.Basis);
        Assert.Null(view.Access);
        Assert.Equal(social.Id, (await scene.Vault.GetDocumentAsync(scene.Carer, social.Id)).Id);
        var list = await scene.Vault.ListDocumentsAsync(scene.Carer, new DocumentQuery());
        Assert.Equal(social.Id, Assert.Single(list.Items).Id);
        var why = await scene.Vault.ExplainAsync(scene.Carer, VaultAction.ReadDocument, social.Id);
        Assert.StartsWith("You act as this person's carer within their delegation: classes 52, actions READ, DEPOSIT, until ", why.Explanation, StringComparison.Ordinal);

        // Out of scope: refused with the reason.
        var outside = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetDocumentAsync(scene.Carer, medical.Id));
        Assert.Equal(DenialReason.OutsideScope, outside.Code);
        var history = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAccessHistoryAsync(scene.Carer, null, 10));
        Assert.Equal(DenialReason.OutsideDelegation, history.Code);

        // Deposit in scope; the author is the carer.
        var deposited = await DepositAsync(scene.Vault, scene.Carer, "52", "ATTEST-RESID");
        Assert.Equal(AuthorKind.Carer, deposited.Author.Kind);
        Assert.Equal(scene.CarerVaultId, deposited.Author.Id);
        Assert.Equal(DenialReason.OutsideScope, (await Assert.ThrowsAsync<AccessDeniedException>(() => DepositAsync(scene.Vault, scene.Carer, "10", "11490-0"))).Code);

        // Visible to both.
        var owners = await scene.Vault.GetAsync(scene.Owner);
        Assert.Equal(delegation.Id, Assert.Single(owners.Access!.CarerDelegations).Id);
        var mine = Assert.Single(await fixture.Grains.GetGrain<ICarerIndexGrain>(GrainNames.Keys.CarerIndex(scene.CarerVaultId)).ListAsync(scene.Carer));
        Assert.Equal(scene.VaultId, mine.PersonVaultId);
        Assert.Equal(CarerDelegationStatus.Active, mine.StatusAt(DateTimeOffset.UtcNow));

        // The carer ends it: at once.
        var ended = await scene.Carers.EndCarerDelegationAsync(scene.Carer, delegation.Id);
        Assert.Equal(scene.CarerVaultId, ended.EndedBy);
        Assert.Equal(DenialReason.BasisExpired, (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetDocumentAsync(scene.Carer, social.Id))).Code);

        // The person's history shows the carer's accesses with basis CARER; the person was told of the start and the end.
        var events = (await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100)).Items.Select(i => i.Event).ToList();
        Assert.Contains(events, e => e.Allowed && e.Basis == LegalBasis.Carer && e.Operation == "carer.accept");
        Assert.Contains(events, e => e.Allowed && e.Basis == LegalBasis.Carer && e.ActorId == scene.CarerVaultId && e.Target == $"document:{social.Id}");
        Assert.Contains(events, e => e.Allowed && e.Operation == "carer.end");
        var notifications = await scene.Vault.GetNotificationsAsync(scene.Owner, 50);
        Assert.Contains(notifications, n => n.Kind == NotificationKind.CarerDelegationStarted);
        Assert.Equal(scene.CarerVaultId, Assert.IsType<CarerDelegationEndedNotice>(Assert.Single(notifications, n => n.Kind == NotificationKind.CarerDelegationEnded).Payload).EndedBy);
    }

    [Fact]
    public async Task The_person_ends_it_at_once_and_a_stranger_cannot()
    {
        var scene = await SceneAsync();
        var delegation = await InviteAndAcceptAsync(scene, CarerActions.Read);
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Carers.EndCarerDelegationAsync(Caller.Patient(Ids.NewVaultId()), delegation.Id));
        await scene.Carers.EndCarerDelegationAsync(scene.Owner, delegation.Id);
        Assert.Equal(DenialReason.BasisExpired, (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAsync(scene.Carer))).Code);
        Assert.Equal(CarerDelegationStatus.Ended,
            Assert.Single(await fixture.Grains.GetGrain<ICarerIndexGrain>(GrainNames.Keys.CarerIndex(scene.CarerVaultId)).ListAsync(scene.Carer)).StatusAt(DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task A_code_is_single_use_and_locks_after_five_wrong_tries()
    {
        var scene = await SceneAsync();
        var invitation = await scene.Carers.InviteCarerAsync(scene.Owner, Request(CarerActions.Read));
        CarerRules.TrySplitCode(invitation.Code, out var reference, out var code);
        for (var i = 0; i < CarerRules.InvitationMaxAttempts; i++)
        {
            var wrong = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, "00000-00000-0"));
            Assert.Equal(CarerRules.InvitationRefused, wrong.Code);
        }
        // Locked: even the right code is refused now.
        await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, code));

        var second = await scene.Carers.InviteCarerAsync(scene.Owner, Request(CarerActions.Read));
        CarerRules.TrySplitCode(second.Code, out reference, out code);
        // The person cannot be their own carer; then the carer accepts once, and the code is spent.
        await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Carers.AcceptCarerInvitationAsync(scene.Owner, reference, code));
        await scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, code);
        await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, code));
    }

    [Fact]
    public async Task Invitations_are_checked_and_bounded()
    {
        var scene = await SceneAsync();
        Assert.Equal("classCodes", (await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Carers.InviteCarerAsync(scene.Owner, Request(CarerActions.Read, "99x")))).Field);
        Assert.Equal("actions", (await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Carers.InviteCarerAsync(scene.Owner, Request(CarerActions.None)))).Field);
        Assert.Equal("until", (await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Carers.InviteCarerAsync(scene.Owner,
            Request(CarerActions.Read) with { Until = DateTimeOffset.UtcNow.AddYears(2) }))).Field);
        // A carer cannot invite other carers on the person's behalf.
        await InviteAndAcceptAsync(scene, CarerActions.Read | CarerActions.Deposit | CarerActions.ManageAppointments);
        Assert.Equal(DenialReason.OutsideDelegation,
            (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Carers.InviteCarerAsync(scene.Carer, Request(CarerActions.Read)))).Code);
    }

    [Fact]
    public async Task The_agenda_with_manage_appointments()
    {
        var scene = await SceneAsync();
        var agenda = fixture.Grains.GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(scene.VaultId));
        var slot = new NewAppointment("Cardiologue", DateTimeOffset.UtcNow.AddDays(3), DateTimeOffset.UtcNow.AddDays(3).AddMinutes(30), "Hôpital");
        await InviteAndAcceptAsync(scene, CarerActions.Read);
        Assert.Equal(DenialReason.OutsideDelegation, (await Assert.ThrowsAsync<AccessDeniedException>(() => agenda.CreateAsync(scene.Carer, slot))).Code);

        await InviteAndAcceptAsync(scene, CarerActions.ManageAppointments);
        var created = await agenda.CreateAsync(scene.Carer, slot);
        Assert.Equal(AppointmentStatus.Confirmed, created.Status);
        // A carer's change is recorded as a carer's (not a representative's), and the person is told of it.
        Assert.Equal(new AppointmentActor(AppointmentActorKind.Carer, null), Assert.Single(created.History).Actor);
        Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 50),
            n => n.Kind == NotificationKind.AppointmentChanged && ((AppointmentChangedNotice)n.Payload).AppointmentId == created.Id);
        Assert.Equal(created.Id, Assert.Single((await agenda.ListAsync(scene.Owner, new AgendaQuery(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(10), 10))).Items).Id);
    }

    [Fact]
    public async Task A_social_referent_records_a_delegation_with_a_paper_consent()
    {
        var scene = await SceneAsync();
        var referent = Caller.Professional(NewRpps(), "SOC-AS");
        await scene.Vault.AddReferentAsync(scene.Owner, new ReferentRequest(referent.Rpps!, null,
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-002")));
        var record = new CarerDelegationRecord(scene.CarerVaultId, Request(CarerActions.Read), ConsentMethod.SignedPaper, "formulaire signé n° 2026-17");

        Assert.Equal("consentMethod", (await Assert.ThrowsAsync<ValidationFailedException>(
            () => scene.Carers.RecordCarerDelegationAsync(referent, record with { Method = ConsentMethod.InApp }))).Field);
        Assert.Equal("evidence", (await Assert.ThrowsAsync<ValidationFailedException>(
            () => scene.Carers.RecordCarerDelegationAsync(referent, record with { Evidence = " " }))).Field);
        // A doctor with a grant, the person themself, a stranger: not this way.
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(
            () => scene.Carers.RecordCarerDelegationAsync(Caller.Professional(NewRpps(), "10"), record))).Code);
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(
            () => scene.Carers.RecordCarerDelegationAsync(scene.Owner, record))).Code);

        // Within the referent's own mandate only: their consent covers class 52 alone here.
        var narrow = Caller.Professional(NewRpps(), "SOC-AS");
        await scene.Vault.AddReferentAsync(scene.Owner, new ReferentRequest(narrow.Rpps!, null,
            new ConsentRecord(ConsentMethod.SignedPaper, new DocumentScope(["52"]), NextYear, "form 2026-003")));
        var beyond = await Assert.ThrowsAsync<ValidationFailedException>(
            () => scene.Carers.RecordCarerDelegationAsync(narrow, record with { Request = Request(CarerActions.Read, "52", "10") }));
        Assert.Equal("classCodes", beyond.Field);
        Assert.Contains("outside the scope", beyond.Message, StringComparison.Ordinal);
        // A caller who would be denied gets the denial, not the scope rule.
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(
            () => scene.Carers.RecordCarerDelegationAsync(Caller.Professional(NewRpps(), "SOC-AS"), record with { Request = Request(CarerActions.Read, "10") }))).Code);
        Assert.Equal(ConsentMethod.SignedPaper, (await scene.Carers.RecordCarerDelegationAsync(narrow, record)).Consent.Method);

        var delegation = await scene.Carers.RecordCarerDelegationAsync(referent, record);
        Assert.Equal(ConsentMethod.SignedPaper, delegation.Consent.Method);
        Assert.Equal(referent.Rpps, delegation.Consent.RecordedBy);
        Assert.Equal(LegalBasis.Carer, (await scene.Vault.GetAsync(scene.Carer)).Basis);
        Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 50), n => n.Kind == NotificationKind.CarerDelegationStarted);
    }

    /// <summary>A minor (18 on <paramref name="birthday"/>) and a parent, with the parent's representation recorded.</summary>
    private async Task<(Scene Scene, string ParentId, Caller Parent)> MinorSceneAsync(DateOnly birthday)
    {
        var vaultId = Ids.NewVaultId();
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(Caller.Professional(NewRpps(), "SOC-AS"), new OpenVault(new IdentityTraits("Martin", "Léa", birthday.AddYears(-18), Sex.Female),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-004"), IsMinor: true));
        var parentId = Ids.NewVaultId();
        var carerId = Ids.NewVaultId();
        await OpenVaultAsync(parentId);
        await OpenVaultAsync(carerId);
        await vault.AddRepresentativeAsync(Caller.Operator("op-civil-status"), new RepresentativeRequest(parentId, RepresentationKind.Parent, null));
        var scene = new Scene(vaultId, vault, fixture.Grains.GetGrain<IVaultCarersGrain>(vaultId), Caller.Patient(vaultId), carerId, Caller.Patient(carerId));
        return (scene, parentId, Caller.Patient(parentId));
    }

    [Fact]
    public async Task A_parent_cannot_be_their_own_carer_and_what_they_delegated_ends_at_majority()
    {
        var birthday = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(1);
        var (scene, parentId, parent) = await MinorSceneAsync(birthday);

        // The parent issues; accepting their own invitation is refused (a representative needs no delegation).
        var own = await scene.Carers.InviteCarerAsync(parent, Request(CarerActions.Read));
        CarerRules.TrySplitCode(own.Code, out var reference, out var code);
        var refused = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Carers.AcceptCarerInvitationAsync(parent, reference, code));
        Assert.Equal(("code", ErrorCodes.Conflict), (refused.Field, refused.Code));

        // Another carer accepts the parent's invitation: recorded by the parent's vault, issued by the parent.
        var issued = await scene.Carers.InviteCarerAsync(parent, Request(CarerActions.Read));
        CarerRules.TrySplitCode(issued.Code, out reference, out code);
        var delegation = await scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, code);
        Assert.Equal(parentId, delegation.IssuerVaultId);
        Assert.Equal(parentId, delegation.Consent.RecordedBy);
        Assert.Equal(LegalBasis.Carer, (await scene.Vault.GetAsync(scene.Carer)).Basis);
        var pending = await scene.Carers.InviteCarerAsync(parent, Request(CarerActions.Read));

        var midnight = new DateTimeOffset(birthday.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        try
        {
            ClusterFixture.Clock.Offset = midnight.AddMinutes(1) - DateTimeOffset.UtcNow;
            // The evaluator refuses at once; the hand-over then ends the delegation and cancels the parent's pending invitation.
            Assert.Equal(DenialReason.BasisExpired, (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAsync(scene.Carer))).Code);
            await scene.Vault.ReachMajorityAsync();
            var ended = Assert.Single((await scene.Vault.GetAsync(scene.Owner)).Access!.CarerDelegations, d => d.Id == delegation.Id);
            Assert.Equal("majority", ended.EndedBy);
            Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 50),
                n => n.Kind == NotificationKind.CarerDelegationEnded && ((CarerDelegationEndedNotice)n.Payload).EndedBy == "majority");
            CarerRules.TrySplitCode(pending.Code, out reference, out code);
            Assert.Equal(CarerRules.InvitationRefused, (await Assert.ThrowsAsync<ValidationFailedException>(
                () => scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, code))).Code);
            // The former parent is no carer either: the adult person would have to invite them.
            Assert.Equal(DenialReason.BasisExpired, (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAsync(parent))).Code);
        }
        finally
        {
            ClusterFixture.Clock.Offset = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_removed_representatives_delegations_and_invitations_end_with_the_representation()
    {
        var (scene, _, parent) = await MinorSceneAsync(DateOnly.FromDateTime(DateTime.UtcNow).AddYears(5));
        var invitation = await scene.Carers.InviteCarerAsync(parent, Request(CarerActions.Read));
        CarerRules.TrySplitCode(invitation.Code, out var reference, out var code);
        var delegation = await scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, code);
        var pending = await scene.Carers.InviteCarerAsync(parent, Request(CarerActions.Read));

        await scene.Vault.RemoveRepresentativeAsync(Caller.Operator("op-civil-status"), parent.VaultId!);
        Assert.Equal(DenialReason.BasisExpired, (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAsync(scene.Carer))).Code);
        Assert.Equal("representation-removed",
            Assert.Single((await scene.Vault.GetAsync(scene.Owner)).Access!.CarerDelegations, d => d.Id == delegation.Id).EndedBy);
        CarerRules.TrySplitCode(pending.Code, out reference, out code);
        Assert.Equal(CarerRules.InvitationRefused, (await Assert.ThrowsAsync<ValidationFailedException>(
            () => scene.Carers.AcceptCarerInvitationAsync(scene.Carer, reference, code))).Code);
    }

    [Fact]
    public async Task An_expired_delegation_opens_nothing()
    {
        var scene = await SceneAsync();
        var delegation = await InviteAndAcceptAsync(scene, CarerActions.Read);
        Assert.Equal(LegalBasis.Carer, (await scene.Vault.GetAsync(scene.Carer)).Basis);
        try
        {
            ClusterFixture.Clock.Offset = delegation.Consent.ExpiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);
            Assert.Equal(DenialReason.BasisExpired, (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAsync(scene.Carer))).Code);
            var owners = await scene.Vault.GetAsync(scene.Owner);
            Assert.Equal(CarerDelegationStatus.Expired, Assert.Single(owners.Access!.CarerDelegations).StatusAt(ClusterFixture.Clock.GetUtcNow()));

            // The expiry reminder tells the person once (ended by "expired"), however often it fires.
            var remindable = scene.Vault.AsReference<Orleans.IRemindable>();
            var tick = new Orleans.Runtime.TickStatus(DateTime.UtcNow, TimeSpan.FromHours(1), DateTime.UtcNow);
            await remindable.ReceiveReminder(VaultGrain.CarerExpiryReminder, tick);
            await remindable.ReceiveReminder(VaultGrain.CarerExpiryReminder, tick);
            var ended = Assert.Single(await scene.Vault.GetNotificationsAsync(scene.Owner, 50), n => n.Kind == NotificationKind.CarerDelegationEnded);
            Assert.Equal("expired", Assert.IsType<CarerDelegationEndedNotice>(ended.Payload).EndedBy);
        }
        finally
        {
            ClusterFixture.Clock.Offset = TimeSpan.Zero;
        }
    }
}
