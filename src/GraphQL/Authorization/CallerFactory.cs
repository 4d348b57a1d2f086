using System.Security.Claims;
using Coffre.Grains.Security;

namespace Coffre.GraphQL.Authorization;

/// <summary>Turns a validated token's claims into the <see cref="Caller"/> that grains re-check. Anything unknown is anonymous.</summary>
public static class CallerFactory
{
    public const string RoleClaim = "coffre_role";
    public const string RppsClaim = "rpps";

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
            "operator" => new Caller(CallerKind.Operator, subject),
            "patient" => new Caller(CallerKind.Patient, subject),
            "professional" when user.FindFirstValue(RppsClaim) is { Length: > 0 } rpps => new Caller(CallerKind.Professional, subject, rpps),
            _ => Caller.Anonymous,
        };
    }
}
