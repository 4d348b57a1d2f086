using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Coffre.Grains.Agenda;

namespace Coffre.Grains.Vaults;

/// <summary>The agenda grain asks the vault: decided by the one evaluator against this vault's state, audited here.</summary>
public sealed partial class VaultGrain
{
    public async Task<AgendaAccess> CheckAgendaAsync(Caller caller, AgendaUse use, string operation)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operation);
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, operation);
        var now = Now;
        var decision = evaluator.DecideAgenda(Access, caller, use, now);
        await RecordAsync(caller, operation, "agenda", decision, now);
        // A connected app allowed to read sees the person's whole agenda (what the person consented to), not only its own appointments.
        var manages = use == AgendaUse.Manage || caller.Kind == CallerKind.App || evaluator.DecideAgenda(Access, caller, AgendaUse.Manage, now).Allowed;
        var identity = manages ? vault.State.Identity : null;
        // Prevention items count a vaccination only for one who may read it as a profile entry (class 11, PROFILE-VACCINATIONS).
        var readable = identity is null
            ? []
            : AgendaVaccinationVisibilities.All
                .Where(v => evaluator.Decide(Access, caller, VaultAction.ReadDocument, VaccinationFacts(v), now).Allowed)
                .ToList();
        return new AgendaAccess(decision.Basis, manages, identity?.BirthDate, identity?.Sex ?? Sex.Unknown, readable);
    }

    /// <summary>A vaccination entry of <paramref name="visibility"/> recorded by the person, as the evaluator sees one.</summary>
    private DocumentFacts VaccinationFacts(Visibility visibility) =>
        new("profile-vaccinations", Domain.Profile.ProfileSections.ClassCode, Domain.Profile.ProfileSections.TypeCode(Domain.Profile.ProfileSection.Vaccinations),
            visibility, false, new Author(AuthorKind.Person, VaultId));

    Task<bool> IVaultGrain.IsOpenForAgendaAsync(Caller caller)
    {
        AgendaGrain.RequireSystem(caller, AgendaGrain.System.Subject);
        return Task.FromResult(vault.State.Access is { Status: VaultStatus.Active or VaultStatus.Pending });
    }

    /// <summary>The vault closed or merged away: its agenda stops its reminders (one-way; the agenda does not call back).</summary>
    private Task StopAgendaAsync() =>
        GrainFactory.GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(VaultId)).StopRemindersAsync(IndexWriter);
}
