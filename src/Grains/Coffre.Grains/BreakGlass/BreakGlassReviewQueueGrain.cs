using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;

namespace Coffre.Grains.BreakGlass;

/// <summary>
/// The operators' queue of break-glass review cases (key 0, state <c>breakglass-review-queue-v1</c>): open cases, and the
/// most recent <see cref="KeptResolved"/> resolved ones. One grain is enough: a case is a person's rare, human flag of an
/// emergency access, not a throughput path; written by vault grains only, read by support operators.
/// </summary>
[GrainType("breakglass-review-queue")]
public sealed class BreakGlassReviewQueueGrain(
    [PersistentState(GrainNames.States.BreakGlassReviewQueue, GrainNames.Storage)] IPersistentState<BreakGlassReviewQueueState> state)
    : Grain, IBreakGlassReviewQueueGrain
{
    public const int KeptResolved = 500;
    public const int MaxPageSize = 50;

    async Task IBreakGlassReviewQueueGrain.OpenAsync(Caller caller, BreakGlassReviewCase reviewCase)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        if (state.State.Cases.Any(c => c.CaseId == reviewCase.CaseId))
        {
            return;
        }
        state.State.Cases.Add(reviewCase);
        await state.WriteStateAsync();
    }

    async Task IBreakGlassReviewQueueGrain.CloseAsync(Caller caller, string caseId, BreakGlassReviewOutcome outcome, string note, DateTimeOffset at)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        var i = state.State.Cases.FindIndex(c => c.CaseId == caseId);
        if (i < 0 || state.State.Cases[i].Status == BreakGlassReviewStatus.Resolved)
        {
            return;
        }
        state.State.Cases[i] = state.State.Cases[i] with { Status = BreakGlassReviewStatus.Resolved, Outcome = outcome, Note = note, ResolvedAt = at };
        var resolved = state.State.Cases.Count(c => c.Status == BreakGlassReviewStatus.Resolved);
        if (resolved > KeptResolved)
        {
            var drop = state.State.Cases.Where(c => c.Status == BreakGlassReviewStatus.Resolved).OrderBy(c => c.ResolvedAt).Take(resolved - KeptResolved).ToHashSet();
            state.State.Cases.RemoveAll(drop.Contains);
        }
        await state.WriteStateAsync();
    }

    Task<BreakGlassReviewCase> IBreakGlassReviewQueueGrain.GetAsync(Caller caller, string caseId)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        return Task.FromResult(state.State.Cases.FirstOrDefault(c => c.CaseId == caseId)
            ?? throw new ValidationFailedException("caseId", "names no break-glass review case", ErrorCodes.NotFound));
    }

    Task<BreakGlassReviewPage> IBreakGlassReviewQueueGrain.ListAsync(Caller caller, BreakGlassReviewStatus status, int first, string? after)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        if (first is < 1 or > MaxPageSize)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {MaxPageSize}");
        }
        var cases = state.State.Cases.Where(c => c.Status == status).OrderBy(c => c.FlaggedAt).ThenBy(c => c.CaseId, StringComparer.Ordinal).ToList();
        var start = 0;
        if (after is not null)
        {
            var at = cases.FindIndex(c => c.CaseId == after);
            if (at < 0)
            {
                throw new ValidationFailedException("after", "is not a cursor of this list");
            }
            start = at + 1;
        }
        var page = cases.Skip(start).Take(first).ToList();
        return Task.FromResult(new BreakGlassReviewPage(page, start + page.Count < cases.Count));
    }
}

[GenerateSerializer, Alias("coffre.break-glass-review-queue-state")]
public sealed class BreakGlassReviewQueueState
{
    [Id(0)] public List<BreakGlassReviewCase> Cases { get; set; } = [];
}
