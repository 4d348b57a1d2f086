using Coffre.Silo.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Coffre.Silo.Hosting;

public static class AuthenticationHosting
{
    /// <summary>JWT bearer: an OIDC authority in production, the local signing key in development and tests.</summary>
    public static IServiceCollection AddCoffreAuthentication(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        var settings = AuthSettings.Read(configuration);
        var key = settings.ResolveSigningKey(options);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.MapInboundClaims = false;
            if (key is null)
            {
                jwt.Authority = settings.Authority;
            }
            jwt.TokenValidationParameters = TokenIssuer.Parameters(settings, key);
        });
        services.AddAuthorization();
        services.AddSingleton<Coffre.GraphQL.Transport.IWebSocketAuthenticator, JwtWebSocketAuthenticator>();
        return services;
    }
}
