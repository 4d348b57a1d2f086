using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>The person's identity: a registry vault opened on first contact, a NIR attached later.</summary>
public sealed partial class VaultGrain
{
    async Task<VaultView> IVaultGrain.OpenRegisteredAsync(Caller caller, OpenVault command)
    {
        var now = Now;
        var decision = VaultOpening.Decide(caller, matrix, command.Consent is not null);
        if (vault.State.Access is null)
        {
            // Not a registry vault (or an opposed person's): nothing is recorded.
            this.DeactivateOnIdle();
            decision.OrThrow();
            throw new ValidationFailedException("nir", "names no registered person", ErrorCodes.NotFound);
        }
        await RateLimitAsync(caller, "vault.open-registered");
        await AuditAsync(caller, "vault.open-registered", "vault", decision, now);
        decision.OrThrow();
        if (vault.State.CreatedBy != "registry" || Access.Status is VaultStatus.Closed)
        {
            throw new ValidationFailedException("nir", "already has a vault: ask its owner or a referent for access", ErrorCodes.Conflict);
        }
        var before = Access.Referents;
        if (caller.Kind == CallerKind.Professional)
        {
            var consent = VaultInputRules.Consent(command.Consent!, AuditEvents.ActorId(caller), now, matrix);
            var referent = new Referent(caller.Rpps!, caller.EstablishmentFiness, consent);
            vault.State.Access = Access with { Referents = [.. before.Where(r => r.Rpps != caller.Rpps), referent] };
        }
        // The registry's identity stays (it is what activation and sign-in check); the first change persists the vault.
        await WriteReferentsAsync(before);
        return View(caller, decision);
    }

    async Task<VaultView> IVaultGrain.AttachNirAsync(Caller caller, string nirMasked)
    {
        var decision = await CheckManagerAsync(caller, "identity.attach-nir");
        if (vault.State.Identity is not { } identity)
        {
            throw new ValidationFailedException("vaultId", "has no identity to attach a NIR to");
        }
        if (identity.NirMasked is not null)
        {
            throw new ValidationFailedException("nir", "this vault already has a NIR", ErrorCodes.Conflict);
        }
        if (Access.Status is VaultStatus.Closed)
        {
            throw new ValidationFailedException("vaultId", "is closed", ErrorCodes.Conflict);
        }
        vault.State.Identity = identity with { NirMasked = nirMasked };
        await vault.WriteStateAsync();
        await NotifyAsync(new NirAttachedNotice(AuditEvents.ActorId(caller), nirMasked, Now));
        return View(caller, decision);
    }

    /// <summary>Operators, and the vault's active referents: who may hand a person a way in or attach their NIR (the evaluator decides).</summary>
    private Task<AccessDecision> CheckManagerAsync(Caller caller, string operation) =>
        CheckAsync(caller, VaultAction.ManageIdentity, null, operation, "vault");
}
