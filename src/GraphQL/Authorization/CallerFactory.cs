using System.Security.Claims;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;

namespace Coffre.GraphQL.Authorization;

/// <summary>
/// Turns a validated token's claims into the <see cref="Caller"/> the token alone proves. Anything incomplete or
/// unknown is anonymous (deny by default). Claims: <c>sub</c>; <c>coffre_role</c> (patient, professional,
/// operator, establishment); for patients <c>sub</c> is their vault id; for operators <c>coffre_operator_roles</c> (space- or
/// comma-separated: support, rollout, directory-admin; none without it); for professionals <c>rpps</c> (an RPPS,
/// ADELI or Coffre identifier) and optionally <c>finess</c> (the establishment they act for, as Pro Santé Connect's
/// exercice/activité). A professional's profession is never taken from the token: the caller comes out
/// <see cref="DirectoryStanding.Unverified"/> without profession, and <see cref="CallerResolver"/> completes it from
/// the directory (a <c>profession</c> claim, as dev tokens carry, is ignored).
/// For establishment systems (client credentials at Coffre's provider) <c>sub</c> is the client id and <c>finess</c> its one FINESS.
/// For a connected app (<c>coffre_role</c> <c>app</c>) <c>sub</c> is the person's vault id and <c>coffre_app</c> the app id: an
/// app caller (<see cref="Caller.App"/>), unverified until <see cref="CallerResolver"/> asks the catalogue.
/// </summary>
public static class CallerFactory
{
    public const string RoleClaim = "coffre_role";
    public const string RppsClaim = "rpps";
    public const string ProfessionClaim = "profession";
    public const string FinessClaim = "finess";
    public const string OperatorRolesClaim = "coffre_operator_roles";
    /// <summary>A connected app's token: its app id (OAuth client id) beside <c>coffre_role</c> <c>app</c> and <c>sub</c> = the person's vault id.</summary>
    public const string AppClaim = "coffre_app";
    public const string AppRole = "app";

    public static Caller From(ClaimsPrincipal? user)
    {
        if (user is null || SubjectOf(user) is not { } subject)
        {
            return Caller.Anonymous;
        }
        return user.FindFirstValue(RoleClaim) switch
        {
            "operator" => new Caller(CallerKind.Operator, subject,
                OperatorRoles: OperatorRoleNames.Parse(string.Join(' ', user.FindAll(OperatorRolesClaim).Select(c => c.Value)))),
            "patient" when Ids.IsVaultId(subject) => Caller.Patient(subject),
            "professional" when user.FindFirstValue(RppsClaim) is { } rpps && Rpps.IsValid(rpps)
                => new Caller(CallerKind.Professional, "rpps:" + rpps, rpps, null,
                    user.FindFirstValue(FinessClaim) is { } f && Finess.IsValid(f) ? f : null, Standing: DirectoryStanding.Unverified),
            // A connected app acts for the person who connected it, never as them: an App caller, not a patient.
            AppRole when Ids.IsVaultId(subject) && user.FindFirstValue(AppClaim) is { } app && Coffre.Domain.Apps.AppRules.IsAppId(app)
                => Caller.App(subject, app, DirectoryStanding.Unverified),
            "establishment" when user.FindFirstValue(FinessClaim) is { } finess && Finess.IsValid(finess) => Caller.Establishment(finess, subject),
            _ => Caller.Anonymous,
        };
    }

    /// <summary>
    /// The validated token's subject: its <c>sub</c> claim as the token carries it (what <c>viewer.subject</c> shows);
    /// null without a token. Not <see cref="Caller.Subject"/>, which for a professional is <c>rpps:</c>+RPPS and for an
    /// establishment system <c>client:</c>+client id (the actor ids of the access history).
    /// </summary>
    public static string? SubjectOf(ClaimsPrincipal? user) =>
        user?.Identity?.IsAuthenticated == true
        && (user.FindFirstValue("sub") ?? user.FindFirstValue(ClaimTypes.NameIdentifier)) is { Length: > 0 } subject
            ? subject
            : null;
}
