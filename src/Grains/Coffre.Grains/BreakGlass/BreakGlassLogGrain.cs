using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Grains.Establishments;
using Coffre.Grains.Vaults;

namespace Coffre.Grains.BreakGlass;

/// <summary>
/// An establishment's break-glass sessions (key <c>finess-{FINESS}</c>, state <c>breakglass-log-v1</c>): the most recent
/// <see cref="Kept"/>, each replaced by its latest version (review status) from the vault. Read by its referent physician
/// (<see cref="AccessEvaluator.DecideBreakGlassListing"/>: an admin member who is a physician, acting for it) and support operators.
/// </summary>
[GrainType("breakglass-log")]
public sealed class BreakGlassLogGrain(
    [PersistentState(GrainNames.States.BreakGlassLog, GrainNames.Storage)] IPersistentState<BreakGlassLogState> state)
    : Grain, IBreakGlassLogGrain
{
    public const int Kept = 1000;
    public const int MaxPageSize = 50;

    private string FinessNumber => this.GetPrimaryKeyString()["finess-".Length..];

    async Task IBreakGlassLogGrain.RecordAsync(Caller caller, BreakGlassLogEntry entry)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport).OrThrow();
        var i = state.State.Sessions.FindIndex(s => s.SessionId == entry.SessionId);
        if (i >= 0)
        {
            state.State.Sessions[i] = entry;
        }
        else
        {
            state.State.Sessions.Add(entry);
            if (state.State.Sessions.Count > Kept)
            {
                state.State.Sessions.RemoveAt(0);
            }
        }
        await state.WriteStateAsync();
    }

    async Task<BreakGlassLogPage> IBreakGlassLogGrain.ListAsync(Caller caller, int first, string? after)
    {
        var admin = caller.Kind == CallerKind.Professional && caller.Rpps is { } rpps && caller.EstablishmentFiness == FinessNumber
            && await GrainFactory.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(FinessNumber)).IsAdminAsync(rpps);
        AccessEvaluator.DecideBreakGlassListing(caller, FinessNumber, admin).OrThrow();
        if (first is < 1 or > MaxPageSize)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {MaxPageSize}");
        }
        var newestFirst = state.State.Sessions.AsEnumerable().Reverse().ToList();
        var start = 0;
        if (after is not null)
        {
            var at = newestFirst.FindIndex(s => s.SessionId == after);
            if (at < 0)
            {
                throw new ValidationFailedException("after", "is not a cursor of this list");
            }
            start = at + 1;
        }
        var page = newestFirst.Skip(start).Take(first).ToList();
        return new BreakGlassLogPage(page, start + page.Count < newestFirst.Count);
    }
}

[GenerateSerializer, Alias("coffre.break-glass-log-state")]
public sealed class BreakGlassLogState
{
    /// <summary>Oldest first.</summary>
    [Id(0)] public List<BreakGlassLogEntry> Sessions { get; set; } = [];
}
