using System.Security.Claims;

namespace Coffre.GraphQL.Transport;

/// <summary>Validates the bearer token a WebSocket client sends in <c>connection_init</c> (browsers cannot set headers on a WebSocket).</summary>
public interface IWebSocketAuthenticator
{
    /// <summary>The validated principal, or null when the token is missing, expired or invalid.</summary>
    Task<ClaimsPrincipal?> AuthenticateAsync(string token, CancellationToken cancellationToken);
}
