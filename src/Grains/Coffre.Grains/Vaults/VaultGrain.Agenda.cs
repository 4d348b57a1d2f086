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
        return new AgendaAccess(decision.Basis, manages, identity?.BirthDate, identity?.Sex ?? Sex.Unknown);
    }

    Task<bool> IVaultGrain.IsOpenForAgendaAsync(Caller caller)
    {
        AgendaGrain.RequireSystem(caller, AgendaGrain.System.Subject);
        return Task.FromResult(vault.State.Access is { Status: VaultStatus.Active or VaultStatus.Pending });
    }

    /// <summary>The vault closed or merged away: its agenda stops its reminders (one-way; the agenda does not call back).</summary>
    private Task StopAgendaAsync() =>
        GrainFactory.GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(VaultId)).StopRemindersAsync(IndexWriter);
}
