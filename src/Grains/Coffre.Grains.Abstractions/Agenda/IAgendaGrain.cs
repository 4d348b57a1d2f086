using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Documents;
using Orleans.Concurrency;

namespace Coffre.Grains.Agenda;

/// <summary>
/// A person's agenda, keyed <c>agenda-{vaultId}</c> (<see cref="GrainNames.Keys.Agenda"/>): appointments, their reminders
/// (one Orleans reminder per agenda, for the next one due; each (appointment, offset) sent exactly once) and dismissed
/// prevention items. Every call is decided by the person's vault (the one evaluator: <see cref="AccessEvaluator.DecideAgenda"/>,
/// or <see cref="VaultAction.ContactPerson"/> for a proposal) and recorded in their access history before anything is done.
/// </summary>
[Alias("coffre.agenda")]
public interface IAgendaGrain : IGrainWithStringKey
{
    /// <summary>Appointments starting in [from, to), earliest first: all of them for those who manage the agenda, a professional's own otherwise.</summary>
    [Alias("list")] Task<AppointmentPage> ListAsync(Caller caller, AgendaQuery query);

    /// <summary>The person, a representative or a referent adds a confirmed appointment.</summary>
    [Alias("create")] Task<Appointment> CreateAsync(Caller caller, NewAppointment appointment);

    /// <summary>A professional (or an establishment's system) with a basis to reach the person proposes one; the person answers.</summary>
    [Alias("propose")] Task<Appointment> ProposeAsync(Caller caller, NewAppointment appointment);

    /// <summary>
    /// Answers a proposal: the person's side accepts, declines or asks for other times (<paramref name="counterStartsAt"/>,
    /// <paramref name="counterEndsAt"/>); the professional accepts or declines such a counter-proposal.
    /// </summary>
    [Alias("respond")] Task<Appointment> RespondAsync(Caller caller, string appointmentId, AppointmentResponse response,
        DateTimeOffset? counterStartsAt, DateTimeOffset? counterEndsAt);

    /// <summary>Either side cancels (the person's side any appointment, a professional the ones they take part in).</summary>
    [Alias("cancel")] Task<Appointment> CancelAsync(Caller caller, string appointmentId);

    /// <summary>Prevention items from the person's birth date and sex (those who manage the agenda).</summary>
    [Alias("prevention")] Task<IReadOnlyList<PreventionItem>> PreventionItemsAsync(Caller caller);

    /// <summary>Dismisses one prevention item by its id (<c>ruleId/year</c>); kept across versions of the rules file.</summary>
    [Alias("dismiss-prevention")] Task<PreventionItem> DismissPreventionItemAsync(Caller caller, string itemId);

    /// <summary>The agenda as iCalendar text (RFC 5545), as the caller may see it.</summary>
    [Alias("export")] Task<string> ExportAsync(Caller caller);

    /// <summary>
    /// The person's vault closed or merged away (system caller <c>system:vault</c> only): no more reminders; the
    /// appointments stay as they are (never moved to a merge's target).
    /// </summary>
    [OneWay, Alias("stop-reminders")] Task StopRemindersAsync(Caller caller);

    /// <summary>
    /// The person's medical profile tells the agenda every vaccination it holds now (system caller <c>system:profile</c>
    /// only), after each vaccination entry added or removed; prevention items they cover show as DONE. Awaited by the
    /// profile, so the items are up to date when its mutation returns. Calls no other grain.
    /// </summary>
    [Alias("record-vaccinations")] Task RecordVaccinationsAsync(Caller caller, IReadOnlyList<VaccinationRecord> vaccinations);
}

[GenerateSerializer, Immutable, Alias("coffre.new-appointment")]
public sealed record NewAppointment(
    [property: Id(0)] string Title,
    [property: Id(1)] DateTimeOffset StartsAt,
    [property: Id(2)] DateTimeOffset EndsAt,
    [property: Id(3)] string? Place = null,
    [property: Id(4)] string? ProfessionalRpps = null,
    [property: Id(5)] string? EstablishmentFiness = null,
    [property: Id(6)] IReadOnlyList<int>? ReminderOffsetsMinutes = null);

[GenerateSerializer, Immutable, Alias("coffre.agenda-query")]
public sealed record AgendaQuery(
    [property: Id(0)] DateTimeOffset From,
    [property: Id(1)] DateTimeOffset To,
    [property: Id(2)] int First = 20,
    [property: Id(3)] string? After = null);

[GenerateSerializer, Immutable, Alias("coffre.appointment-page")]
public sealed record AppointmentPage(
    [property: Id(0)] IReadOnlyList<Appointment> Items,
    [property: Id(1)] bool HasNextPage,
    [property: Id(2)] int TotalCount);

/// <summary>What the vault answers the agenda: the decision's basis, whether the caller manages the agenda, and (to those who do) birth date and sex for prevention.</summary>
[GenerateSerializer, Immutable, Alias("coffre.agenda-access")]
public sealed record AgendaAccess(
    [property: Id(0)] LegalBasis Basis,
    [property: Id(1)] bool Manages,
    [property: Id(2)] DateOnly? BirthDate,
    [property: Id(3)] Sex Sex,
    [property: Id(4)] IReadOnlyList<Coffre.Domain.Documents.Visibility>? ReadableVaccinations = null)
{
    /// <summary>Whether <paramref name="record"/> may count for this caller (decided by the vault's evaluator, per visibility).</summary>
    public bool MayRead(VaccinationRecord record) =>
        ReadableVaccinations is { } readable
        && (record.Visibility is { } visibility
            ? readable.Contains(visibility)
            : AgendaVaccinationVisibilities.All.All(readable.Contains));
}

/// <summary>The visibilities a vaccination entry can have, each asked of the evaluator for the agenda's prevention items.</summary>
public static class AgendaVaccinationVisibilities
{
    public static IReadOnlyList<Coffre.Domain.Documents.Visibility> All { get; } =
    [
        Coffre.Domain.Documents.Visibility.Normal,
        new(MaskedFromProfessionals: true),
        new(InvisibleToRepresentatives: true),
        new(MaskedFromProfessionals: true, InvisibleToRepresentatives: true),
    ];
}
