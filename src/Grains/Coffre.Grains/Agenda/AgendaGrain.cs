using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Grains.Events;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Coffre.Grains.Agenda;

[GenerateSerializer, Alias("coffre.agenda-state")]
public sealed class AgendaState
{
    [Id(0)] public List<Appointment> Appointments { get; set; } = [];
    /// <summary>Reminders already sent: <see cref="AgendaRules.ReminderKey"/>, pruned once their appointment has ended.</summary>
    [Id(1)] public HashSet<string> FiredReminders { get; set; } = [];
    /// <summary>Dismissed prevention items (<see cref="PreventionRules.DismissalKey"/>).</summary>
    [Id(2)] public HashSet<string> DismissedPrevention { get; set; } = [];
    [Id(3)] public int NextNumber { get; set; }
    /// <summary>The due time the Orleans reminder is registered for (null: none registered).</summary>
    [Id(4)] public DateTimeOffset? ReminderDueAt { get; set; }
    /// <summary>The vaccinations of the person's medical profile (told by the profile grain), for prevention items' DONE status.</summary>
    [Id(5)] public List<VaccinationRecord> Vaccinations { get; set; } = [];
}

/// <summary>
/// A person's agenda (see <see cref="IAgendaGrain"/>). Access: every call first asks the vault grain (decided by the one
/// evaluator, audited there); the vault calls back only one-way (<see cref="StopRemindersAsync"/> when it closes or merges
/// away), so no call waits on the other. Before each sending the agenda asks the vault whether it is still open
/// (<see cref="IVaultGrain.IsOpenForAgendaAsync"/>) and stops when it is not. Reminders: one Orleans reminder per agenda
/// (<see cref="ReminderName"/>) registered for the next due reminder with a one-minute period (the retry if a firing is lost);
/// each firing sends what is due, records it, and re-registers for the next one, or unregisters.
/// <para>Exactly once per (appointment, offset): the notice's outbox id is derived from the vault and the reminder's key
/// (<see cref="AgendaRules.ReminderMessageId"/>) and enqueued <em>before</em> the key is recorded in state; a silo that dies
/// between the two leaves the reminder registered, another silo fires it again, and the outbox ignores the same id. Events on
/// the live transport are at least once (a re-delivery may publish ReminderDue twice; clients read the notification list).</para>
/// <para>Placed on the silo that first calls it (the one serving the request, which has just asked the person's vault): no
/// extra hop; the reminder service moves it to a surviving silo when that one dies.</para>
/// </summary>
[GrainType("agenda")]
[Orleans.Placement.PreferLocalPlacement]
public sealed class AgendaGrain(
    [PersistentState(GrainNames.States.Agenda, GrainNames.Storage)] IPersistentState<AgendaState> agenda,
    PersonNotifier notifier,
    IVaultEventPublisher events,
    TimeProvider clock,
    ILogger<AgendaGrain> logger) : Grain, IAgendaGrain, IRemindable
{
    public const string ReminderName = "agenda-next-reminder";

    /// <summary>Who asks the vault whether it still takes reminders: the system, on behalf of this agenda.</summary>
    public static readonly Caller System = Caller.Operator("system:agenda");

    /// <summary>The vault's system caller, the only one that stops this agenda's reminders.</summary>
    internal const string VaultSystemSubject = "system:vault";

    /// <summary>The medical profile's system caller, the only one that tells this agenda the person's vaccinations.</summary>
    public const string ProfileSystemSubject = "system:profile";
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromMinutes(1);

    private string VaultId => this.GetPrimaryKeyString()["agenda-".Length..];
    private IVaultGrain Vault => GrainFactory.GetGrain<IVaultGrain>(GrainNames.Keys.Vault(VaultId));
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!this.GetPrimaryKeyString().StartsWith("agenda-", StringComparison.Ordinal) || !Ids.IsVaultId(VaultId))
        {
            throw new ValidationFailedException("vaultId", "is not a vault id", ErrorCodes.NotFound);
        }
        return base.OnActivateAsync(cancellationToken);
    }

    /// <summary>Internal calls take one system caller only (<paramref name="subject"/>); anyone else is refused.</summary>
    internal static void RequireSystem(Caller caller, string subject)
    {
        if (caller is not { Kind: CallerKind.Operator } || caller.Subject != subject)
        {
            throw new AccessDeniedException($"Only {subject} makes this call.", DenialReason.NotPermitted);
        }
    }

    public async Task<AppointmentPage> ListAsync(Caller caller, AgendaQuery query)
    {
        // Access first: a caller who would be denied gets the denial (and the attempt is in the history), not validation details.
        var access = await Vault.CheckAgendaAsync(caller, AgendaUse.Read, "agenda.read");
        AgendaRules.Range(query.From, query.To, query.First);
        var visible = Visible(caller, access)
            .Where(a => a.StartsAt >= query.From && a.StartsAt < query.To)
            .OrderBy(a => a.StartsAt).ThenBy(a => a.Id, StringComparer.Ordinal)
            .ToList();
        var start = 0;
        if (query.After is { } after)
        {
            var index = visible.FindIndex(a => a.Id == after);
            if (index < 0)
            {
                throw new ValidationFailedException("after", "is not a cursor of this listing");
            }
            start = index + 1;
        }
        var page = visible.Skip(start).Take(query.First).ToList();
        return new AppointmentPage(page, start + page.Count < visible.Count, visible.Count);
    }

    public async Task<Appointment> CreateAsync(Caller caller, NewAppointment input)
    {
        var access = await Vault.CheckAgendaAsync(caller, AgendaUse.Manage, "appointment.create");
        var now = Now;
        var checkedInput = Validate(input, now);
        var actor = AppointmentActor.Of(caller, VaultId, access.Basis);
        var appointment = New(checkedInput, caller, actor, now, AppointmentStatus.Confirmed, proposedByProfessional: false,
            input.ProfessionalRpps, input.EstablishmentFiness, "created");
        await StoreAsync(appointment, "created", caller, actor);
        return appointment;
    }

    public async Task<Appointment> ProposeAsync(Caller caller, NewAppointment input)
    {
        if (caller.Kind is not (CallerKind.Professional or CallerKind.Establishment))
        {
            throw new AccessDeniedException("only professionals and establishments' systems propose appointments; the person's side creates them", DenialReason.NotPermitted);
        }
        // The one check for "has a basis to reach this person".
        var basis = await Vault.CheckContactAsync(caller, "appointment.propose");
        var now = Now;
        var checkedInput = Validate(input, now);
        var rpps = caller.Kind == CallerKind.Professional ? caller.Rpps : null;
        var finess = rpps is null ? caller.EstablishmentFiness : null;
        if (agenda.State.Appointments.Count(a => a.Status == AppointmentStatus.Proposed && a.ProposedByProfessional && a.EndsAt > now
                && a.Involves(rpps, finess)) >= AgendaRules.MaxOpenProposalsPerProposer)
        {
            throw new ValidationFailedException("vaultId",
                $"holds {AgendaRules.MaxOpenProposalsPerProposer} of your proposals awaiting an answer: wait for answers or cancel some first", ErrorCodes.QuotaExceeded);
        }
        var actor = AppointmentActor.Of(caller, VaultId, basis);
        var appointment = New(checkedInput, caller, actor, now, AppointmentStatus.Proposed, proposedByProfessional: true,
            rpps, caller.EstablishmentFiness, "proposed") with { AwaitingPerson = true };
        await StoreAsync(appointment, "proposed", caller, actor);
        return appointment;
    }

    public async Task<Appointment> RespondAsync(Caller caller, string appointmentId, AppointmentResponse response,
        DateTimeOffset? counterStartsAt, DateTimeOffset? counterEndsAt)
    {
        var access = await Vault.CheckAgendaAsync(caller, AgendaUse.Participate, "appointment.respond");
        var appointment = Find(caller, access, appointmentId);
        if (appointment.Status != AppointmentStatus.Proposed)
        {
            throw new ValidationFailedException("appointmentId", "is not awaiting an answer", ErrorCodes.Conflict);
        }
        var personSide = access.Manages && !appointment.Involves(caller.Rpps, caller.EstablishmentFiness);
        if (personSide != appointment.AwaitingPerson && !(access.Manages && appointment.AwaitingPerson))
        {
            throw new ValidationFailedException("appointmentId", appointment.AwaitingPerson ? "awaits the person's answer" : "awaits the professional's answer", ErrorCodes.Conflict);
        }
        var now = Now;
        var actor = AppointmentActor.Of(caller, VaultId, access.Basis);
        Appointment changed;
        string change;
        switch (response)
        {
            case AppointmentResponse.Accept when appointment.AwaitingPerson:
                changed = appointment.With(now, actor, "accepted", AppointmentStatus.Confirmed) with { ScheduledAt = now, AwaitingPerson = false };
                change = "accepted";
                break;
            case AppointmentResponse.Accept:
                changed = appointment.With(now, actor, "accepted-counter-proposal", AppointmentStatus.Confirmed) with
                {
                    StartsAt = appointment.CounterStartsAt!.Value,
                    EndsAt = appointment.CounterEndsAt!.Value,
                    CounterStartsAt = null,
                    CounterEndsAt = null,
                    ScheduledAt = now,
                };
                change = "accepted";
                break;
            case AppointmentResponse.Decline:
                changed = appointment.With(now, actor, "declined", AppointmentStatus.Declined) with { AwaitingPerson = false };
                change = "declined";
                break;
            case AppointmentResponse.Reschedule when appointment.AwaitingPerson:
                if (counterStartsAt is not { } start || counterEndsAt is not { } end)
                {
                    throw new ValidationFailedException(counterStartsAt is null ? "counterStartsAt" : "counterEndsAt", "is required to reschedule");
                }
                var (s, e) = AgendaRules.Times(start, end, now, "counterStartsAt", "counterEndsAt");
                changed = appointment.With(now, actor, "asked-to-reschedule", AppointmentStatus.Proposed) with
                {
                    CounterStartsAt = s,
                    CounterEndsAt = e,
                    AwaitingPerson = false,
                };
                change = "reschedule-requested";
                break;
            default:
                throw new ValidationFailedException("response", "RESCHEDULE is the person's answer to a proposal; the professional accepts or declines it");
        }
        await ReplaceAsync(changed, change, caller, actor);
        return changed;
    }

    public async Task<Appointment> CancelAsync(Caller caller, string appointmentId)
    {
        var access = await Vault.CheckAgendaAsync(caller, AgendaUse.Participate, "appointment.cancel");
        var appointment = Find(caller, access, appointmentId);
        if (appointment.Status is AppointmentStatus.Cancelled or AppointmentStatus.Declined)
        {
            throw new ValidationFailedException("appointmentId", "is already cancelled or declined", ErrorCodes.Conflict);
        }
        var actor = AppointmentActor.Of(caller, VaultId, access.Basis);
        var changed = appointment.With(Now, actor, "cancelled", AppointmentStatus.Cancelled);
        await ReplaceAsync(changed, "cancelled", caller, actor);
        return changed;
    }

    public async Task<IReadOnlyList<PreventionItem>> PreventionItemsAsync(Caller caller)
    {
        // A connected app reads them with agenda.read (what the consent screen says); everyone else as those who manage.
        var access = await Vault.CheckAgendaAsync(caller, caller.Kind == CallerKind.App ? AgendaUse.Read : AgendaUse.Manage, "prevention.read");
        return Prevention(access);
    }

    public async Task<PreventionItem> DismissPreventionItemAsync(Caller caller, string itemId)
    {
        var access = await Vault.CheckAgendaAsync(caller, AgendaUse.Manage, "prevention.dismiss");
        var item = Prevention(access).FirstOrDefault(i => PreventionRules.DismissalKey(i.RuleId, i.DueFrom) == itemId)
            ?? throw new ValidationFailedException("itemId", "names no current prevention item of this person", ErrorCodes.NotFound);
        if (agenda.State.DismissedPrevention.Add(itemId))
        {
            await agenda.WriteStateAsync();
        }
        return item with { Dismissed = true };
    }

    public async Task<string> ExportAsync(Caller caller)
    {
        var access = await Vault.CheckAgendaAsync(caller, AgendaUse.Read, "agenda.export");
        return ICalendar.Write(Visible(caller, access).OrderBy(a => a.StartsAt), Now, "Coffre");
    }

    /// <summary>Orleans' reminder: sends what is due, records it, then re-registers for the next one (or unregisters).</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName)
        {
            return;
        }
        // A closed or merged vault takes no more reminders (nobody could cancel them: every agenda call is refused there).
        if (!await Vault.IsOpenForAgendaAsync(System))
        {
            await StopAsync();
            return;
        }
        var now = Now;
        var due = AgendaRules.Due(agenda.State.Appointments, agenda.State.FiredReminders, now);
        foreach (var reminder in due)
        {
            var a = reminder.Appointment;
            // Enqueued under an id derived from the reminder: a re-delivery after a crash enqueues the same id (ignored).
            await notifier.NotifyAsync(VaultId, new AppointmentReminderNotice(a.Id, a.Title, a.StartsAt, reminder.OffsetMinutes, a.Place),
                AgendaRules.ReminderMessageId(VaultId, reminder.Key));
            agenda.State.FiredReminders.Add(reminder.Key);
        }
        if (due.Count > 0)
        {
            Prune(now);
            await agenda.WriteStateAsync();
            AgendaLog.RemindersSent(logger, due.Count);
            foreach (var reminder in due)
            {
                await PublishAsync(VaultEventKind.ReminderDue, reminder.Appointment.Id);
            }
        }
        await ScheduleAsync(now, force: true);
    }

    public async Task StopRemindersAsync(Caller caller)
    {
        RequireSystem(caller, VaultSystemSubject);
        await StopAsync();
    }

    public async Task RecordVaccinationsAsync(Caller caller, IReadOnlyList<VaccinationRecord> vaccinations)
    {
        RequireSystem(caller, ProfileSystemSubject);
        agenda.State.Vaccinations = [.. vaccinations];
        await agenda.WriteStateAsync();
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Unregisters the reminder; the appointments stay as they are.</summary>
    private async Task StopAsync()
    {
        if (await this.GetReminder(ReminderName) is { } registered)
        {
            await this.UnregisterReminder(registered);
        }
        if (agenda.State.ReminderDueAt is not null)
        {
            agenda.State.ReminderDueAt = null;
            await agenda.WriteStateAsync();
        }
        AgendaLog.RemindersStopped(logger);
    }

    private sealed record CheckedInput(string Title, DateTimeOffset Start, DateTimeOffset End, string? Place, IReadOnlyList<int> Offsets);

    private static CheckedInput Validate(NewAppointment input, DateTimeOffset now)
    {
        var title = AgendaRules.Title(input.Title);
        var (start, end) = AgendaRules.Times(input.StartsAt, input.EndsAt, now);
        var place = AgendaRules.Place(input.Place);
        var offsets = AgendaRules.Offsets(input.ReminderOffsetsMinutes);
        if (input.ProfessionalRpps is { } rpps && !Rpps.IsValid(rpps))
        {
            throw new ValidationFailedException("professionalRpps", "is not a valid RPPS or ADELI number");
        }
        if (input.EstablishmentFiness is { } finess && !Finess.IsValid(finess))
        {
            throw new ValidationFailedException("establishmentFiness", "is not a valid FINESS number");
        }
        return new CheckedInput(title, start, end, place, offsets);
    }

    private Appointment New(CheckedInput input, Caller caller, AppointmentActor actor, DateTimeOffset now, AppointmentStatus status, bool proposedByProfessional,
        string? rpps, string? finess, string action)
    {
        if (agenda.State.Appointments.Count(a => AgendaRules.IsOpen(a, now)) >= AgendaRules.MaxAppointments)
        {
            throw new ValidationFailedException("vaultId", $"holds {AgendaRules.MaxAppointments} upcoming appointments: cancel some first", ErrorCodes.QuotaExceeded);
        }
        return new Appointment
        {
            Id = $"a-{agenda.State.NextNumber + 1:D6}-{Ids.NewToken()[..8]}",
            Title = input.Title,
            StartsAt = input.Start,
            EndsAt = input.End,
            Place = input.Place,
            ProfessionalRpps = rpps,
            EstablishmentFiness = finess,
            Status = status,
            ProposedByProfessional = proposedByProfessional,
            ReminderOffsetsMinutes = input.Offsets,
            ScheduledAt = now,
            CreatedAt = now,
            CreatedBy = AuditEvents.ActorId(caller),
            Revision = 1,
            History = [new AppointmentChange(now, actor, action, status)],
        };
    }

    private IEnumerable<Appointment> Visible(Caller caller, AgendaAccess access) =>
        access.Manages ? agenda.State.Appointments : agenda.State.Appointments.Where(a => a.Involves(caller.Rpps, caller.EstablishmentFiness));

    /// <summary>The appointment, if the caller may see it; one they may not see answers as one that does not exist.</summary>
    private Appointment Find(Caller caller, AgendaAccess access, string appointmentId) =>
        Visible(caller, access).FirstOrDefault(a => a.Id == appointmentId)
        ?? throw new ValidationFailedException("appointmentId", "names no appointment you take part in", ErrorCodes.NotFound);

    private IReadOnlyList<PreventionItem> Prevention(AgendaAccess access) =>
        access.BirthDate is { } birth
            ? PreventionRules.Default.ItemsFor(birth, access.Sex, DateOnly.FromDateTime(Now.UtcDateTime), agenda.State.DismissedPrevention,
                [.. agenda.State.Vaccinations.Where(access.MayRead)])
            : [];

    private async Task StoreAsync(Appointment appointment, string change, Caller caller, AppointmentActor actor)
    {
        agenda.State.NextNumber++;
        agenda.State.Appointments.Add(appointment);
        await AfterChangeAsync(appointment, change, caller, actor);
    }

    private async Task ReplaceAsync(Appointment appointment, string change, Caller caller, AppointmentActor actor)
    {
        var index = agenda.State.Appointments.FindIndex(a => a.Id == appointment.Id);
        agenda.State.Appointments[index] = appointment;
        await AfterChangeAsync(appointment, change, caller, actor);
    }

    /// <summary>
    /// Stored first; then the person is told (unless the change is their own: they themself or a legal representative;
    /// anyone else, a carer or a referent included, notifies), the event raised and the reminder rescheduled.
    /// </summary>
    private async Task AfterChangeAsync(Appointment appointment, string change, Caller caller, AppointmentActor actor)
    {
        var now = Now;
        Prune(now);
        await agenda.WriteStateAsync();
        if (!actor.IsPersonSide)
        {
            await notifier.NotifyAsync(VaultId, new AppointmentChangedNotice(appointment.Id, change, AuditEvents.ActorId(caller), appointment.Title, appointment.StartsAt, now));
        }
        await PublishAsync(VaultEventKind.AppointmentChanged, appointment.Id);
        await ScheduleAsync(now, force: false);
    }

    /// <summary>
    /// Fired keys of appointments that have ended are forgotten (they can never be due again); beyond the cap, cancelled and
    /// declined appointments are forgotten first, then long-past ones (<see cref="AgendaRules.ToForget"/>).
    /// </summary>
    private void Prune(DateTimeOffset now)
    {
        var live = agenda.State.Appointments.Where(a => a.EndsAt > now).Select(a => a.Id + "/").ToList();
        agenda.State.FiredReminders.RemoveWhere(key => !live.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal)));
        var forget = AgendaRules.ToForget(agenda.State.Appointments, now);
        if (forget.Count > 0)
        {
            agenda.State.Appointments.RemoveAll(a => forget.Contains(a.Id));
        }
    }

    /// <summary>Registers the one reminder for the next due time (at least a second ahead), or unregisters it when none is pending.</summary>
    private async Task ScheduleAsync(DateTimeOffset now, bool force)
    {
        var next = AgendaRules.NextDue(agenda.State.Appointments, agenda.State.FiredReminders, now);
        if (!force && next == agenda.State.ReminderDueAt)
        {
            return;
        }
        if (next is { } dueAt)
        {
            var dueIn = dueAt - now;
            await this.RegisterOrUpdateReminder(ReminderName, dueIn < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : dueIn, RetryPeriod);
        }
        else if (agenda.State.ReminderDueAt is not null || force)
        {
            if (await this.GetReminder(ReminderName) is { } registered)
            {
                await this.UnregisterReminder(registered);
            }
        }
        if (agenda.State.ReminderDueAt != next)
        {
            agenda.State.ReminderDueAt = next;
            await agenda.WriteStateAsync();
        }
    }

    /// <summary>Raising never fails the change (it is stored already).</summary>
    private async Task PublishAsync(VaultEventKind kind, string appointmentId)
    {
        try
        {
            await events.PublishAsync(new VaultEvent(Guid.NewGuid(), VaultId, kind, appointmentId, Now));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            AgendaLog.EventNotRaised(logger, kind, e);
        }
    }
}

internal static partial class AgendaLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "agenda: {Count} reminder(s) sent")]
    public static partial void RemindersSent(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "agenda: reminders stopped (the vault is closed or merged)")]
    public static partial void RemindersStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "agenda: the {Kind} event could not be raised")]
    public static partial void EventNotRaised(ILogger logger, VaultEventKind kind, Exception exception);
}
