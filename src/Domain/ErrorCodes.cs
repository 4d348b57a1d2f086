namespace Coffre.Domain;

/// <summary>
/// The stable error codes front-end teams switch on (GraphQL <c>extensions.code</c>, the document routes' bodies), raised
/// by the domain and the grains (<see cref="Access.ValidationFailedException.Code"/>) and by the API alike.
/// </summary>
public static class ErrorCodes
{
    public const string Forbidden = "FORBIDDEN";
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string NotFound = "NOT_FOUND";
    public const string Validation = "VALIDATION";
    public const string QuotaExceeded = "QUOTA_EXCEEDED";
    public const string Conflict = "CONFLICT";
    public const string Unavailable = "UNAVAILABLE";
    public const string Internal = "INTERNAL";
    public const string Timeout = "TIMEOUT";
    public const string RateLimited = "RATE_LIMITED";

    /// <summary>A share link's one answer to every refusal (unknown, wrong code, expired, used up, revoked, locked): the person's list says why.</summary>
    public const string ShareLinkUnavailable = "SHARE_LINK_UNAVAILABLE";
}
