using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>Hand-over sheets: a paper code that lets the person take over a vault opened for them.</summary>
public sealed partial class VaultGrain
{
    async Task<HandOverSheet> IVaultGrain.IssueHandOverAsync(Caller caller)
    {
        await CheckManagerAsync(caller, "hand-over.issue");
        var now = Now;
        var code = Coffre.Domain.Rollout.ActivationCodes.Generate();
        var hash = new byte[Coffre.Domain.Rollout.CodeHasher.HashSize];
        codeHasher.Hash(code, hash);
        var reference = "HO-" + Ids.NewToken()[..6].ToUpperInvariant();
        vault.State.HandOver = new HandOverState(reference, codeHasher.CurrentKeyId, hash, now, now + Limits.HandOverValidity,
            AuditEvents.ActorId(caller), 0, HandOverStatus.Valid);
        await vault.WriteStateAsync();
        await NotifyAsync(new HandOverIssuedNotice(AuditEvents.ActorId(caller), reference, now, vault.State.HandOver.ExpiresAt));
        return new HandOverSheet(VaultId, reference, Coffre.Domain.Rollout.ActivationCodes.Display(code), now, vault.State.HandOver.ExpiresAt);
    }

    async Task<bool> IVaultGrain.ActivateWithHandOverAsync(string code, DateOnly birthDate, string passphrase)
    {
        if (Passphrases.Validate(passphrase) is { } rule)
        {
            // Checked before anything about the vault: it reveals nothing.
            throw new ValidationFailedException("passphrase", rule);
        }
        var now = Now;
        var codeValid = Coffre.Domain.Rollout.ActivationCodes.TryNormalise(code, out var canonical);
        var sheet = vault.State.HandOver;
        // Always one code HMAC, whatever the case.
        var codeMatches = codeHasher.Verify(codeValid ? canonical : "00000000000", sheet?.KeyId ?? codeHasher.CurrentKeyId, sheet?.CodeHash ?? DummyCodeHash);
        if (vault.State.Access is null)
        {
            // An id that names no vault: nothing is written, the same answer.
            this.DeactivateOnIdle();
            return false;
        }
        var birthMatches = vault.State.Identity?.BirthDate == birthDate;
        var usable = sheet is { Status: HandOverStatus.Valid } && now <= sheet.ExpiresAt + Limits.HandOverClockSkew
            && Access.Status is VaultStatus.Pending or VaultStatus.Active;
        var ok = usable && codeValid && codeMatches && birthMatches;
        if (!ok)
        {
            if (sheet is { Status: HandOverStatus.Valid } && birthMatches)
            {
                // The person's secret was proven with a wrong (or malformed) code: counts toward the sheet's lock.
                var attempts = sheet.Attempts + 1;
                vault.State.HandOver = sheet with { Attempts = attempts, Status = attempts >= Limits.HandOverMaxAttempts ? HandOverStatus.Locked : HandOverStatus.Valid };
                if (attempts == Limits.HandOverMaxAttempts)
                {
                    VaultLog.HandOverLocked(logger, attempts);
                }
            }
            await vault.WriteStateAsync();
            await AuditAsync(Caller.Anonymous, "vault.hand-over-activate", "vault", AccessDecision.Deny(DenialReason.NotAuthenticated, "hand-over refused"), now);
            return false;
        }
        vault.State.HandOver = sheet! with { Status = HandOverStatus.Used };
        vault.State.PassphraseHash = Passphrases.Hash(passphrase);
        vault.State.FailedSignIns = 0;
        vault.State.SignInLockedUntil = null;
        if (Access.Status == VaultStatus.Pending)
        {
            vault.State.Access = Access with { Status = VaultStatus.Active };
            vault.State.ActivatedAt = now;
        }
        await vault.WriteStateAsync();
        await AuditAsync(Caller.Patient(VaultId), "vault.hand-over-activate", "vault",
            AccessDecision.Allow(LegalBasis.Owner, $"activated with hand-over sheet {sheet.Reference} and chose a passphrase"), now);
        return true;
    }
}
