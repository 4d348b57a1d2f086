using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Text;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// Break-glass review: the person (or a parent or tutor) flags a session they do not recognise, which opens a case in the
/// operators' queue (<see cref="IBreakGlassReviewQueueGrain"/>); a support operator records the outcome here, shown to the
/// person on the session and notified. This vault calls the queue (never the other way round), so no call cycle.
/// </summary>
public sealed partial class VaultGrain : IVaultBreakGlassReviewGrain
{
    async Task<BreakGlassSession> IVaultBreakGlassReviewGrain.FlagBreakGlassSessionAsync(Caller caller, string sessionId, string? comment)
    {
        var trimmed = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (trimmed is not null && (trimmed.Length > BreakGlassReviewRules.MaxCommentLength || TextRules.Validate(trimmed) is not null))
        {
            throw new ValidationFailedException("comment", TextRules.Validate(trimmed) ?? $"must be at most {BreakGlassReviewRules.MaxCommentLength} characters");
        }
        var session = await FindSessionAsync(caller, sessionId, "breakglass.flag");
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, "breakglass.flag");
        await RecordAsync(caller, "breakglass.flag", $"break-glass:{sessionId}", evaluator.DecideFlagBreakGlass(Access, caller, Now), Now);
        if (session.Review is not null)
        {
            // A retry after a failure past the state's write: the queue hears of the case again (idempotent) before the CONFLICT.
            await SyncQueueAsync(session);
            throw new ValidationFailedException("sessionId", "was already flagged: its review case is open or resolved", ErrorCodes.Conflict);
        }
        var now = Now;
        var flagged = session with { Review = new BreakGlassReview("bgr-" + Ids.NewToken()[..12], BreakGlassReviewStatus.Open, now, AuditEvents.ActorId(caller), trimmed) };
        vault.State.Access = Access with { BreakGlassSessions = [.. Access.BreakGlassSessions.Select(s => s.Id == sessionId ? flagged : s)] };
        await vault.WriteStateAsync();
        await SyncQueueAsync(flagged);
        await TellEstablishmentAsync(flagged);
        return flagged;
    }

    async Task<BreakGlassSession> IVaultBreakGlassReviewGrain.ResolveBreakGlassReviewAsync(Caller caller, string sessionId, string caseId,
        BreakGlassReviewOutcome outcome, string note)
    {
        if (string.IsNullOrWhiteSpace(note) || note.Trim().Length > BreakGlassReviewRules.MaxNoteLength || TextRules.Validate(note) is not null)
        {
            throw new ValidationFailedException("note", TextRules.Validate(note) ?? $"must explain the outcome in 1 to {BreakGlassReviewRules.MaxNoteLength} characters");
        }
        if (!Enum.IsDefined(outcome))
        {
            throw new ValidationFailedException("outcome", "must be JUSTIFIED or NOT_JUSTIFIED");
        }
        var session = await FindSessionAsync(caller, sessionId, "breakglass.resolve");
        var now = Now;
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, "breakglass.resolve");
        await RecordAsync(caller, "breakglass.resolve", $"break-glass-review:{caseId}", evaluator.DecideResolveBreakGlassReview(Access, caller, now), now);
        if (session.Review is not { } review || review.CaseId != caseId)
        {
            throw new ValidationFailedException("caseId", "names no review case of this session", ErrorCodes.NotFound);
        }
        if (review.Status == BreakGlassReviewStatus.Resolved)
        {
            await SyncQueueAsync(session);
            throw new ValidationFailedException("caseId", "is already resolved", ErrorCodes.Conflict);
        }
        var resolved = session with
        {
            Review = review with { Status = BreakGlassReviewStatus.Resolved, Outcome = outcome, Note = note.Trim(), ResolvedAt = now, ResolvedBy = AuditEvents.ActorId(caller) },
        };
        vault.State.Access = Access with { BreakGlassSessions = [.. Access.BreakGlassSessions.Select(s => s.Id == sessionId ? resolved : s)] };
        await vault.WriteStateAsync();
        await SyncQueueAsync(resolved);
        await NotifyAsync(new BreakGlassReviewedNotice(sessionId, caseId, outcome, note.Trim(), now));
        await TellEstablishmentAsync(resolved);
        return resolved;
    }

    /// <summary>
    /// The operators' queue told of the session's review as this vault holds it: the case opened, or closed with its outcome.
    /// Both calls are idempotent (an open case is not opened twice, a resolved one not closed twice), so a retry after a
    /// failure between this vault's write and the queue repairs the queue.
    /// </summary>
    private async Task SyncQueueAsync(BreakGlassSession session)
    {
        switch (session.Review)
        {
            case { Status: BreakGlassReviewStatus.Resolved } review:
                await Queue.CloseAsync(IndexWriter, review.CaseId, review.Outcome!.Value, review.Note!, review.ResolvedAt!.Value);
                break;
            case { } review:
                await Queue.OpenAsync(IndexWriter, new BreakGlassReviewCase(review.CaseId, VaultId, session.Id!, session.Rpps, session.ProfessionCode,
                    session.Finess, session.Reason, session.StartedAt, session.ExpiresAt, review.FlaggedAt, review.Comment));
                break;
        }
    }

    private IBreakGlassReviewQueueGrain Queue => GrainFactory.GetGrain<IBreakGlassReviewQueueGrain>(0);

    /// <summary>The session, or — when it does not exist — the answer the caller would get for the vault (FORBIDDEN to a stranger, audited).</summary>
    private async Task<BreakGlassSession> FindSessionAsync(Caller caller, string sessionId, string operation)
    {
        if (Access.BreakGlassSessions.FirstOrDefault(s => s.Id is not null && s.Id == sessionId) is { } session)
        {
            return session;
        }
        await CheckAsync(caller, VaultAction.ReviewBreakGlass, null, operation, $"break-glass:{sessionId}");
        throw new ValidationFailedException("sessionId", "names no break-glass session of this vault", ErrorCodes.NotFound);
    }

    /// <summary>The sessions kept: the most recent <see cref="BreakGlassReviewRules.KeptSessions"/>, flagged ones still open always kept.</summary>
    private static IReadOnlyList<BreakGlassSession> KeepSessions(IReadOnlyList<BreakGlassSession> sessions, BreakGlassSession added)
    {
        var all = sessions.Append(added).ToList();
        var excess = all.Count - BreakGlassReviewRules.KeptSessions;
        return excess <= 0 ? all
            : [.. all.Where((s, i) => i >= excess || s.Review is { Status: BreakGlassReviewStatus.Open })];
    }

    /// <summary>The establishment the professional acted for sees the session in its list (one-way: this vault never waits on it).</summary>
    private Task TellEstablishmentAsync(BreakGlassSession session)
    {
        if (session is { Finess: { } finess, Id: { } id })
        {
            return GrainFactory.GetGrain<IBreakGlassLogGrain>(GrainNames.Keys.BreakGlassLog(finess)).RecordAsync(IndexWriter,
                new BreakGlassLogEntry(id, VaultId, session.Rpps, session.ProfessionCode, session.Reason, session.StartedAt, session.ExpiresAt,
                    session.Review?.Status, session.Review?.Outcome));
        }
        return Task.CompletedTask;
    }
}
