using Coffre.Domain.Access;

namespace Coffre.Grains.Feeds;

/// <summary>
/// One establishment's feed counters (accepted, duplicate, refused by code), keyed by
/// <see cref="GrainNames.Keys.FeedStatistics"/>, durable. The API adds each feed request's tally in one call; the
/// establishment's own system and support operators read them.
/// </summary>
[Alias("coffre.feed-statistics")]
public interface IFeedStatisticsGrain : IGrainWithStringKey
{
    /// <summary>Adds one request's outcome. The establishment's own system on the feed path only.</summary>
    [Alias("record")] Task RecordAsync(Caller caller, FeedTally tally);

    /// <summary>The counters (<see cref="AccessEvaluator.DecideFeedStatistics"/>).</summary>
    [Alias("get")] Task<FeedStatistics> GetAsync(Caller caller);
}

/// <summary>One feed request's outcome: documents accepted, duplicates, refusals by code.</summary>
[GenerateSerializer, Immutable, Alias("coffre.feed-tally")]
public sealed record FeedTally(
    [property: Id(0)] int Accepted,
    [property: Id(1)] int Duplicate,
    [property: Id(2)] IReadOnlyDictionary<string, int> Refused);

/// <summary>An establishment's feed counters since its first feed.</summary>
[GenerateSerializer, Immutable, Alias("coffre.feed-statistics-view")]
public sealed record FeedStatistics(
    [property: Id(0)] string Finess,
    [property: Id(1)] long Requests,
    [property: Id(2)] long Accepted,
    [property: Id(3)] long Duplicate,
    [property: Id(4)] IReadOnlyDictionary<string, long> Refused,
    [property: Id(5)] DateTimeOffset? LastFeedAt);
