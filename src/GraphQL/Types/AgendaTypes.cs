using Coffre.Domain.Agenda;
using Coffre.Grains;
using Coffre.Grains.Agenda;
using Coffre.Grains.Vaults;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>
/// A person's agenda on the vault (<c>Vault.agenda</c>, <c>Vault.preventionItems</c>, <c>Vault.agendaICalendar</c>); every
/// field goes to the person's agenda grain, which asks the vault to decide and audit first.
/// </summary>
public static class AgendaFields
{
    public const int DefaultPageSize = 20;

    public static IAgendaGrain Agenda(this IResolveFieldContext ctx, string vaultId) =>
        ctx.Grains().GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(vaultId));

    public static void AddTo(ObjectGraphType<VaultView> vault)
    {
        vault.Field<NonNullGraphType<AppointmentConnectionType>>("agenda")
            .Description("Appointments starting in [from, to), earliest first. The person, representatives and referents see all of them; a professional or " +
                $"establishment system with a basis to reach the person sees the ones they take part in. to − from: at most {AgendaRules.MaxHorizon.Days} days; " +
                $"first: 1 to {AgendaRules.MaxPageSize}. Recorded in the access history (agenda.read).")
            .Argument<NonNullGraphType<DateTimeOffsetGraphType>>("from")
            .Argument<NonNullGraphType<DateTimeOffsetGraphType>>("to")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx => await ctx.Agenda(ctx.Source.VaultId).ListAsync(ctx.SignedInCaller(), new AgendaQuery(
                ctx.GetArgument<DateTimeOffset>("from"), ctx.GetArgument<DateTimeOffset>("to"),
                ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after"))));

        vault.Field<NonNullGraphType<ListGraphType<NonNullGraphType<PreventionItemType>>>>("preventionItems")
            .Description("Vaccinations and screenings due now or within a year, from the person's birth date and sex and the versioned prevention rules " +
                "(dismissed ones included, flagged). The person, representatives and referents.")
            .ResolveAsync(async ctx => await ctx.Agenda(ctx.Source.VaultId).PreventionItemsAsync(ctx.SignedInCaller()));

        vault.Field<NonNullGraphType<StringGraphType>>("agendaICalendar")
            .Description("The agenda you may see as iCalendar text (RFC 5545, UTC times, one VALARM per reminder); also GET /vaults/{vaultId}/agenda.ics.")
            .ResolveAsync(async ctx => await ctx.Agenda(ctx.Source.VaultId).ExportAsync(ctx.SignedInCaller()));
    }
}

public sealed class AppointmentStatusType : EnumerationGraphType<AppointmentStatus>
{
    public AppointmentStatusType()
    {
        Name = "AppointmentStatus";
        Description = "PROPOSED (awaiting an answer: see awaitingPerson), CONFIRMED, DECLINED, CANCELLED.";
    }
}

public sealed class AppointmentActorKindType : EnumerationGraphType<AppointmentActorKind>
{
    public AppointmentActorKindType()
    {
        Name = "AppointmentActorKind";
        Description = "PERSON (the person themself), REPRESENTATIVE (a parent, tutor or other legal representative), PROFESSIONAL, ESTABLISHMENT (its system), CARER (a carer acting within the person's delegation), APP (a connected app within the person's consent, agenda.write; actorId is the app id).";
    }
}

public sealed class AppointmentResponseType : EnumerationGraphType<AppointmentResponse>
{
    public AppointmentResponseType()
    {
        Name = "AppointmentResponse";
        Description = "ACCEPT, DECLINE, or RESCHEDULE (the person's side asks for other times: counterStartsAt and counterEndsAt).";
    }
}

public sealed class AppointmentType : ObjectGraphType<Appointment>
{
    public AppointmentType()
    {
        Name = "Appointment";
        Description = "An appointment in a person's agenda. Times are UTC; show them in the person's time zone (Europe/Paris).";
        Field<NonNullGraphType<StringGraphType>>("appointmentId").Resolve(ctx => ctx.Source.Id);
        Field(a => a.Title);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("startsAt").Resolve(ctx => ctx.Source.StartsAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("endsAt").Resolve(ctx => ctx.Source.EndsAt);
        Field<NonNullGraphType<StringGraphType>>("timeZone").Resolve(_ => AgendaRules.PersonTimeZone);
        Field(a => a.Place, nullable: true);
        Field<RppsGraphType>("professionalRpps").Resolve(ctx => ctx.Source.ProfessionalRpps);
        Field<FinessGraphType>("establishmentFiness").Resolve(ctx => ctx.Source.EstablishmentFiness);
        Field<NonNullGraphType<AppointmentStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field(a => a.ProposedByProfessional);
        Field(a => a.AwaitingPerson).Description("While PROPOSED: true when the person's side is to answer, false when the professional is (a counter-proposal).");
        Field<DateTimeOffsetGraphType>("counterStartsAt").Description("The person's counter-proposal, while the professional has not answered.").Resolve(ctx => ctx.Source.CounterStartsAt);
        Field<DateTimeOffsetGraphType>("counterEndsAt").Resolve(ctx => ctx.Source.CounterEndsAt);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IntGraphType>>>>("reminderOffsetsMinutes").Resolve(ctx => ctx.Source.ReminderOffsetsMinutes);
        Field(a => a.Revision);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AppointmentChangeType>>>>("history").Resolve(ctx => ctx.Source.History);
    }
}

public sealed class AppointmentChangeType : ObjectGraphType<AppointmentChange>
{
    public AppointmentChangeType()
    {
        Name = "AppointmentChange";
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
        Field<NonNullGraphType<AppointmentActorKindType>>("actorKind").Resolve(ctx => ctx.Source.Actor.Kind);
        Field<StringGraphType>("actorId").Description("PROFESSIONAL: their RPPS; ESTABLISHMENT: its FINESS; APP: the app id; none for the person's side (a representative's own vault is never shown).")
            .Resolve(ctx => ctx.Source.Actor.Id);
        Field(c => c.Action).Description("created, proposed, accepted, declined, asked-to-reschedule, accepted-counter-proposal, cancelled.");
        Field<NonNullGraphType<AppointmentStatusType>>("status").Resolve(ctx => ctx.Source.Status);
    }
}

public sealed class AppointmentConnectionType : ObjectGraphType<AppointmentPage>
{
    public AppointmentConnectionType()
    {
        Name = "AppointmentConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AppointmentEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AppointmentType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].Id : null));
        Field(p => p.TotalCount).Description("Appointments you may see in the range.");
    }
}

public sealed class AppointmentEdgeType : ObjectGraphType<Appointment>
{
    public AppointmentEdgeType()
    {
        Name = "AppointmentEdge";
        Field<NonNullGraphType<AppointmentType>>("node").Resolve(ctx => ctx.Source);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.Id);
    }
}

public sealed class PreventionItemType : ObjectGraphType<PreventionItem>
{
    public PreventionItemType()
    {
        Name = "PreventionItem";
        Description = "A vaccination or screening due for the person, from the versioned prevention rules.";
        Field<NonNullGraphType<StringGraphType>>("itemId").Description("Pass it to dismissPreventionItem (the rule's stable id and the year).")
            .Resolve(ctx => PreventionRules.DismissalKey(ctx.Source.RuleId, ctx.Source.DueFrom));
        Field(i => i.RuleId);
        Field(i => i.Title);
        Field(i => i.Category).Description("VACCINATION or SCREENING.");
        Field<NonNullGraphType<DateOnlyGraphType>>("dueFrom").Resolve(ctx => ctx.Source.DueFrom);
        Field<NonNullGraphType<DateOnlyGraphType>>("dueBy").Resolve(ctx => ctx.Source.DueBy);
        Field(i => i.Dismissed);
        Field(i => i.RulesVersion);
        Field<NonNullGraphType<PreventionStatusType>>("status")
            .Description("DUE, or DONE when a vaccination recorded in the medical profile covers this occurrence (doneOn: when it was given).")
            .Resolve(ctx => ctx.Source.Status);
        Field<DateOnlyGraphType>("doneOn").Resolve(ctx => ctx.Source.DoneOn);
    }
}

public sealed class PreventionStatusType : EnumerationGraphType<PreventionStatus>
{
    public PreventionStatusType() => Name = "PreventionStatus";
}

public sealed record CreateAppointmentInput(string VaultId, string Title, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string? Place,
    string? ProfessionalRpps, string? EstablishmentFiness, List<int>? ReminderOffsetsMinutes) : IVaultInput
{
    public NewAppointment ToNew() => new(Title, StartsAt, EndsAt, Place, ProfessionalRpps, EstablishmentFiness, ReminderOffsetsMinutes);
}

public sealed record ProposeAppointmentInput(string VaultId, string Title, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string? Place,
    List<int>? ReminderOffsetsMinutes) : IVaultInput
{
    public NewAppointment ToNew() => new(Title, StartsAt, EndsAt, Place, null, null, ReminderOffsetsMinutes);
}

public sealed record RespondToAppointmentInput(string VaultId, string AppointmentId, AppointmentResponse Response,
    DateTimeOffset? CounterStartsAt, DateTimeOffset? CounterEndsAt) : IVaultInput;

public sealed record CancelAppointmentInput(string VaultId, string AppointmentId) : IVaultInput;

public sealed record DismissPreventionItemInput(string VaultId, string ItemId) : IVaultInput;

/// <summary>The fields an appointment's input shares (title, times, place, reminder offsets).</summary>
internal static class AppointmentInputFields
{
    public static void Add<T>(InputObjectGraphType<T> input)
    {
        input.Field<NonNullGraphType<IdGraphType>>("vaultId");
        input.Field<NonNullGraphType<StringGraphType>>("title").Description($"1 to {AgendaRules.MaxTitleLength} characters.");
        input.Field<NonNullGraphType<DateTimeOffsetGraphType>>("startsAt").Description($"In the future, at most {AgendaRules.MaxHorizon.Days} days ahead.");
        input.Field<NonNullGraphType<DateTimeOffsetGraphType>>("endsAt").Description("After startsAt, at most 24 hours later.");
        input.Field<StringGraphType>("place").Description($"At most {AgendaRules.MaxPlaceLength} characters.");
        input.Field<ListGraphType<NonNullGraphType<IntGraphType>>>("reminderOffsetsMinutes")
            .Description($"Minutes before the start; at most {AgendaRules.MaxOffsets}, each {AgendaRules.MinOffsetMinutes} to {AgendaRules.MaxOffsetMinutes}, distinct. " +
                "Omitted: one day and two hours before. Reminders are sent for confirmed appointments.");
    }
}

public sealed class CreateAppointmentInputType : InputObjectGraphType<CreateAppointmentInput>
{
    public CreateAppointmentInputType()
    {
        Name = "CreateAppointmentInput";
        AppointmentInputFields.Add(this);
        Field<RppsGraphType>("professionalRpps").Description("The professional the appointment is with (optional).");
        Field<FinessGraphType>("establishmentFiness").Description("The establishment (optional).");
    }
}

public sealed class ProposeAppointmentInputType : InputObjectGraphType<ProposeAppointmentInput>
{
    public ProposeAppointmentInputType()
    {
        Name = "ProposeAppointmentInput";
        AppointmentInputFields.Add(this);
    }
}

public sealed class RespondToAppointmentInputType : InputObjectGraphType<RespondToAppointmentInput>
{
    public RespondToAppointmentInputType()
    {
        Name = "RespondToAppointmentInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<StringGraphType>>("appointmentId");
        Field<NonNullGraphType<AppointmentResponseType>>("response");
        Field<DateTimeOffsetGraphType>("counterStartsAt").Description("RESCHEDULE: the times the person's side asks for.");
        Field<DateTimeOffsetGraphType>("counterEndsAt");
    }
}

public sealed class CancelAppointmentInputType : InputObjectGraphType<CancelAppointmentInput>
{
    public CancelAppointmentInputType()
    {
        Name = "CancelAppointmentInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<StringGraphType>>("appointmentId");
    }
}

public sealed class DismissPreventionItemInputType : InputObjectGraphType<DismissPreventionItemInput>
{
    public DismissPreventionItemInputType()
    {
        Name = "DismissPreventionItemInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<StringGraphType>>("itemId");
    }
}

public sealed class CreateAppointmentPayloadType() : PayloadType<AppointmentType>("CreateAppointmentPayload", "appointment", withVault: false);
public sealed class ProposeAppointmentPayloadType() : PayloadType<AppointmentType>("ProposeAppointmentPayload", "appointment", withVault: false);
public sealed class RespondToAppointmentPayloadType() : PayloadType<AppointmentType>("RespondToAppointmentPayload", "appointment", withVault: false);
public sealed class CancelAppointmentPayloadType() : PayloadType<AppointmentType>("CancelAppointmentPayload", "appointment", withVault: false);
public sealed class DismissPreventionItemPayloadType() : PayloadType<PreventionItemType>("DismissPreventionItemPayload", "item", withVault: false);

public sealed class AppointmentChangedNoticeType : NoticeType<AppointmentChangedNotice>
{
    public AppointmentChangedNoticeType() : base("APPOINTMENT_CHANGED: a professional proposed, changed or cancelled an appointment, or answered a counter-proposal.")
    {
        Field(n => n.AppointmentId);
        Field(n => n.Change).Description("proposed, accepted, declined, reschedule-requested, cancelled.");
        Field(n => n.By).Description("RPPS or client id.");
        Field(n => n.Title);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("startsAt").Resolve(ctx => ctx.Source.StartsAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class AppointmentReminderNoticeType : NoticeType<AppointmentReminderNotice>
{
    public AppointmentReminderNoticeType() : base("APPOINTMENT_REMINDER: an appointment is near (one of its reminder offsets came).")
    {
        Field(n => n.AppointmentId);
        Field(n => n.Title);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("startsAt").Resolve(ctx => ctx.Source.StartsAt);
        Field(n => n.OffsetMinutes);
        Field(n => n.Place, nullable: true);
    }
}
