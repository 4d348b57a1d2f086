using Coffre.Silo.Oidc;
using Coffre.Silo.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Coffre.Silo.Hosting;

public static class AuthenticationHosting
{
    /// <summary>The default scheme: forwards each bearer token to the validator of its issuer.</summary>
    public const string BearerSelector = "coffre.bearer";

    /// <summary>
    /// Bearer tokens from three sources, the token's <c>iss</c> picking the validator (which checks it again): Coffre's
    /// own OpenID provider (OpenIddict validation: signature, audience, and the token's and session's entries, so a revoked
    /// session stops at once); when <c>Coffre:Auth:Professionals:Authority</c> is set, the professionals' provider (Pro
    /// Santé Connect style), whose tokens are cut down to the identifier they prove
    /// (<see cref="ProfessionalAuthSettings.Normalise"/>); else the development key or an external OIDC authority.
    /// </summary>
    public static IServiceCollection AddCoffreAuthentication(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        var settings = AuthSettings.Read(configuration);
        var professionals = ProfessionalAuthSettings.Read(configuration);
        services.AddSingleton(professionals);
        var key = settings.ResolveSigningKey(options);
        var issuer = services.AddCoffreOidc(configuration, options);
        var builder = services.AddAuthentication(BearerSelector)
            .AddPolicyScheme(BearerSelector, "Coffre bearer", policy => policy.ForwardDefaultSelector = http =>
            {
                var header = http.Request.Headers.Authorization.ToString();
                return issuer is not null && IssuerOf(header) == issuer.AbsoluteUri ? OidcHosting.ValidationScheme
                    : professionals.Enabled && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && professionals.Issued(header["Bearer ".Length..].Trim())
                        ? ProfessionalAuthSettings.Scheme
                        : JwtBearerDefaults.AuthenticationScheme;
            });
        builder.AddJwtBearer(jwt =>
        {
            jwt.MapInboundClaims = false;
            if (key is null)
            {
                jwt.Authority = settings.Authority;
            }
            jwt.TokenValidationParameters = TokenIssuer.Parameters(settings, key);
        });
        if (professionals.Enabled)
        {
            builder.AddJwtBearer(ProfessionalAuthSettings.Scheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.Authority = professionals.Authority;
                jwt.RequireHttpsMetadata = professionals.RequireHttpsMetadata;
                jwt.TokenValidationParameters = TokenIssuer.ProfessionalParameters(settings, professionals);
                jwt.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context =>
                    {
                        if (context.Principal is { } principal && professionals.Normalise(principal) is { } normalised)
                        {
                            context.Principal = normalised;
                        }
                        else
                        {
                            context.Fail($"the token carries no professional identifier in claim {professionals.RppsClaim}");
                        }
                        return Task.CompletedTask;
                    },
                };
            });
        }
        services.AddAuthorization();
        services.AddSingleton(new OidcIssuer(issuer));
        services.AddSingleton(new ProviderPaths(issuer));
        services.AddSingleton<Coffre.GraphQL.Transport.IWebSocketAuthenticator, JwtWebSocketAuthenticator>();
        return services;
    }

    /// <summary>
    /// Authenticates requests with <see cref="BearerAuthenticationMiddleware"/> in place of ASP.NET Core's
    /// <c>UseAuthentication</c>. The mark set first is the one <c>UseAuthentication</c> sets: without it the web
    /// application would add ASP.NET Core's authentication middleware again at the head of the pipeline.
    /// </summary>
    public static IApplicationBuilder UseCoffreAuthentication(this IApplicationBuilder app)
    {
        app.Properties["__AuthenticationMiddlewareSet"] = true;
        return app.UseMiddleware<BearerAuthenticationMiddleware>();
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
