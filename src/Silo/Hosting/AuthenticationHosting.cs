using Coffre.Silo.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Coffre.Silo.Hosting;

public static class AuthenticationHosting
{
    /// <summary>The default scheme when professionals have their own provider: forwards each token to the scheme of its issuer.</summary>
    public const string SelectorScheme = "coffre";

    /// <summary>
    /// JWT bearer: an OIDC authority in production, the local signing key in development and tests; and, when
    /// <c>Coffre:Auth:Professionals:Authority</c> is set, a second bearer scheme for professionals' tokens from that
    /// provider (Pro Santé Connect style), chosen by the token's issuer. Its tokens are cut down to the identifier they
    /// prove (<see cref="ProfessionalAuthSettings.Normalise"/>).
    /// </summary>
    public static IServiceCollection AddCoffreAuthentication(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        var settings = AuthSettings.Read(configuration);
        var professionals = ProfessionalAuthSettings.Read(configuration);
        services.AddSingleton(professionals);
        var key = settings.ResolveSigningKey(options);
        var builder = professionals.Enabled
            ? services.AddAuthentication(SelectorScheme).AddPolicyScheme(SelectorScheme, "Coffre bearer", policy =>
                policy.ForwardDefaultSelector = http =>
                    http.Request.Headers.Authorization.ToString() is var header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        && professionals.Issued(header["Bearer ".Length..].Trim())
                        ? ProfessionalAuthSettings.Scheme
                        : JwtBearerDefaults.AuthenticationScheme)
            : services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme);
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
        services.AddSingleton<Coffre.GraphQL.Transport.IWebSocketAuthenticator, JwtWebSocketAuthenticator>();
        return services;
    }
}
