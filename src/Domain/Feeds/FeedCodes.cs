namespace Coffre.Domain.Feeds;

/// <summary>What became of one fed document (<c>status</c>) and, when refused, why (<c>code</c>): the API's words.</summary>
public static class FeedCodes
{
    public const string Accepted = "ACCEPTED";
    public const string Duplicate = "DUPLICATE";
    public const string Refused = "REFUSED";

    /// <summary>No vault and no opposition for this NIR, or a vault id that names no vault.</summary>
    public const string UnknownPerson = "UNKNOWN_PERSON";
    /// <summary>The person opposed, or closed their vault: nothing is stored.</summary>
    public const string Opposed = "OPPOSED";
    /// <summary>The matrix does not let this establishment's category feed this type.</summary>
    public const string OutsideScope = "OUTSIDE_SCOPE";
    public const string Validation = ErrorCodes.Validation;
    public const string QuotaExceeded = ErrorCodes.QuotaExceeded;
    /// <summary>Any other refusal of the vault (its reason says which).</summary>
    public const string Forbidden = ErrorCodes.Forbidden;
    /// <summary>A storage or cluster failure on this item: send it again (the external id makes it safe).</summary>
    public const string Unavailable = ErrorCodes.Unavailable;
    /// <summary>The whole request: the silo's in-flight feed work is at its bound; retry after <c>Retry-After</c>.</summary>
    public const string RetryLater = "RETRY_LATER";
}
