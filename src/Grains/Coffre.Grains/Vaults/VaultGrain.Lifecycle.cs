using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>Opening, activating, signing in to, reading and closing a vault.</summary>
public sealed partial class VaultGrain
{
    async Task<VaultView> IVaultGrain.OpenAsync(Caller caller, OpenVault command)
    {
        var now = Now;
        var decision = VaultOpening.Decide(caller, matrix, command.Consent is not null);
        if (!decision.Allowed && vault.State.Access is null)
        {
            // Nobody could ever read this vault's history: a refused opening leaves nothing behind.
            this.DeactivateOnIdle();
            decision.OrThrow();
        }
        await AuditAsync(caller, "vault.create", "vault", decision, now);
        decision.OrThrow();
        if (vault.State.Access is not null)
        {
            throw new ValidationFailedException("vaultId", "is already open", ErrorCodes.Conflict);
        }
        VaultInputRules.Identity(command.Identity, DateOnly.FromDateTime(now.UtcDateTime));
        var referents = new List<Referent>();
        if (caller.Kind == CallerKind.Professional)
        {
            var consent = VaultInputRules.Consent(command.Consent!, AuditEvents.ActorId(caller), now, matrix);
            referents.Add(new Referent(caller.Rpps!, caller.EstablishmentFiness, consent));
        }
        vault.State.Access = new VaultAccessState
        {
            VaultId = VaultId,
            // A referent opens the vault with the person present and consenting: it is active at once. A vault an
            // operator opens (national import, phone channel) waits for the person's activation.
            Status = caller.Kind == CallerKind.Professional ? VaultStatus.Active : VaultStatus.Pending,
            IsMinor = command.IsMinor,
            BirthDate = command.Identity.BirthDate,
            Referents = referents,
        };
        vault.State.Identity = command.Identity;
        vault.State.QuotaBytes = Limits.QuotaBytes;
        vault.State.CreatedAt = now;
        vault.State.CreatedBy = AuditEvents.ActorId(caller);
        await WriteReferentsAsync([]);
        return View(caller, decision);
    }

    async Task<VaultView> IVaultGrain.GetAsync(Caller caller)
    {
        var decision = await CheckAsync(caller, VaultAction.ReadVault, null, "vault.read", "vault");
        return View(caller, decision);
    }

    async Task<VaultView> IVaultGrain.CloseAsync(Caller caller)
    {
        var decision = await CheckAsync(caller, VaultAction.ManageLifecycle, null, "vault.close", "vault");
        vault.State.Access = Access with { Status = VaultStatus.Closed };
        await WriteReferentsAsync(Access.Referents);
        await StopAgendaAsync();
        return View(caller, decision);
    }

    async Task<VaultView> IVaultGrain.ActivateAsync(Caller caller)
    {
        var decision = await CheckAsync(caller, VaultAction.ManageLifecycle, null, "vault.activate", "vault");
        if (Access.Status == VaultStatus.Pending)
        {
            vault.State.Access = Access with { Status = VaultStatus.Active };
            vault.State.ActivatedAt = Now;
            // A vault never written is a registry vault: the registry already says it is active (the activation's
            // transaction), so nothing is written here; a written one (a referent opened it) keeps its own state.
            if (vault.RecordExists)
            {
                await vault.WriteStateAsync();
            }
        }
        return View(caller, decision);
    }

    async Task IVaultGrain.SetPassphraseAsync(Caller caller, string passphrase)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "passphrase.update", "vault");
        if (Passphrases.Validate(passphrase) is { } rule)
        {
            throw new ValidationFailedException("passphrase", rule);
        }
        vault.State.PassphraseHash = Passphrases.Hash(passphrase);
        vault.State.FailedSignIns = 0;
        vault.State.SignInLockedUntil = null;
        await vault.WriteStateAsync();
    }

    async Task<bool> IVaultGrain.SignInAsync(DateOnly birthDate, string passphrase)
    {
        var now = Now;
        var caller = Caller.Patient(VaultId);
        bool ok;
        if (vault.State.Access is null)
        {
            Passphrases.Verify(passphrase, Passphrases.Dummy);
            this.DeactivateOnIdle();
            return false;
        }
        if (vault.State.Access is not { Status: VaultStatus.Active } || vault.State.PassphraseHash is null
            || vault.State.SignInLockedUntil > now)
        {
            Passphrases.Verify(passphrase, Passphrases.Dummy);
            ok = false;
        }
        else
        {
            // The birth date first: whoever does not know it verifies against the dummy hash (the same PBKDF2 work)
            // and is not counted, so a NIR alone cannot lock the account. The state is written either way (same work).
            var identityMatches = vault.State.Identity?.BirthDate == birthDate;
            var verified = Passphrases.Verify(passphrase, identityMatches ? vault.State.PassphraseHash : Passphrases.Dummy);
            ok = identityMatches && verified;
            if (identityMatches)
            {
                vault.State.FailedSignIns = ok ? 0 : vault.State.FailedSignIns + 1;
                if (vault.State.FailedSignIns >= MaxFailedSignIns)
                {
                    vault.State.SignInLockedUntil = now + SignInLockout;
                    VaultLog.SignInLocked(logger, SignInLockout.TotalMinutes, vault.State.FailedSignIns);
                    vault.State.FailedSignIns = 0;
                }
            }
            await vault.WriteStateAsync();
        }
        await AuditAsync(caller, "vault.sign-in", "vault", ok
            ? AccessDecision.Allow(LegalBasis.Owner, "signed in")
            : AccessDecision.Deny(DenialReason.NotAuthenticated, "sign-in refused"), now);
        return ok;
    }
}
