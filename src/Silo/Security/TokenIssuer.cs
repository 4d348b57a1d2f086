using System.Security.Claims;
using Coffre.GraphQL.Authorization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Coffre.Silo.Security;

/// <summary>Mints development tokens with the local signing key (operator command <c>coffre token</c>).</summary>
public static class TokenIssuer
{
    /// <summary>One handler for every token minted or validated here (it keeps no state between tokens).</summary>
    private static readonly JsonWebTokenHandler Handler = new();

    public static string Mint(AuthSettings settings, SymmetricSecurityKey key, string role, string subject, string? rpps, TimeSpan lifetime, string? profession = null, string? finess = null, string? operatorRoles = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            [CallerFactory.RoleClaim] = role,
        };
        if (operatorRoles is not null)
        {
            claims[CallerFactory.OperatorRolesClaim] = operatorRoles;
        }
        if (rpps is not null)
        {
            claims[CallerFactory.RppsClaim] = rpps;
        }
        if (profession is not null)
        {
            claims[CallerFactory.ProfessionClaim] = profession;
        }
        if (finess is not null)
        {
            claims[CallerFactory.FinessClaim] = finess;
        }
        var now = DateTime.UtcNow;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }

    public static ClaimsPrincipal? Validate(AuthSettings settings, SymmetricSecurityKey key, string token)
    {
        var result = Handler.ValidateTokenAsync(token, Parameters(settings, key)).GetAwaiter().GetResult();
        return result.IsValid ? new ClaimsPrincipal(result.ClaimsIdentity) : null;
    }

    public static TokenValidationParameters Parameters(AuthSettings settings, SymmetricSecurityKey? key) => new()
    {
        ValidIssuer = settings.Issuer,
        ValidAudience = settings.Audience,
        IssuerSigningKey = key,
        ValidateIssuerSigningKey = key is not null,
        ClockSkew = settings.ClockSkew,
        RequireExpirationTime = true,
        LifetimeValidator = (notBefore, expires, _, _) => LifetimeIsAcceptable(notBefore, expires, DateTime.UtcNow, settings),
        NameClaimType = "sub",
        RoleClaimType = CallerFactory.RoleClaim,
    };

    /// <summary>
    /// Professionals' tokens from <see cref="ProfessionalAuthSettings.Authority"/>: issuer and signing keys from its
    /// discovery document, audience as configured, same lifetime rules as Coffre's own tokens.
    /// </summary>
    public static TokenValidationParameters ProfessionalParameters(AuthSettings settings, ProfessionalAuthSettings professionals) => new()
    {
        ValidAudience = professionals.Audience,
        ValidateAudience = !string.IsNullOrEmpty(professionals.Audience),
        ClockSkew = settings.ClockSkew,
        RequireExpirationTime = true,
        LifetimeValidator = (notBefore, expires, _, _) => LifetimeIsAcceptable(notBefore, expires, DateTime.UtcNow, settings),
        NameClaimType = "sub",
    };

    /// <summary>
    /// Valid now (within the clock skew), and never minted for longer than <see cref="AuthSettings.MaxTokenLifetime"/>:
    /// neither expiry − not-before (or issue time) nor the time left may exceed it.
    /// </summary>
    public static bool LifetimeIsAcceptable(DateTime? notBefore, DateTime? expires, DateTime now, AuthSettings settings)
    {
        if (expires is not { } exp)
        {
            return false;
        }
        exp = exp.ToUniversalTime();
        var start = notBefore?.ToUniversalTime();
        return now <= exp + settings.ClockSkew
            && (start is null || now >= start.Value - settings.ClockSkew)
            && exp - (start ?? now) <= settings.MaxTokenLifetime
            && exp - now <= settings.MaxTokenLifetime + settings.ClockSkew;
    }
}
