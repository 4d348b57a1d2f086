using System.Security.Claims;
using Coffre.GraphQL.Transport;
using Coffre.Silo.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using OpenIddict.Validation;

namespace Coffre.Silo.Security;

/// <summary>
/// Validates a WebSocket's token exactly as HTTP requests are validated: the provider's own tokens by OpenIddict's
/// validation service, the others with the JWT bearer handler's parameters (same OIDC keys).
/// </summary>
public sealed class JwtWebSocketAuthenticator(IOptionsMonitor<JwtBearerOptions> options, OidcIssuer issuer, IServiceProvider services) : IWebSocketAuthenticator
{
    public async Task<ClaimsPrincipal?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (issuer.Uri is { } own && AuthenticationHosting.IssuerOfToken(token) == own.AbsoluteUri)
        {
            try
            {
                return await services.GetRequiredService<OpenIddictValidationService>().ValidateAccessTokenAsync(token, cancellationToken);
            }
            catch (OpenIddictExceptions.ValidationException)
            {
                return null;
            }
        }
        var jwt = options.Get(JwtBearerDefaults.AuthenticationScheme);
        var parameters = jwt.TokenValidationParameters.Clone();
        if (jwt.ConfigurationManager is { } manager)
        {
            var configuration = await manager.GetConfigurationAsync(cancellationToken);
            parameters.IssuerSigningKeys = configuration.SigningKeys;
            parameters.ValidIssuer ??= configuration.Issuer;
        }
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
        return result.IsValid ? new ClaimsPrincipal(result.ClaimsIdentity) : null;
    }
}
