using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Agenda;
using Coffre.Grains.Vaults;
using Orleans.Runtime;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>The agenda grain in the in-process cluster: permissions decided by the vault, the proposal flow, reminders sent once.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AgendaGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private sealed record Scene(IVaultGrain Vault, IAgendaGrain Agenda, string VaultId, Caller Owner, Caller Referent, Caller Doctor, Caller Stranger);

    /// <summary>A social worker opens a vault (referent); the person grants a doctor; a stranger doctor has no basis.</summary>
    private async Task<Scene> OpenAsync()
    {
        var vaultId = Ids.NewVaultId();
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(social, new OpenVault(new IdentityTraits("Martin", "Paule", new DateOnly(1974, 3, 2), Sex.Female),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001")));
        var owner = Caller.Patient(vaultId);
        var doctor = Caller.Professional(NewRpps(), "10");
        await vault.GrantAccessAsync(owner, new GrantRequest(GranteeKind.Professional, doctor.Rpps!, DocumentScope.All, NextYear));
        return new Scene(vault, fixture.Grains.GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(vaultId)), vaultId, owner, social, doctor,
            Caller.Professional(NewRpps(), "10"));
    }

    private static NewAppointment Slot(string title, TimeSpan ahead, params int[] offsets) =>
        new(title, DateTimeOffset.UtcNow + ahead, DateTimeOffset.UtcNow + ahead + TimeSpan.FromMinutes(30), "Cabinet",
            ReminderOffsetsMinutes: offsets.Length == 0 ? null : offsets);

    private static AgendaQuery All => new(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60), 50);

    [Fact]
    public async Task The_person_and_the_referent_manage_a_doctor_sees_only_their_own_and_a_stranger_nothing()
    {
        var scene = await OpenAsync();
        var own = await scene.Agenda.CreateAsync(scene.Owner, Slot("Dentist", TimeSpan.FromDays(3)));
        Assert.Equal(AppointmentStatus.Confirmed, own.Status);
        await scene.Agenda.CreateAsync(scene.Referent, Slot("Housing office", TimeSpan.FromDays(4)));
        var proposed = await scene.Agenda.ProposeAsync(scene.Doctor, Slot("Check-up", TimeSpan.FromDays(5)));

        Assert.Equal(3, (await scene.Agenda.ListAsync(scene.Owner, All)).TotalCount);
        Assert.Equal(3, (await scene.Agenda.ListAsync(scene.Referent, All)).TotalCount);
        var doctors = await scene.Agenda.ListAsync(scene.Doctor, All);
        Assert.Equal(proposed.Id, Assert.Single(doctors.Items).Id);

        var managed = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.CreateAsync(scene.Doctor, Slot("x", TimeSpan.FromDays(2))));
        Assert.Equal(DenialReason.NotPermitted, managed.Code);
        var stranger = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.ProposeAsync(scene.Stranger, Slot("x", TimeSpan.FromDays(2))));
        Assert.Equal(DenialReason.NoBasis, stranger.Code);
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.ListAsync(scene.Stranger, All));
        var notYours = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.CancelAsync(scene.Doctor, own.Id));
        Assert.Equal(ErrorCodes.NotFound, notYours.Code);
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.ProposeAsync(Caller.Operator("op-1"), Slot("x", TimeSpan.FromDays(2))));

        // Blocked by the person: refused, whatever the grant.
        await scene.Vault.BlockProfessionalAsync(scene.Owner, scene.Doctor.Rpps!);
        Assert.Equal(DenialReason.Blocked, (await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.ListAsync(scene.Doctor, All))).Code);

        // Each decision is in the person's access history.
        var history = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100);
        Assert.Contains(history.Items, e => e.Event.Operation == "appointment.propose" && e.Event.ActorId == scene.Stranger.Rpps && !e.Event.Allowed);
        Assert.Contains(history.Items, e => e.Event.Operation == "appointment.create" && e.Event.Allowed);
    }

    [Fact]
    public async Task A_proposal_is_rescheduled_by_the_person_and_the_professional_accepts_the_counter_proposal()
    {
        var scene = await OpenAsync();
        var proposed = await scene.Agenda.ProposeAsync(scene.Doctor, Slot("Check-up", TimeSpan.FromDays(5)));
        Assert.Equal(AppointmentStatus.Proposed, proposed.Status);
        Assert.True(proposed.AwaitingPerson);
        Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 20),
            n => n.Payload is AppointmentChangedNotice { Change: "proposed" } notice && notice.AppointmentId == proposed.Id);

        // The doctor cannot answer their own proposal.
        var early = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.RespondAsync(scene.Doctor, proposed.Id, AppointmentResponse.Accept, null, null));
        Assert.Equal(ErrorCodes.Conflict, early.Code);
        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.RespondAsync(scene.Owner, proposed.Id, AppointmentResponse.Reschedule, null, null));
        Assert.Equal("counterStartsAt", missing.Field);

        var counterStart = DateTimeOffset.UtcNow.AddDays(6);
        var countered = await scene.Agenda.RespondAsync(scene.Owner, proposed.Id, AppointmentResponse.Reschedule, counterStart, counterStart.AddMinutes(20));
        Assert.Equal(AppointmentStatus.Proposed, countered.Status);
        Assert.False(countered.AwaitingPerson);

        var accepted = await scene.Agenda.RespondAsync(scene.Doctor, proposed.Id, AppointmentResponse.Accept, null, null);
        Assert.Equal(AppointmentStatus.Confirmed, accepted.Status);
        Assert.Equal(counterStart.ToUniversalTime(), accepted.StartsAt);
        Assert.Equal(["proposed", "asked-to-reschedule", "accepted-counter-proposal"], accepted.History.Select(h => h.Action));

        var cancelled = await scene.Agenda.CancelAsync(scene.Doctor, proposed.Id);
        Assert.Equal(AppointmentStatus.Cancelled, cancelled.Status);
        Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 20), n => n.Payload is AppointmentChangedNotice { Change: "cancelled" });
        var again = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.CancelAsync(scene.Owner, proposed.Id));
        Assert.Equal(ErrorCodes.Conflict, again.Code);

        var ics = await scene.Agenda.ExportAsync(scene.Owner);
        Assert.Contains($"UID:{proposed.Id}@coffre", ics, StringComparison.Ordinal);
        Assert.Contains("STATUS:CANCELLED", ics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_is_validated_after_access_and_names_its_field()
    {
        var scene = await OpenAsync();
        // A caller who would be denied gets the denial, not the validation details, and the attempt is in the history.
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.CreateAsync(scene.Doctor, Slot("x", TimeSpan.FromDays(-1))));
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.ListAsync(scene.Stranger, All with { First = 500 }));
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.ProposeAsync(scene.Stranger, Slot("x", TimeSpan.FromDays(-1))));
        var history = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100);
        Assert.Contains(history.Items, e => e.Event.Operation == "appointment.create" && e.Event.ActorId == scene.Doctor.Rpps && !e.Event.Allowed);
        Assert.Contains(history.Items, e => e.Event.Operation == "agenda.read" && e.Event.ActorId == scene.Stranger.Rpps && !e.Event.Allowed);

        var past = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.CreateAsync(scene.Owner, Slot("x", TimeSpan.FromDays(-1))));
        Assert.Equal("startsAt", past.Field);
        var offsets = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.CreateAsync(scene.Owner, Slot("x", TimeSpan.FromDays(1), 1)));
        Assert.Equal("reminderOffsetsMinutes", offsets.Field);
        var range = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.ListAsync(scene.Owner, All with { First = 500 }));
        Assert.Equal("first", range.Field);
    }

    [Fact]
    public async Task Prevention_items_come_from_birth_date_and_sex_and_a_dismissal_sticks()
    {
        var scene = await OpenAsync();
        var items = await scene.Agenda.PreventionItemsAsync(scene.Owner);
        var breast = Assert.Single(items, i => i.RuleId == "breast-screening");
        Assert.False(breast.Dismissed);
        await scene.Agenda.DismissPreventionItemAsync(scene.Owner, PreventionRules.DismissalKey(breast.RuleId, breast.DueFrom));
        Assert.True(Assert.Single(await scene.Agenda.PreventionItemsAsync(scene.Owner), i => i.RuleId == "breast-screening").Dismissed);
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.PreventionItemsAsync(scene.Doctor));
        var unknown = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.DismissPreventionItemAsync(scene.Owner, "nope/2020"));
        Assert.Equal("itemId", unknown.Field);
    }

    [Fact]
    public async Task A_reminder_is_sent_once_even_when_its_callback_is_delivered_again()
    {
        var scene = await OpenAsync();
        // Due 3 seconds from now: 5 minutes before a start 5 minutes and 3 seconds ahead.
        var created = await scene.Agenda.CreateAsync(scene.Owner,
            new NewAppointment("Blood test", DateTimeOffset.UtcNow.AddMinutes(5).AddSeconds(3), DateTimeOffset.UtcNow.AddMinutes(35), null, ReminderOffsetsMinutes: [5]));
        var remindable = scene.Agenda.AsReference<IRemindable>();
        var tick = new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow);

        // Not due yet: the callback sends nothing.
        await remindable.ReceiveReminder(AgendaGrain.ReminderName, tick);
        Assert.Empty(await RemindersAsync(scene));

        // Wait for the due time itself (a phase, not a timed assertion), then deliver the callback twice.
        var due = created.StartsAt - TimeSpan.FromMinutes(5) - DateTimeOffset.UtcNow;
        if (due > TimeSpan.Zero)
        {
            await Task.Delay(due + TimeSpan.FromMilliseconds(100));
        }
        await remindable.ReceiveReminder(AgendaGrain.ReminderName, tick);
        await remindable.ReceiveReminder(AgendaGrain.ReminderName, tick);

        var sent = Assert.Single(await RemindersAsync(scene));
        var notice = Assert.IsType<AppointmentReminderNotice>(sent.Payload);
        Assert.Equal(created.Id, notice.AppointmentId);
        Assert.Equal(5, notice.OffsetMinutes);
    }

    [Fact]
    public async Task A_closed_vault_sends_no_reminder_and_its_agenda_is_stopped_by_the_system_only()
    {
        var scene = await OpenAsync();
        var created = await scene.Agenda.CreateAsync(scene.Owner,
            new NewAppointment("Blood test", DateTimeOffset.UtcNow.AddMinutes(5).AddSeconds(3), DateTimeOffset.UtcNow.AddMinutes(35), null, ReminderOffsetsMinutes: [5]));
        await scene.Vault.CloseAsync(Caller.Operator("op-1"));

        // Wait for the due time itself (a phase, not a timed assertion), then deliver the callback.
        var due = created.StartsAt - TimeSpan.FromMinutes(5) - DateTimeOffset.UtcNow;
        if (due > TimeSpan.Zero)
        {
            await Task.Delay(due + TimeSpan.FromMilliseconds(100));
        }
        await scene.Agenda.AsReference<IRemindable>().ReceiveReminder(AgendaGrain.ReminderName,
            new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));

        var reminderId = AgendaRules.ReminderMessageId(scene.VaultId, AgendaRules.ReminderKey(created, 5));
        Assert.DoesNotContain(await ClusterFixture.Outbox.ListForRecipientAsync(scene.VaultId, 200), m => m.Id == reminderId);

        // The internal calls take their system caller only.
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.IsOpenForAgendaAsync(scene.Owner));
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.IsOpenForAgendaAsync(Caller.Operator("op-1")));
        Assert.False(await scene.Vault.IsOpenForAgendaAsync(AgendaGrain.System));
        var open = await OpenAsync();
        Assert.True(await open.Vault.IsOpenForAgendaAsync(AgendaGrain.System));
    }

    [Fact]
    public async Task A_referents_change_notifies_the_person_and_the_history_shows_kinds_not_vault_ids()
    {
        var scene = await OpenAsync();
        var byReferent = await scene.Agenda.CreateAsync(scene.Referent, Slot("Housing office", TimeSpan.FromDays(4)));
        var own = await scene.Agenda.CreateAsync(scene.Owner, Slot("Dentist", TimeSpan.FromDays(3)));
        var notices = (await scene.Vault.GetNotificationsAsync(scene.Owner, 50)).Select(n => n.Payload).OfType<AppointmentChangedNotice>().ToList();
        Assert.Contains(notices, n => n.AppointmentId == byReferent.Id && n.Change == "created");
        Assert.DoesNotContain(notices, n => n.AppointmentId == own.Id);

        Assert.Equal(new AppointmentActor(AppointmentActorKind.Professional, scene.Referent.Rpps), Assert.Single(byReferent.History).Actor);
        Assert.Equal(new AppointmentActor(AppointmentActorKind.Person, null), Assert.Single(own.History).Actor);
        Assert.Equal(new AppointmentActor(AppointmentActorKind.Representative, null), AppointmentActor.Of(Caller.Patient(Ids.NewVaultId()), scene.VaultId, LegalBasis.LegalRepresentative));
        Assert.Equal(new AppointmentActor(AppointmentActorKind.Establishment, "750712184"), AppointmentActor.Of(Caller.Establishment("750712184", "his"), scene.VaultId, LegalBasis.Grant));

        // The referent cancels the person's own appointment (one they are not named in): the person is told.
        await scene.Agenda.CancelAsync(scene.Referent, own.Id);
        Assert.Contains((await scene.Vault.GetNotificationsAsync(scene.Owner, 50)).Select(n => n.Payload).OfType<AppointmentChangedNotice>(),
            n => n.AppointmentId == own.Id && n.Change == "cancelled");
    }

    [Fact]
    public async Task One_professional_holds_a_bounded_number_of_open_proposals_and_a_declined_one_frees_its_place()
    {
        var scene = await OpenAsync();
        var proposals = new List<Appointment>();
        for (var i = 0; i < AgendaRules.MaxOpenProposalsPerProposer; i++)
        {
            proposals.Add(await scene.Agenda.ProposeAsync(scene.Doctor, Slot($"Check-up {i}", TimeSpan.FromDays(5 + i))));
        }
        var full = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Agenda.ProposeAsync(scene.Doctor, Slot("one more", TimeSpan.FromDays(30))));
        Assert.Equal(ErrorCodes.QuotaExceeded, full.Code);
        // Another party is not held back by this one, and the person's side still creates.
        await scene.Agenda.CreateAsync(scene.Owner, Slot("Dentist", TimeSpan.FromDays(3)));

        await scene.Agenda.RespondAsync(scene.Owner, proposals[0].Id, AppointmentResponse.Decline, null, null);
        await scene.Agenda.ProposeAsync(scene.Doctor, Slot("one more", TimeSpan.FromDays(30)));
    }

    private static async Task<IReadOnlyList<VaultNotification>> RemindersAsync(Scene scene) =>
        [.. (await scene.Vault.GetNotificationsAsync(scene.Owner, 50)).Where(n => n.Kind == NotificationKind.AppointmentReminder)];
}
