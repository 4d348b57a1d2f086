using Coffre.Domain.Access;
using Coffre.Domain.Apps;

namespace Coffre.Domain.Agenda;

/// <summary>Where an appointment stands.</summary>
[GenerateSerializer, Alias("coffre.appointment-status")]
public enum AppointmentStatus
{
    /// <summary>Proposed by a professional (or counter-proposed by the person): awaiting the other side.</summary>
    Proposed = 0,
    Confirmed = 1,
    Declined = 2,
    Cancelled = 3,
}

/// <summary>How the person (or the professional, on a counter-proposal) answers a proposal.</summary>
[GenerateSerializer, Alias("coffre.appointment-response")]
public enum AppointmentResponse
{
    Accept = 0,
    Decline = 1,
    /// <summary>Asks for other times (a counter-proposal the professional accepts or declines).</summary>
    Reschedule = 2,
}

/// <summary>Who changed an appointment, as both sides may see it.</summary>
[GenerateSerializer, Alias("coffre.appointment-actor-kind")]
public enum AppointmentActorKind
{
    /// <summary>The person themself.</summary>
    Person = 0,
    /// <summary>A parent, tutor or other legal representative (acting from their own vault, whose id is not shown).</summary>
    Representative = 1,
    Professional = 2,
    Establishment = 3,
    /// <summary>A carer (aidant) acting within the person's delegation (their own vault id is not shown); the person is told.</summary>
    Carer = 4,
    /// <summary>A connected app acting within the person's consent (<c>agenda.write</c>); the id is the app id. Not the person's side: the person is told.</summary>
    App = 5,
}

/// <summary>
/// Who acted: the kind, and the identifier both sides may see (a professional's RPPS, an establishment's FINESS; none for
/// the person's side: a representative's own vault id is never shown).
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.appointment-actor")]
public sealed record AppointmentActor(
    [property: Id(0)] AppointmentActorKind Kind,
    [property: Id(1)] string? Id)
{
    /// <summary>
    /// The caller acting on <paramref name="vaultId"/>'s agenda (the agenda is reached only by patients, professionals,
    /// establishments and connected apps) on the <paramref name="basis"/> the evaluator allowed: another patient is a carer on basis Carer,
    /// a legal representative otherwise.
    /// </summary>
    public static AppointmentActor Of(Caller caller, string vaultId, LegalBasis basis) => caller.Kind switch
    {
        CallerKind.Patient when caller.VaultId == vaultId => new(AppointmentActorKind.Person, null),
        CallerKind.Patient when basis == LegalBasis.Carer => new(AppointmentActorKind.Carer, null),
        CallerKind.Patient => new(AppointmentActorKind.Representative, null),
        CallerKind.Professional => new(AppointmentActorKind.Professional, caller.Rpps),
        CallerKind.Establishment => new(AppointmentActorKind.Establishment, caller.EstablishmentFiness),
        CallerKind.App => new(AppointmentActorKind.App, AppRules.AppIdOf(caller)),
        _ => throw new ArgumentException("only patients, professionals, establishments and connected apps act on an agenda", nameof(caller)),
    };

    /// <summary>The person's side (themself or a representative): their own changes are not notified to them; a carer's are.</summary>
    public bool IsPersonSide => Kind is AppointmentActorKind.Person or AppointmentActorKind.Representative;
}

/// <summary>One change in an appointment's history: who (<see cref="AppointmentActor"/>, never a name), what, when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.appointment-change")]
public sealed record AppointmentChange(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(4)] AppointmentActor Actor,
    [property: Id(2)] string Action,
    [property: Id(3)] AppointmentStatus Status);

/// <summary>
/// An appointment in a person's agenda. Times are UTC instants; the person's time zone (<see cref="AgendaRules.PersonTimeZone"/>)
/// is for display and the calendar export. <see cref="ScheduledAt"/> is when the current times were set: a reminder
/// whose due time came before it is never sent (an appointment made for this afternoon gets no "one day before").
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.appointment")]
public sealed record Appointment
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Title { get; init; }
    [Id(2)] public required DateTimeOffset StartsAt { get; init; }
    [Id(3)] public required DateTimeOffset EndsAt { get; init; }
    [Id(4)] public string? Place { get; init; }
    /// <summary>The professional taking part (proposer, or named by the person); null when none.</summary>
    [Id(5)] public string? ProfessionalRpps { get; init; }
    /// <summary>The establishment taking part (the proposer's, or named by the person).</summary>
    [Id(6)] public string? EstablishmentFiness { get; init; }
    [Id(7)] public required AppointmentStatus Status { get; init; }
    /// <summary>True when a professional proposed it (the person answers); false when the person's side created it.</summary>
    [Id(8)] public bool ProposedByProfessional { get; init; }
    /// <summary>While proposed: true when the person is to answer, false when the professional is (a counter-proposal).</summary>
    [Id(9)] public bool AwaitingPerson { get; init; }
    [Id(10)] public DateTimeOffset? CounterStartsAt { get; init; }
    [Id(11)] public DateTimeOffset? CounterEndsAt { get; init; }
    /// <summary>Reminder offsets before the start, in minutes, distinct, largest first.</summary>
    [Id(12)] public IReadOnlyList<int> ReminderOffsetsMinutes { get; init; } = [];
    [Id(13)] public required DateTimeOffset ScheduledAt { get; init; }
    [Id(14)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(15)] public required string CreatedBy { get; init; }
    [Id(16)] public int Revision { get; init; }
    [Id(17)] public IReadOnlyList<AppointmentChange> History { get; init; } = [];

    /// <summary>True when this caller's party (RPPS or FINESS) takes part in the appointment.</summary>
    public bool Involves(string? rpps, string? finess) =>
        (rpps is not null && ProfessionalRpps == rpps) || (finess is not null && ProfessionalRpps is null && EstablishmentFiness == finess);

    public Appointment With(DateTimeOffset at, AppointmentActor actor, string action, AppointmentStatus status) => this with
    {
        Status = status,
        Revision = Revision + 1,
        History = [.. History.TakeLast(AgendaRules.MaxHistoryPerAppointment - 1), new AppointmentChange(at, actor, action, status)],
    };
}

/// <summary>
/// A prevention item of the rules file, for one person: due (from, on) or already past, and dismissed or not; DONE (with
/// <see cref="DoneOn"/>) when a vaccination recorded in the person's medical profile covers the occurrence.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.prevention-item")]
public sealed record PreventionItem(
    [property: Id(0)] string RuleId,
    [property: Id(1)] string Title,
    [property: Id(2)] string Category,
    [property: Id(3)] DateOnly DueFrom,
    [property: Id(4)] DateOnly DueBy,
    [property: Id(5)] bool Dismissed,
    [property: Id(6)] string RulesVersion,
    [property: Id(7)] PreventionStatus Status = PreventionStatus.Due,
    [property: Id(8)] DateOnly? DoneOn = null);

[GenerateSerializer, Alias("coffre.prevention-status")]
public enum PreventionStatus
{
    /// <summary>To do: nothing recorded covers it.</summary>
    Due = 0,
    /// <summary>A recorded vaccination covers it (<see cref="PreventionItem.DoneOn"/>: when it was given).</summary>
    Done = 1,
}

/// <summary>
/// A vaccination the person's medical profile holds, as the agenda needs it: when, against which diseases, and the
/// entry's visibility (a record counts for a caller only if they may read a vaccination entry of that visibility; a
/// record stored before visibilities were sent has none and counts only for one who may read every kind).
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.vaccination-record")]
public sealed record VaccinationRecord(
    [property: Id(0)] DateOnly AdministeredOn,
    [property: Id(1)] IReadOnlyList<string> Targets,
    [property: Id(2)] Coffre.Domain.Documents.Visibility? Visibility = null);
