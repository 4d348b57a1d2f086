using System.ComponentModel.DataAnnotations;

namespace Coffre.GraphQL.Feeds;

/// <summary>The bulk feed's bounds (configuration section <c>Coffre:Feeds</c>).</summary>
public sealed class FeedOptions
{
    public const string Section = "Coffre:Feeds";

    /// <summary>Documents in one request's manifest.</summary>
    [Range(1, 1000)]
    public int MaxItemsPerRequest { get; set; } = 50;

    /// <summary>Bytes the documents of one request declare in all; unset: the vaults' <c>Coffre:Vaults:MaxDocumentBytes</c>.</summary>
    [Range(1, long.MaxValue)]
    public long? MaxRequestBytes { get; set; }

    /// <summary>Documents being ingested at once by this process (all requests); beyond, RETRY_LATER.</summary>
    [Range(1, 1_000_000)]
    public int MaxInFlightItems { get; set; } = 400;

    /// <summary>Declared bytes being ingested at once by this process; beyond, RETRY_LATER.</summary>
    [Range(1, long.MaxValue)]
    public long MaxInFlightBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The <c>Retry-After</c> of a RETRY_LATER answer, in seconds.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}
