using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Domain.Text;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// Carers (aidants): the person invites with a one-time code, the carer accepts it signed in, either ends the delegation.
/// The delegation lives in the person's access state (<see cref="VaultAccessState.CarerDelegations"/>) where the evaluator
/// reads it; the carer's index (<see cref="ICarerIndexGrain"/>) keeps a copy of what names them.
/// </summary>
public sealed partial class VaultGrain : IVaultCarersGrain, IRemindable
{
    /// <summary>The one Orleans reminder of a vault with live carer delegations: due at the next delegation's expiry.</summary>
    public const string CarerExpiryReminder = "carer-expiry";

    private static readonly TimeSpan CarerExpiryRetry = TimeSpan.FromHours(1);

    private const int KeptInvitations = 20;

    async Task<CarerInvitation> IVaultCarersGrain.InviteCarerAsync(Caller caller, CarerInvitationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = Now;
        CarerInputRules.Invitation(request, matrix, now);
        await CheckAsync(caller, VaultAction.ManageCarers, null, "carer.invite", "carer-invitation");
        if (Access.CarerDelegations.Count(d => d.IsActive(now)) >= CarerRules.MaxLiveDelegations)
        {
            throw new ValidationFailedException("vaultId", $"already has {CarerRules.MaxLiveDelegations} live carer delegations: end one first", ErrorCodes.Conflict);
        }
        var pending = vault.State.CarerInvitations.Where(i => i.Status == HandOverStatus.Valid && now < i.ExpiresAt).ToList();
        if (pending.Count >= CarerRules.MaxPendingInvitations)
        {
            throw new ValidationFailedException("vaultId", $"already has {CarerRules.MaxPendingInvitations} pending carer invitations: wait for them to be used or to expire", ErrorCodes.Conflict);
        }

        var expiresAt = now + CarerRules.InvitationValidity;
        string reference;
        do
        {
            reference = Ids.NewToken()[..6].ToUpperInvariant();
        }
        while (!await GrainFactory.GetGrain<ICarerInvitationGrain>(GrainNames.Keys.CarerInvitation(reference)).RegisterAsync(IndexWriter, VaultId, expiresAt));

        var code = ActivationCodes.Generate();
        var hash = new byte[CodeHasher.HashSize];
        codeHasher.Hash(code, hash);
        var classes = request.ClassCodes.Select(c => c.Trim()).Distinct().ToList();
        var label = string.IsNullOrWhiteSpace(request.Label) ? null : request.Label.Trim();
        var invitation = new CarerInvitationState(reference, codeHasher.CurrentKeyId, hash, classes, request.Actions, request.Until, label,
            now, expiresAt, AuditEvents.ActorId(caller), 0, HandOverStatus.Valid, caller.Kind == CallerKind.Patient ? caller.VaultId : null);
        // Settled invitations are kept a while (their lock or use explains a refusal), the oldest dropped first.
        vault.State.CarerInvitations = [.. vault.State.CarerInvitations.Where(i => i.Status == HandOverStatus.Valid && now < i.ExpiresAt)
            .Concat(vault.State.CarerInvitations.Where(i => !(i.Status == HandOverStatus.Valid && now < i.ExpiresAt)).TakeLast(KeptInvitations - pending.Count - 1)),
            invitation];
        await vault.WriteStateAsync();
        return new CarerInvitation(reference, reference + "-" + ActivationCodes.Display(code), expiresAt, classes, request.Actions, request.Until, label);
    }

    async Task<CarerDelegation> IVaultCarersGrain.AcceptCarerInvitationAsync(Caller caller, string reference, string code)
    {
        _ = Access;
        await RateLimitAsync(caller, "carer.accept");
        var now = Now;
        var invitation = vault.State.CarerInvitations.FirstOrDefault(i => i.Reference == reference);
        var codeValid = ActivationCodes.TryNormalise(code, out var canonical);
        // Always one code HMAC, whatever the case.
        var codeMatches = codeHasher.Verify(codeValid ? canonical : "00000000000", invitation?.KeyId ?? codeHasher.CurrentKeyId, invitation?.CodeHash ?? DummyCodeHash);
        var carerVault = caller.VaultId;
        var usable = invitation is { Status: HandOverStatus.Valid } && now < invitation.ExpiresAt && Access.Status == VaultStatus.Active
            && carerVault is not null && carerVault != VaultId;
        if (!(usable && codeValid && codeMatches))
        {
            if (invitation is { Status: HandOverStatus.Valid } && !(codeValid && codeMatches))
            {
                var attempts = invitation.Attempts + 1;
                Replace(invitation, invitation with { Attempts = attempts, Status = attempts >= CarerRules.InvitationMaxAttempts ? HandOverStatus.Locked : HandOverStatus.Valid });
                await vault.WriteStateAsync();
            }
            await AuditAsync(caller, "carer.accept", $"carer-invitation:{reference}",
                AccessDecision.Deny(DenialReason.NoBasis, "carer invitation refused (unknown, used, expired or locked, or a wrong code)"), now);
            throw new ValidationFailedException("code", "does not match a valid carer invitation: ask the person for a new one", CarerRules.InvitationRefused);
        }
        if (carerVault == invitation!.IssuerVaultId || AccessEvaluator.IsEffectiveRepresentative(Access, carerVault, now))
        {
            // Whoever issued it, or represents the person, needs no delegation: it would outlive their own authority.
            await AuditAsync(caller, "carer.accept", $"carer-invitation:{reference}",
                AccessDecision.Deny(DenialReason.NotPermitted, "a carer invitation is not accepted by its issuer nor by a representative of the person"), now);
            throw new ValidationFailedException("code", "cannot be accepted by who issued the invitation nor by a legal representative of the person (a representative needs no delegation)",
                ErrorCodes.Conflict);
        }
        if (Access.CarerDelegations.Count(d => d.IsActive(now) && d.CarerVaultId != carerVault) >= CarerRules.MaxLiveDelegations)
        {
            throw new ValidationFailedException("code", $"the person already has {CarerRules.MaxLiveDelegations} live carer delegations", ErrorCodes.Conflict);
        }

        var delegation = new CarerDelegation("cd-" + Ids.NewToken()[..12], carerVault!, invitation.Actions,
            new Consent(invitation.IssuerVaultId ?? VaultId, now, ConsentMethod.InApp, new DocumentScope(invitation.ClassCodes), invitation.Until,
                $"carer invitation {invitation.Reference} issued by {invitation.IssuedBy}, accepted by the carer"),
            Label: invitation.Label, IssuerVaultId: invitation.IssuerVaultId);
        Replace(invitation, invitation with { Status = HandOverStatus.Used });
        await StartDelegationAsync(caller, delegation, "carer.accept", AccessDecision.Allow(LegalBasis.Carer,
            $"accepted the person's carer invitation {invitation.Reference}: classes {CarerRules.DescribeClasses(delegation.Consent.Scope)}, " +
            $"actions {CarerRules.Describe(delegation.Actions)}, until {delegation.Consent.ExpiresAt:yyyy-MM-dd}"), now);
        return delegation;
    }

    async Task<CarerDelegation> IVaultCarersGrain.RecordCarerDelegationAsync(Caller caller, CarerDelegationRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var now = Now;
        CarerInputRules.Invitation(record.Request, matrix, now);
        CarerInputRules.RecordedConsent(record, VaultId);
        _ = Access;
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, "carer.record");
        await RecordAsync(caller, "carer.record", $"carer-vault:{record.CarerVaultId}", evaluator.DecideRecordCarerDelegation(Access, caller, now), now);
        CarerInputRules.WithinReferentScope(record.Request.ClassCodes, Access.Referents.Where(r => r.Rpps == caller.Rpps && r.IsActive(now)));
        if (Access.CarerDelegations.Count(d => d.IsActive(now) && d.CarerVaultId != record.CarerVaultId) >= CarerRules.MaxLiveDelegations)
        {
            throw new ValidationFailedException("vaultId", $"already has {CarerRules.MaxLiveDelegations} live carer delegations: end one first", ErrorCodes.Conflict);
        }
        var delegation = new CarerDelegation("cd-" + Ids.NewToken()[..12], record.CarerVaultId, record.Request.Actions,
            new Consent(AuditEvents.ActorId(caller), now, record.Method, new DocumentScope([.. record.Request.ClassCodes.Select(c => c.Trim()).Distinct()]),
                record.Request.Until, record.Evidence.Trim()),
            Label: string.IsNullOrWhiteSpace(record.Request.Label) ? null : record.Request.Label.Trim());
        await StartDelegationAsync(caller, delegation, null, null, now);
        return delegation;
    }

    /// <summary>
    /// Starts a delegation (one live per carer: one before it is ended, replaced), writes, audits the start when
    /// <paramref name="operation"/> is given, tells the person, the carer's index and the expiry reminder.
    /// </summary>
    private async Task StartDelegationAsync(Caller caller, CarerDelegation delegation, string? operation, AccessDecision? decision, DateTimeOffset now)
    {
        var replaced = Access.CarerDelegations.Where(d => d.CarerVaultId == delegation.CarerVaultId && d.IsActive(now)).ToList();
        vault.State.Access = Access with
        {
            CarerDelegations = [.. CarerRules.KeepSettled(Access.CarerDelegations
                .Select(d => replaced.Contains(d) ? d with { EndedAt = now, EndedBy = "replaced:" + delegation.Id } : d), now), delegation],
        };
        await vault.WriteStateAsync();
        if (operation is not null && decision is not null)
        {
            await AuditAsync(caller, operation, $"carer:{delegation.Id}", decision, now);
        }
        foreach (var old in replaced)
        {
            await NotifyAsync(new CarerDelegationEndedNotice(old.Id, old.CarerVaultId, old.Label, "replaced:" + delegation.Id, now));
            await TellCarerAsync(Access.CarerDelegations.First(d => d.Id == old.Id));
        }
        await NotifyAsync(new CarerDelegationStartedNotice(delegation.Id, delegation.CarerVaultId, delegation.Label, delegation.Actions,
            CarerRules.DescribeClasses(delegation.Consent.Scope), delegation.Consent.ExpiresAt));
        await TellCarerAsync(delegation);
        await ScheduleCarerExpiryAsync();
    }

    async Task<CarerDelegation> IVaultCarersGrain.EndCarerDelegationAsync(Caller caller, string delegationId)
    {
        var now = Now;
        if (Access.CarerDelegations.FirstOrDefault(d => d.Id == delegationId) is not { } delegation)
        {
            // Unknown here: answered as the vault would answer the caller (FORBIDDEN to a stranger, NOT_FOUND to a manager).
            await CheckAsync(caller, VaultAction.ManageCarers, null, "carer.end", $"carer:{delegationId}");
            throw new ValidationFailedException("delegationId", "names no carer delegation of this vault", ErrorCodes.NotFound);
        }
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, "carer.end");
        await RecordAsync(caller, "carer.end", $"carer:{delegation.Id}", evaluator.DecideEndCarerDelegation(Access, caller, delegation, now), now);
        if (delegation.EndedAt is not null)
        {
            return delegation;
        }
        var ended = delegation with { EndedAt = now, EndedBy = AuditEvents.ActorId(caller) };
        vault.State.Access = Access with { CarerDelegations = [.. Access.CarerDelegations.Select(d => d.Id == delegationId ? ended : d)] };
        await vault.WriteStateAsync();
        await NotifyAsync(new CarerDelegationEndedNotice(ended.Id, ended.CarerVaultId, ended.Label, ended.EndedBy!, now));
        await TellCarerAsync(ended);
        await ScheduleCarerExpiryAsync();
        return ended;
    }

    /// <summary>
    /// A delegation's expiry is an end the person is told of, like an end by either side (<see cref="CarerDelegationEndedNotice"/>,
    /// ended by <c>expired</c>), once; then the reminder moves to the next expiry, or goes.
    /// </summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != CarerExpiryReminder || vault.State.Access is null)
        {
            return;
        }
        var now = Now;
        var expired = Access.CarerDelegations
            .Where(d => d.EndedAt is null && d.Consent.ExpiresAt <= now && !vault.State.CarerExpiriesNotified.Contains(d.Id)).ToList();
        if (expired.Count > 0)
        {
            // Told first, then recorded: a failure in between tells again, with the same message id (derived from the
            // delegation), which the outbox ignores; recorded first, a failure would lose the notice.
            foreach (var d in expired)
            {
                await notifier.NotifyAsync(VaultId, new CarerDelegationEndedNotice(d.Id, d.CarerVaultId, d.Label, "expired", d.Consent.ExpiresAt),
                    AgendaRules.ReminderMessageId(VaultId, "carer-expiry/" + d.Id));
            }
            vault.State.CarerExpiriesNotified = [.. vault.State.CarerExpiriesNotified
                .Where(id => Access.CarerDelegations.Any(d => d.Id == id && d.Consent.ExpiresAt >= now.AddYears(-1))), .. expired.Select(d => d.Id)];
            await vault.WriteStateAsync();
        }
        await ScheduleCarerExpiryAsync();
    }

    /// <summary>The reminder for the next live delegation's expiry (at least a second ahead), or none.</summary>
    private async Task ScheduleCarerExpiryAsync()
    {
        var now = Now;
        var next = Access.CarerDelegations.Where(d => d.IsActive(now)).Select(d => (DateTimeOffset?)d.Consent.ExpiresAt).Min();
        if (next is { } dueAt)
        {
            var dueIn = dueAt - now;
            await this.RegisterOrUpdateReminder(CarerExpiryReminder, dueIn < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : dueIn, CarerExpiryRetry);
        }
        else if (await this.GetReminder(CarerExpiryReminder) is { } registered)
        {
            await this.UnregisterReminder(registered);
        }
    }

    /// <summary>
    /// A representation ended (majority, removal): the live delegations and the pending invitations <paramref name="issuers"/>
    /// issued as the person's representatives end with it (<paramref name="reason"/> as who ended them). Changes the state
    /// only (the caller writes it, then tells with <see cref="TellCarersEndedAsync"/>); returns the delegations ended.
    /// </summary>
    private List<CarerDelegation> EndIssuedBy(IReadOnlyCollection<string> issuers, string reason, DateTimeOffset now)
    {
        var ended = Access.CarerDelegations.Where(d => d.IsActive(now) && d.IssuerVaultId is { } issuer && issuers.Contains(issuer))
            .Select(d => d with { EndedAt = now, EndedBy = reason }).ToList();
        vault.State.Access = Access with { CarerDelegations = [.. Access.CarerDelegations.Select(d => ended.Find(e => e.Id == d.Id) ?? d)] };
        vault.State.CarerInvitations = [.. vault.State.CarerInvitations.Select(i =>
            i.Status == HandOverStatus.Valid && i.IssuerVaultId is { } issuer && issuers.Contains(issuer) ? i with { Status = HandOverStatus.Cancelled } : i)];
        return ended;
    }

    /// <summary>The person and each carer's index learn of delegations ended by <see cref="EndIssuedBy"/>; the expiry reminder moves.</summary>
    private async Task TellCarersEndedAsync(IReadOnlyList<CarerDelegation> ended, DateTimeOffset now)
    {
        foreach (var d in ended)
        {
            await NotifyAsync(new CarerDelegationEndedNotice(d.Id, d.CarerVaultId, d.Label, d.EndedBy!, now));
            await TellCarerAsync(d);
        }
        if (ended.Count > 0)
        {
            await ScheduleCarerExpiryAsync();
        }
    }

    private void Replace(CarerInvitationState old, CarerInvitationState updated) =>
        vault.State.CarerInvitations = [.. vault.State.CarerInvitations.Select(i => ReferenceEquals(i, old) ? updated : i)];

    /// <summary>The carer's index keeps what names them (a grain that calls no other, so awaiting it makes no cycle).</summary>
    private Task TellCarerAsync(CarerDelegation delegation) =>
        GrainFactory.GetGrain<ICarerIndexGrain>(GrainNames.Keys.CarerIndex(delegation.CarerVaultId)).NoteAsync(IndexWriter, new CaringFor(VaultId, delegation.Id,
            delegation.Actions, delegation.Consent.Scope.ClassCodes, delegation.Consent.RecordedAt, delegation.Consent.ExpiresAt, delegation.EndedAt));
}

/// <summary>The input rules of a carer invitation: pure, each failure naming its field and rule.</summary>
public static class CarerInputRules
{
    public const int MaxClasses = 20;

    /// <summary>A delegation a referent records: a paper or witnessed consent with its evidence, for another vault.</summary>
    public static void RecordedConsent(CarerDelegationRecord record, string personVaultId)
    {
        if (!Ids.IsVaultId(record.CarerVaultId) || record.CarerVaultId == personVaultId)
        {
            throw new ValidationFailedException("carerVaultId", "must be the carer's own vault id (v-…), not the person's");
        }
        if (record.Method is not (ConsentMethod.SignedPaper or ConsentMethod.OralWitnessed))
        {
            throw new ValidationFailedException("consentMethod", "must be SIGNED_PAPER or ORAL_WITNESSED (the person invites in the app otherwise)");
        }
        if (string.IsNullOrWhiteSpace(record.Evidence) || record.Evidence.Trim().Length > 200 || TextRules.Validate(record.Evidence) is not null)
        {
            throw new ValidationFailedException("evidence", TextRules.Validate(record.Evidence) ?? "must describe the signed form or the witness in 1 to 200 characters");
        }
    }

    /// <summary>
    /// A referent delegates no more than their own mandate: each class within the scope of the person's consent to them
    /// (<paramref name="mandates"/>, their active referent records; a scope limited to document types covers no whole class).
    /// </summary>
    public static void WithinReferentScope(IReadOnlyList<string> classCodes, IEnumerable<Referent> mandates)
    {
        var scopes = mandates.Select(m => m.Consent.Scope).ToList();
        if (classCodes.FirstOrDefault(c => !scopes.Any(s => s.TypeCodes is null && (s.ClassCodes is null || s.ClassCodes.Contains(c.Trim())))) is { } outside)
        {
            throw new ValidationFailedException("classCodes", $"contains {outside.Trim()}, outside the scope of the person's consent to you as their referent: a referent delegates only classes their own mandate covers");
        }
    }

    public static void Invitation(CarerInvitationRequest request, HabilitationMatrix matrix, DateTimeOffset now)
    {
        if (request.ClassCodes is not { Count: > 0 and <= MaxClasses })
        {
            throw new ValidationFailedException("classCodes", $"must name 1 to {MaxClasses} document classes of the habilitation matrix");
        }
        if (request.ClassCodes.FirstOrDefault(c => c is null || !matrix.ClassCodes.ContainsKey(c.Trim())) is { } unknown)
        {
            throw new ValidationFailedException("classCodes", $"contains {unknown}, not a document class of the habilitation matrix");
        }
        if (request.Actions == CarerActions.None || (request.Actions & ~(CarerActions.Read | CarerActions.Deposit | CarerActions.ManageAppointments)) != 0)
        {
            throw new ValidationFailedException("actions", "must name at least one of READ, DEPOSIT, MANAGE_APPOINTMENTS");
        }
        if (request.Until <= now || request.Until > now + CarerRules.MaxDuration)
        {
            throw new ValidationFailedException("until", "must be in the future and at most one year ahead");
        }
        if (request.Label is { } label && (label.Trim().Length > CarerRules.MaxLabelLength || TextRules.Validate(label) is not null))
        {
            throw new ValidationFailedException("label", TextRules.Validate(label) ?? $"must be at most {CarerRules.MaxLabelLength} characters");
        }
    }
}
