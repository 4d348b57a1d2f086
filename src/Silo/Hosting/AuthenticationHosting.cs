using Coffre.Silo.Oidc;
using Coffre.Silo.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Coffre.Silo.Hosting;

public static class AuthenticationHosting
{
    /// <summary>The default scheme: picks the validator of a bearer token by its issuer.</summary>
    public const string BearerSelector = "coffre.bearer";

    /// <summary>
    /// Bearer tokens from two sources: the development key or an external OIDC authority (JWT bearer, as before), and
    /// Coffre's own OpenID provider (OpenIddict validation: signature, audience, and the token's and session's entries,
    /// so a revoked session stops at once). The token's <c>iss</c> picks the validator; it is checked again by it.
    /// </summary>
    public static IServiceCollection AddCoffreAuthentication(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        var settings = AuthSettings.Read(configuration);
        var key = settings.ResolveSigningKey(options);
        var issuer = services.AddCoffreOidc(configuration, options);
        services.AddAuthentication(BearerSelector)
            .AddPolicyScheme(BearerSelector, "Coffre bearer", policy => policy.ForwardDefaultSelector = http =>
                issuer is not null && IssuerOf(http.Request.Headers.Authorization.ToString()) == issuer.AbsoluteUri
                    ? OidcHosting.ValidationScheme
                    : JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                if (key is null)
                {
                    jwt.Authority = settings.Authority;
                }
                jwt.TokenValidationParameters = TokenIssuer.Parameters(settings, key);
            });
        services.AddAuthorization();
        services.AddSingleton(new OidcIssuer(issuer));
        services.AddSingleton<Coffre.GraphQL.Transport.IWebSocketAuthenticator, JwtWebSocketAuthenticator>();
        return services;
    }

    /// <summary>The <c>iss</c> of a signed bearer token (unvalidated: only to pick the validator), null otherwise.</summary>
    public static string? IssuerOf(string? authorization)
    {
        const string prefix = "Bearer ";
        if (authorization is null || !authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        return IssuerOfToken(authorization[prefix.Length..].Trim());
    }

    public static string? IssuerOfToken(string token)
    {
        try
        {
            var jwt = new JsonWebToken(token);
            return jwt.IsEncrypted ? null : jwt.Issuer;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}

/// <summary>The issuer of Coffre's own OpenID provider, null when it is off.</summary>
public sealed record OidcIssuer(Uri? Uri);
