using System.Security.Claims;
using Coffre.GraphQL.Transport;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Coffre.Silo.Security;

/// <summary>
/// Validates a WebSocket's token exactly as the JWT bearer handlers validate HTTP requests (same scheme chosen by the
/// token's issuer, same parameters, same OIDC keys, professionals' tokens cut down the same way).
/// </summary>
public sealed class JwtWebSocketAuthenticator(IOptionsMonitor<JwtBearerOptions> options, ProfessionalAuthSettings professionals) : IWebSocketAuthenticator
{
    public async Task<ClaimsPrincipal?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        var professional = professionals.Issued(token);
        var jwt = options.Get(professional ? ProfessionalAuthSettings.Scheme : JwtBearerDefaults.AuthenticationScheme);
        var parameters = jwt.TokenValidationParameters.Clone();
        if (jwt.ConfigurationManager is { } manager)
        {
            var configuration = await manager.GetConfigurationAsync(cancellationToken);
            parameters.IssuerSigningKeys = configuration.SigningKeys;
            parameters.ValidIssuer ??= configuration.Issuer;
        }
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            return null;
        }
        var principal = new ClaimsPrincipal(result.ClaimsIdentity);
        return professional ? professionals.Normalise(principal) : principal;
    }
}
