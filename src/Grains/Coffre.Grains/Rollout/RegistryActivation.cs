using Coffre.Application.Audit;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;

namespace Coffre.Grains.Rollout;

/// <summary>
/// The rollout's system steps (activation, opposition) and the one trace of a registry vault's activation, shared by
/// the activation grain (a person no identity grain claimed) and the person's identity grain (claimed, or called anyway).
/// </summary>
internal static class RegistryActivation
{
    /// <summary>The operator identity of the activation path (the activation grain and its settler).</summary>
    public static readonly Caller Activation = Caller.Operator("system:activation");

    /// <summary>Steps of the rollout call with their system operator identity: the one evaluator decides, denying anyone else.</summary>
    public static AccessDecision RequireSystem(Caller caller)
    {
        var decision = AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport);
        decision.OrThrow();
        return decision;
    }

    /// <summary>
    /// Audits the activation of a registry vault on its chain, as its grain would have: the activation's transaction made
    /// it active in the registry (its truth), so no grain of the vault is loaded to write anything.
    /// </summary>
    public static Task<long> AuditAsync(IAuditLog audit, string vaultId, Caller system, AccessDecision decision, DateTimeOffset now) =>
        audit.AppendAsync(Event(vaultId, system, decision, now));

    /// <summary>The trace of a registry vault's activation (appended by the audit log, or by the settlement's own transaction).</summary>
    public static AuditEvent Event(string vaultId, Caller system, AccessDecision decision, DateTimeOffset now) =>
        AuditEvents.Create(vaultId, system, "vault.activate", "vault", decision, now);
}
