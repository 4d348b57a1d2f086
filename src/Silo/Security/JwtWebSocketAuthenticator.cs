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
/// validation service, the professionals' provider's tokens and the others with their JWT bearer handler's parameters
/// (same scheme chosen by the token's issuer, same OIDC keys, professionals' tokens cut down the same way).
/// </summary>
public sealed class JwtWebSocketAuthenticator(IOptionsMonitor<JwtBearerOptions> options, OidcIssuer issuer, ProfessionalAuthSettings professionals, IServiceProvider services) : IWebSocketAuthenticator
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
        var professional = professionals.Enabled && professionals.Issued(token);
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
