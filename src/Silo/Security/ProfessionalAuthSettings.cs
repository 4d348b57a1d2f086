using System.Security.Claims;
using Coffre.Domain.Identifiers;
using Coffre.GraphQL.Authorization;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Coffre.Silo.Security;

/// <summary>
/// Configuration section <c>Coffre:Auth:Professionals</c>: the external OpenID provider that proves professionals'
/// identifiers, in the style of Pro Santé Connect, next to the main authority (or development key). Set
/// <see cref="Authority"/> (its issuer; signing keys come from its discovery document) and <see cref="Audience"/> (the
/// client id Coffre is registered under); <see cref="RppsClaim"/> names the claim that carries the identifier. Such a
/// token proves the identifier only: whatever else it claims (profession, roles) is dropped, the directory decides.
/// </summary>
public sealed class ProfessionalAuthSettings
{
    public const string Section = "Coffre:Auth:Professionals";

    /// <summary>The authentication scheme of professionals' tokens.</summary>
    public const string Scheme = "professionals";

    /// <summary>The provider's issuer URL, e.g. https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet (Pro Santé Connect). Unset: no external provider.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience Coffre's tokens carry (its client id at the provider).</summary>
    public string? Audience { get; set; }

    /// <summary>The claim holding the professional's identifier. Pro Santé Connect: <c>SubjectNameID</c> (its national id, see <see cref="StripNationalIdPrefix"/>).</summary>
    public string RppsClaim { get; set; } = "SubjectNameID";

    /// <summary>
    /// Pro Santé Connect's national identifier is the RPPS behind a type digit (<c>8</c> + 11 digits) or the ADELI behind
    /// <c>0</c> (<c>0</c> + 9 digits): when true (default) the type digit is removed. Plain identifiers pass unchanged.
    /// </summary>
    public bool StripNationalIdPrefix { get; set; } = true;

    /// <summary>Optional claim naming the establishment (FINESS) the professional acts for; still checked against the directory's memberships.</summary>
    public string? FinessClaim { get; set; }

    /// <summary>False only for a local test provider on plain HTTP.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    public static ProfessionalAuthSettings Read(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<ProfessionalAuthSettings>() ?? new ProfessionalAuthSettings();

    /// <summary>Whether <paramref name="token"/> (unvalidated) names this provider as its issuer: it is then validated by the professionals' scheme.</summary>
    public bool Issued(string token)
    {
        if (!Enabled || string.IsNullOrEmpty(token))
        {
            return false;
        }
        try
        {
            var issuer = new JsonWebToken(token).Issuer;
            return string.Equals(issuer?.TrimEnd('/'), Authority!.TrimEnd('/'), StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The identifier a validated professional token proves, or null (no claim, or not an RPPS, ADELI or Coffre identifier).</summary>
    public string? IdentifierOf(ClaimsPrincipal principal)
    {
        var value = principal.FindFirst(RppsClaim)?.Value?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (StripNationalIdPrefix && ((value.Length == 12 && value[0] == '8') || (value.Length == 10 && value[0] == '0')))
        {
            value = value[1..];
        }
        return Rpps.IsValid(value) ? value : null;
    }

    /// <summary>
    /// The principal Coffre keeps from a validated professional token: <c>sub</c>, <c>coffre_role=professional</c>, the
    /// identifier as <c>rpps</c>, and the mapped <c>finess</c>; nothing else. Null when no identifier can be read.
    /// </summary>
    public ClaimsPrincipal? Normalise(ClaimsPrincipal principal)
    {
        if (IdentifierOf(principal) is not { } rpps)
        {
            return null;
        }
        var claims = new List<Claim>
        {
            new("sub", "pro:" + rpps),
            new(CallerFactory.RoleClaim, "professional"),
            new(CallerFactory.RppsClaim, rpps),
        };
        if (FinessClaim is { Length: > 0 } finessClaim && principal.FindFirst(finessClaim)?.Value is { } finess && Finess.IsValid(finess))
        {
            claims.Add(new Claim(CallerFactory.FinessClaim, finess));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, "sub", CallerFactory.RoleClaim));
    }
}
