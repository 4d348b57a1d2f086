using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>The agenda's mutations: each goes to the person's agenda grain, which asks the vault to decide and audit first.</summary>
public sealed partial class CoffreMutation
{
    private void AddAgendaMutations()
    {
        VaultMutation<CreateAppointmentInputType, CreateAppointmentInput, CreateAppointmentPayloadType>("createAppointment",
            "Adds a confirmed appointment to the person's agenda: the person, a legal representative or a referent. Reminders at reminderOffsetsMinutes.",
            async (ctx, _, caller, input) => await ctx.Agenda(input.VaultId).CreateAsync(caller, input.ToNew()));

        VaultMutation<ProposeAppointmentInputType, ProposeAppointmentInput, ProposeAppointmentPayloadType>("proposeAppointment",
            "A professional (or an establishment's system) with a basis to reach the person proposes an appointment (PROPOSED); the person is notified and answers.",
            async (ctx, _, caller, input) => await ctx.Agenda(input.VaultId).ProposeAsync(caller, input.ToNew()));

        VaultMutation<RespondToAppointmentInputType, RespondToAppointmentInput, RespondToAppointmentPayloadType>("respondToAppointment",
            "The person's side accepts, declines or asks to reschedule a proposal; the professional accepts or declines a counter-proposal.",
            async (ctx, _, caller, input) => await ctx.Agenda(input.VaultId).RespondAsync(caller, input.AppointmentId, input.Response, input.CounterStartsAt, input.CounterEndsAt));

        VaultMutation<CancelAppointmentInputType, CancelAppointmentInput, CancelAppointmentPayloadType>("cancelAppointment",
            "Either side cancels: the person's side any appointment, a professional the ones they take part in.",
            async (ctx, _, caller, input) => await ctx.Agenda(input.VaultId).CancelAsync(caller, input.AppointmentId));

        VaultMutation<DismissPreventionItemInputType, DismissPreventionItemInput, DismissPreventionItemPayloadType>("dismissPreventionItem",
            "Dismisses a prevention item (kept across versions of the rules by the rule's stable id): the person, representatives, referents.",
            async (ctx, _, caller, input) => await ctx.Agenda(input.VaultId).DismissPreventionItemAsync(caller, input.ItemId));
    }
}
