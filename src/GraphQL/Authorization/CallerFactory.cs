using System.Security.Claims;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;

namespace Coffre.GraphQL.Authorization;

/// <summary>
/// Turns a validated token's claims into the <see cref="Caller"/> that grains re-check. Anything incomplete or
/// unknown is anonymous (deny by default). Claims: <c>sub</c>; <c>coffre_role</c> (patient, professional,
/// operator, establishment); for patients <c>sub</c> is their vault id; for professionals <c>rpps</c>, <c>profession</c> and
/// optionally <c>finess</c> (the establishment they act for, as Pro Santé Connect's exercice/activité); for
/// establishment systems (client credentials at Coffre's provider) <c>sub</c> is the client id and <c>finess</c> its one FINESS.
/// </summary>
public static class CallerFactory
{
    public const string RoleClaim = "coffre_role";
    public const string RppsClaim = "rpps";
    public const string ProfessionClaim = "profession";
    public const string FinessClaim = "finess";

    public static Caller From(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return Caller.Anonymous;
        }
        var subject = user.FindFirstValue("sub") ?? user.FindFirstValue(ClaimTypes.NameIdentifier);
        if (string.IsNullOrEmpty(subject))
        {
            return Caller.Anonymous;
        }
        return user.FindFirstValue(RoleClaim) switch
        {
            "operator" => Caller.Operator(subject),
            "patient" when Ids.IsVaultId(subject) => Caller.Patient(subject),
            "professional" when user.FindFirstValue(RppsClaim) is { } rpps && Rpps.IsValid(rpps)
                && user.FindFirstValue(ProfessionClaim) is { Length: > 0 } profession
                => Caller.Professional(rpps, profession, user.FindFirstValue(FinessClaim) is { } f && Finess.IsValid(f) ? f : null),
            "establishment" when user.FindFirstValue(FinessClaim) is { } finess && Finess.IsValid(finess) => Caller.Establishment(finess, subject),
            _ => Caller.Anonymous,
        };
    }
}
