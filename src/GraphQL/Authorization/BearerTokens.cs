using Microsoft.AspNetCore.Http;

namespace Coffre.GraphQL.Authorization;

public static class BearerTokens
{
    /// <summary>A bearer token was sent but did not validate (bad signature, expired, wrong audience): answer 401, never treat the caller as anonymous.</summary>
    public static bool WasRejected(HttpContext http) =>
        http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
        && http.User.Identity?.IsAuthenticated != true;
}
