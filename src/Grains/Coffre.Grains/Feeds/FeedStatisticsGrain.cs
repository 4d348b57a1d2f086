using Coffre.Domain.Access;

namespace Coffre.Grains.Feeds;

/// <summary>
/// An establishment's feed counters (see <see cref="IFeedStatisticsGrain"/>): one small state row per establishment,
/// written once per feed request (not per document), so a busy feed costs one write per 50 documents at most.
/// </summary>
[GrainType("feed-statistics")]
public sealed class FeedStatisticsGrain(
    [PersistentState(GrainNames.States.FeedStatistics, GrainNames.Storage)] IPersistentState<FeedStatisticsState> state,
    AccessEvaluator evaluator,
    TimeProvider clock) : Grain, IFeedStatisticsGrain
{
    private string Finess => this.GetPrimaryKeyString()["feedstats-".Length..];

    async Task IFeedStatisticsGrain.RecordAsync(Caller caller, FeedTally tally)
    {
        evaluator.DecideFeed(caller).OrThrow();
        if (caller.EstablishmentFiness != Finess)
        {
            throw new AccessDeniedException("an establishment's system records its own feed only", DenialReason.NotPermitted);
        }
        var s = state.State;
        s.Requests++;
        s.Accepted += tally.Accepted;
        s.Duplicate += tally.Duplicate;
        foreach (var (code, count) in tally.Refused)
        {
            s.Refused[code] = s.Refused.GetValueOrDefault(code) + count;
        }
        s.LastFeedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
    }

    Task<FeedStatistics> IFeedStatisticsGrain.GetAsync(Caller caller)
    {
        AccessEvaluator.DecideFeedStatistics(caller, Finess).OrThrow();
        var s = state.State;
        return Task.FromResult(new FeedStatistics(Finess, s.Requests, s.Accepted, s.Duplicate,
            s.Refused.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal), s.LastFeedAt));
    }
}

[GenerateSerializer, Alias("coffre.feed-statistics-state")]
public sealed class FeedStatisticsState
{
    [Id(0)] public long Requests { get; set; }
    [Id(1)] public long Accepted { get; set; }
    [Id(2)] public long Duplicate { get; set; }
    [Id(3)] public Dictionary<string, long> Refused { get; set; } = new(StringComparer.Ordinal);
    [Id(4)] public DateTimeOffset? LastFeedAt { get; set; }
}
