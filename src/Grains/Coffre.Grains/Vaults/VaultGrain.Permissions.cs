using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Text;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>Who may reach the vault: grants, blocks, referents, legal representatives, break-glass.</summary>
public sealed partial class VaultGrain
{
    async Task<Grant> IVaultGrain.GrantAccessAsync(Caller caller, GrantRequest request)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "grant.create", $"{request.GranteeKind.ToString().ToLowerInvariant()}:{request.Grantee}");
        VaultInputRules.Grantee(request.GranteeKind, request.Grantee);
        VaultInputRules.Scope(request.Scope, "scope", matrix);
        if (request.ExpiresAt is { } expires && expires <= Now)
        {
            throw new ValidationFailedException("expiresAt", "must be in the future");
        }
        var grant = new Grant("g-" + Ids.NewToken(), request.GranteeKind, request.Grantee, request.Scope, Now, request.ExpiresAt,
            AuditEvents.ActorId(caller), TreatingPhysician: request.TreatingPhysician);
        vault.State.Access = Access with { Grants = [.. Access.Grants, grant] };
        await vault.WriteStateAsync();
        return grant;
    }

    async Task IVaultGrain.RevokeAccessAsync(Caller caller, string grantId)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "grant.revoke", $"grant:{grantId}");
        var grant = Access.Grants.FirstOrDefault(g => g.Id == grantId && g.RevokedAt is null)
            ?? throw new ValidationFailedException("grantId", "names no active grant of this vault", ErrorCodes.NotFound);
        vault.State.Access = Access with { Grants = Access.Grants.Select(g => g == grant ? g with { RevokedAt = Now } : g).ToList() };
        await vault.WriteStateAsync();
    }

    async Task IVaultGrain.BlockProfessionalAsync(Caller caller, string rpps)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "professional.block", $"professional:{rpps}");
        VaultInputRules.Grantee(GranteeKind.Professional, rpps);
        if (Access.Blocks.Any(b => b.Rpps == rpps))
        {
            return;
        }
        vault.State.Access = Access with { Blocks = [.. Access.Blocks, new Block(rpps, Now, AuditEvents.ActorId(caller))] };
        await vault.WriteStateAsync();
    }

    async Task IVaultGrain.UnblockProfessionalAsync(Caller caller, string rpps)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "professional.unblock", $"professional:{rpps}");
        vault.State.Access = Access with { Blocks = Access.Blocks.Where(b => b.Rpps != rpps).ToList() };
        await vault.WriteStateAsync();
    }

    async Task<Referent> IVaultGrain.AddReferentAsync(Caller caller, ReferentRequest request)
    {
        await CheckAsync(caller, VaultAction.ManageReferents, null, "referent.add", $"professional:{request.Rpps}");
        VaultInputRules.Grantee(GranteeKind.Professional, request.Rpps);
        if (request.EstablishmentFiness is { } finess && Finess.Validate(finess) is { } rule)
        {
            throw new ValidationFailedException("establishmentFiness", rule);
        }
        var referent = new Referent(request.Rpps, request.EstablishmentFiness, VaultInputRules.Consent(request.Consent, AuditEvents.ActorId(caller), Now, matrix));
        var before = Access.Referents;
        vault.State.Access = Access with { Referents = [.. before.Where(r => r.Rpps != request.Rpps), referent] };
        await WriteReferentsAsync(before);
        return referent;
    }

    async Task IVaultGrain.RevokeReferentAsync(Caller caller, string rpps)
    {
        // A professional naming themselves ends their own mandate; anyone else manages the vault's access.
        var action = caller.Kind == CallerKind.Professional && caller.Rpps == rpps ? VaultAction.LeaveMandate : VaultAction.ManageAccess;
        await CheckAsync(caller, action, null, "referent.revoke", $"professional:{rpps}");
        _ = Access.Referents.FirstOrDefault(r => r.Rpps == rpps && r.RevokedAt is null)
            ?? throw new ValidationFailedException("rpps", "names no active referent of this vault", ErrorCodes.NotFound);
        var before = Access.Referents;
        vault.State.Access = Access with { Referents = before.Select(r => r.Rpps == rpps && r.RevokedAt is null ? r with { RevokedAt = Now } : r).ToList() };
        await WriteReferentsAsync(before);
    }

    async Task<LegalRepresentative> IVaultGrain.AddRepresentativeAsync(Caller caller, RepresentativeRequest request)
    {
        // Legal representation comes from civil status or a court decision: operators record it.
        await CheckAsync(caller, VaultAction.ManageRepresentatives, null, "representative.add", $"vault:{request.RepresentativeVaultId}");
        if (!Ids.IsVaultId(request.RepresentativeVaultId) || request.RepresentativeVaultId == VaultId)
        {
            throw new ValidationFailedException("representativeVaultId", "must be another vault's id (v-…)");
        }
        var now = Now;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var minor = RepresentationRules.IsMinor(Access.IsMinor, vault.State.Identity?.BirthDate, today);
        if (RepresentationRules.Validate(request.Kind, minor, request.Decision, today) is { } broken)
        {
            throw new ValidationFailedException(broken.Field, broken.Rule);
        }
        var decision = request.Kind == RepresentationKind.Parent ? null
            : request.Decision! with { Court = request.Decision.Court.Trim(), Reference = request.Decision.Reference.Trim() };
        var representative = new LegalRepresentative(request.RepresentativeVaultId, request.Kind, now, request.Until,
            AuditEvents.ActorId(caller), request.PersonConsentedAt, decision);
        var others = Access.Representatives
            .Where(r => r.RepresentativeVaultId != request.RepresentativeVaultId && r.IsActive(now))
            .Select(r => r.RepresentativeVaultId).Distinct().ToList();
        vault.State.Access = Access with
        {
            Representatives = [.. Access.Representatives.Where(r => r.RepresentativeVaultId != request.RepresentativeVaultId), representative],
        };
        await vault.WriteStateAsync();
        // The person and every other current representative learn who may now act for the person, and on what ground.
        var payload = new RepresentativeAddedNotice(VaultId, representative.RepresentativeVaultId, representative.Kind, representative.RecordedBy,
            representative.Since, representative.Until, decision?.Court, decision?.Reference, decision?.Date);
        await NotifyAsync(payload);
        foreach (var other in others)
        {
            await NotifyAsync(other, payload);
        }
        return representative;
    }

    async Task IVaultGrain.RemoveRepresentativeAsync(Caller caller, string representativeVaultId)
    {
        await CheckAsync(caller, VaultAction.ManageRepresentatives, null, "representative.remove", $"vault:{representativeVaultId}");
        var now = Now;
        vault.State.Access = Access with { Representatives = Access.Representatives.Where(r => r.RepresentativeVaultId != representativeVaultId).ToList() };
        // Carers the removed representative named, and their pending invitations, end with the representation.
        var endedCarers = EndIssuedBy([representativeVaultId], "representation-removed", now);
        await vault.WriteStateAsync();
        await TellCarersEndedAsync(endedCarers, now);
    }

    async Task<BreakGlassSession> IVaultGrain.BreakGlassAsync(Caller caller, string reason)
    {
        _ = Access;
        await RateLimitAsync(caller, "vault.break-glass");
        if (TextRules.Validate(reason) is { } textRule)
        {
            await AuditAsync(caller, "vault.break-glass", "vault", AccessDecision.Deny(DenialReason.NotPermitted, "break-glass needs a readable reason"), Now);
            throw new ValidationFailedException("reason", textRule);
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length < Limits.BreakGlassMinReasonLength || reason.Length > 500)
        {
            await AuditAsync(caller, "vault.break-glass", "vault", AccessDecision.Deny(DenialReason.NotPermitted, "break-glass needs a stated reason"), Now);
            throw new ValidationFailedException("reason", $"must state the emergency in {Limits.BreakGlassMinReasonLength} to 500 characters");
        }
        await CheckAsync(caller, VaultAction.BreakGlass, null, "vault.break-glass", "vault");
        var now = Now;
        var duration = matrix.BreakGlassMaxDuration < Limits.BreakGlassDuration ? matrix.BreakGlassMaxDuration : Limits.BreakGlassDuration;
        var session = new BreakGlassSession(caller.Rpps!, reason.Trim(), now, now + duration, "bg-" + Ids.NewToken()[..12],
            caller.EstablishmentFiness, caller.ProfessionCode);
        // Ended sessions are kept (the most recent ones) for the person's and the establishment's review.
        vault.State.Access = Access with { BreakGlassSessions = KeepSessions(Access.BreakGlassSessions, session) };
        await vault.WriteStateAsync();
        await TellEstablishmentAsync(session);
        VaultLog.BreakGlassOpened(logger, caller.ProfessionCode, duration.TotalMinutes);
        await NotifyAsync(new BreakGlassNotice(caller.Rpps!, caller.ProfessionCode, now, session.ExpiresAt));
        return session;
    }
}
