using Coffre.Domain.Access;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// Break-glass review on the person's vault grain (the same grain as <see cref="IVaultGrain"/>): the person flags a
/// session they do not recognise, an operator records the outcome. Both decided by the evaluator and recorded in the
/// person's access history.
/// </summary>
[Alias("coffre.vault-break-glass-review")]
public interface IVaultBreakGlassReviewGrain : IGrainWithStringKey
{
    /// <summary>
    /// The person (or a parent or tutor) flags a break-glass session ("I don't recognise this access"), once per session
    /// (CONFLICT after): a review case opens for operators. Returns the session with its review.
    /// </summary>
    [Alias("bg-flag")] Task<BreakGlassSession> FlagBreakGlassSessionAsync(Caller caller, string sessionId, string? comment);

    /// <summary>
    /// A support operator records the outcome of the case <paramref name="caseId"/> on session <paramref name="sessionId"/>
    /// (CONFLICT when already resolved); the person is notified.
    /// </summary>
    [Alias("bg-resolve")] Task<BreakGlassSession> ResolveBreakGlassReviewAsync(Caller caller, string sessionId, string caseId,
        BreakGlassReviewOutcome outcome, string note);
}

/// <summary>One review case as operators see it: the session (who, when, why), the person's comment, its state.</summary>
[GenerateSerializer, Immutable, Alias("coffre.break-glass-review-case")]
public sealed record BreakGlassReviewCase(
    [property: Id(0)] string CaseId,
    [property: Id(1)] string VaultId,
    [property: Id(2)] string SessionId,
    [property: Id(3)] string Rpps,
    [property: Id(4)] string? ProfessionCode,
    [property: Id(5)] string? Finess,
    [property: Id(6)] string Reason,
    [property: Id(7)] DateTimeOffset StartedAt,
    [property: Id(8)] DateTimeOffset ExpiresAt,
    [property: Id(9)] DateTimeOffset FlaggedAt,
    [property: Id(10)] string? Comment,
    [property: Id(11)] BreakGlassReviewStatus Status = BreakGlassReviewStatus.Open,
    [property: Id(12)] BreakGlassReviewOutcome? Outcome = null,
    [property: Id(13)] string? Note = null,
    [property: Id(14)] DateTimeOffset? ResolvedAt = null);

[GenerateSerializer, Immutable, Alias("coffre.break-glass-review-page")]
public sealed record BreakGlassReviewPage(
    [property: Id(0)] IReadOnlyList<BreakGlassReviewCase> Items,
    [property: Id(1)] bool HasNextPage);

/// <summary>
/// The operators' queue of break-glass review cases (one grain, key 0): a case opens when a person flags a session and
/// closes when an operator resolves it. Flags are rare, human acts (one per unrecognised emergency access), so one grain
/// holds the open cases and the most recent resolved ones; written by vault grains only, read by support operators.
/// </summary>
[Alias("coffre.break-glass-review-queue")]
public interface IBreakGlassReviewQueueGrain : IGrainWithIntegerKey
{
    /// <summary>A vault opens a case (system caller only; a case id already known changes nothing).</summary>
    [Alias("open")] Task OpenAsync(Caller caller, BreakGlassReviewCase reviewCase);

    /// <summary>A vault records the outcome of a case (system caller only).</summary>
    [Alias("close")] Task CloseAsync(Caller caller, string caseId, BreakGlassReviewOutcome outcome, string note, DateTimeOffset at);

    /// <summary>One case, for a support operator (NOT_FOUND when unknown).</summary>
    [Alias("get"), Orleans.Concurrency.ReadOnly] Task<BreakGlassReviewCase> GetAsync(Caller caller, string caseId);

    /// <summary>Cases with <paramref name="status"/>, oldest flag first, after the cursor (a case id); support operators; first 1–50.</summary>
    [Alias("list"), Orleans.Concurrency.ReadOnly] Task<BreakGlassReviewPage> ListAsync(Caller caller, BreakGlassReviewStatus status, int first, string? after);
}

/// <summary>One break-glass session as the establishment's referent physician sees it (no document content).</summary>
[GenerateSerializer, Immutable, Alias("coffre.break-glass-log-entry")]
public sealed record BreakGlassLogEntry(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string VaultId,
    [property: Id(2)] string Rpps,
    [property: Id(3)] string? ProfessionCode,
    [property: Id(4)] string Reason,
    [property: Id(5)] DateTimeOffset StartedAt,
    [property: Id(6)] DateTimeOffset ExpiresAt,
    [property: Id(7)] BreakGlassReviewStatus? ReviewStatus,
    [property: Id(8)] BreakGlassReviewOutcome? Outcome);

[GenerateSerializer, Immutable, Alias("coffre.break-glass-log-page")]
public sealed record BreakGlassLogPage(
    [property: Id(0)] IReadOnlyList<BreakGlassLogEntry> Items,
    [property: Id(1)] bool HasNextPage);

/// <summary>
/// An establishment's break-glass sessions (key <see cref="GrainNames.Keys.BreakGlassLog"/>): fed by vault grains when one
/// of its professionals (acting for it) breaks the glass and when the person's review changes; read by its referent
/// physician (<see cref="AccessEvaluator.DecideBreakGlassListing"/>) and support operators. Keeps the most recent 1,000.
/// </summary>
[Alias("coffre.break-glass-log")]
public interface IBreakGlassLogGrain : IGrainWithStringKey
{
    /// <summary>A vault records a session or its new review state (system caller only). Calls no grain back.</summary>
    [Alias("record")] Task RecordAsync(Caller caller, BreakGlassLogEntry entry);

    /// <summary>Newest first; <paramref name="after"/> a session id of the previous page; first 1–50.</summary>
    [Alias("list")] Task<BreakGlassLogPage> ListAsync(Caller caller, int first, string? after);
}
