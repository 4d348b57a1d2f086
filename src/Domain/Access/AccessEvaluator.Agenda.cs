using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>What a caller does with a person's agenda.</summary>
[GenerateSerializer, Alias("coffre.agenda-use")]
public enum AgendaUse
{
    /// <summary>See and act on the appointments one takes part in (a professional's own proposals), or all of them for those who manage.</summary>
    Participate = 0,
    /// <summary>Create appointments for the person, answer proposals, cancel any, dismiss prevention items, export the calendar.</summary>
    Manage = 1,
    /// <summary>
    /// Only read: the list of appointments and the calendar export. Decided as <see cref="Participate"/> for everyone but a
    /// connected app, for which it needs <c>agenda.read</c> (Participate and Manage need <c>agenda.write</c>).
    /// </summary>
    Read = 2,
}

public sealed partial class AccessEvaluator
{
    /// <summary>
    /// The agenda. Participate: whoever may reach the person (<see cref="VaultAction.ContactPerson"/>: the person,
    /// representatives, a professional or establishment system with a standing basis; never break-glass or operators) —
    /// the agenda grain then shows a professional only the appointments they take part in. Manage: the person, their
    /// legal representatives and their active referents (a referent manages even when a grant is their first basis);
    /// any other basis → NotPermitted. A connected app: <see cref="AgendaUse.Read"/> with <c>agenda.read</c>, any use with
    /// <c>agenda.write</c> (AccessEvaluator.Apps.cs). A carer (no other role) uses the agenda — both Participate and Manage — only within an
    /// active delegation with MANAGE_APPOINTMENTS (else OutsideDelegation, or BasisExpired once it ended).
    /// </summary>
    public AccessDecision DecideAgenda(VaultAccessState vault, Caller caller, AgendaUse use, DateTimeOffset now)
    {
        if (vault.Status is VaultStatus.Active or VaultStatus.Pending && DecideAppAgenda(vault, caller, use) is { } app)
        {
            return app;
        }
        if (use == AgendaUse.Read)
        {
            use = AgendaUse.Participate;
        }
        var contact = Decide(vault, caller, VaultAction.ContactPerson, null, now);
        if (!contact.Allowed && DecideCarerAgenda(vault, caller, now) is { } carer)
        {
            return carer;
        }
        if (!contact.Allowed || use == AgendaUse.Participate || contact.Basis is LegalBasis.Owner or LegalBasis.LegalRepresentative or LegalBasis.Referent)
        {
            return contact;
        }
        return caller.Kind == CallerKind.Professional && vault.Referents.Any(r => r.Rpps == caller.Rpps && r.IsActive(now))
            ? D.AllowReferent
            : D.AgendaManagedByPersonSide;
    }

    private static partial class D
    {
        public static readonly AccessDecision AgendaManagedByPersonSide = AccessDecision.Deny(DenialReason.NotPermitted,
            "Only the person, their legal representatives and their referents manage the agenda; a professional sees and answers the appointments they take part in.");
    }
}
