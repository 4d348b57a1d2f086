using System.Security.Claims;
using System.Text;
using Coffre.Domain.Access;
using Coffre.Domain.Apps;
using Coffre.GraphQL.Authorization;
using Coffre.Grains;
using Coffre.Grains.Apps;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Coffre.Silo.Oidc;

/// <summary>
/// Connected apps at the authorize endpoint: an app of the catalogue (any client but the patient app) is refused when
/// unknown or suspended, and may ask only the scopes it declared; once the person is signed in they see the consent
/// screen (<c>/connect/consent</c>) listing exactly what it asks. Allow: the vault records the connection with those
/// scopes, then the code is issued (its tokens: <c>sub</c> = the vault id, <c>coffre_role</c> = <c>app</c>,
/// <c>coffre_app</c> = the app id). Deny: back to the app with <c>error=access_denied</c>. The person's answer travels
/// in the protected sign-in cookie, bound to a digest of the whole authorize request and used once (an answer to another
/// request is dropped), never in the URL.
/// </summary>
public static partial class OidcEndpoints
{
    private const string ConsentClaim = "coffre_consent";
    private const string Allow = "allow";
    private const string Deny = "deny";

    private static async Task<CatalogueApp?> CatalogueAppAsync(IGrainFactory grains, string? clientId) =>
        AppRules.IsAppId(clientId) ? await grains.GetGrain<IAppCatalogueGrain>(GrainNames.Keys.AppCatalogue).FindAsync(clientId!) : null;

    /// <summary>The answer to an app's authorization request that cannot go on, or null when it may.</summary>
    private static IResult? AppRequestRefusal(CatalogueApp? app, OpenIddictRequest request)
    {
        if (app is null)
        {
            return Forbid(Errors.AccessDenied, "This app is not in the catalogue of connected apps of Coffre.");
        }
        if (app.Status != AppStatus.Active)
        {
            return Forbid(Errors.AccessDenied, "This app is suspended from the catalogue of Coffre: it cannot be connected.");
        }
        var asked = AppScopesOf(request);
        if (asked.Count == 0)
        {
            return Forbid(Errors.InvalidScope, "Ask at least one scope of the app (documents, profile or agenda).");
        }
        if (asked.Any(s => AppScope.TryParse(s) is not { } scope || !app.Scopes.Contains(scope)))
        {
            return Forbid(Errors.InvalidScope, "The app asks a scope it did not declare in the catalogue.");
        }
        return null;
    }

    /// <summary>The scopes of the request that are the app's (every one but openid and offline_access).</summary>
    private static List<string> AppScopesOf(OpenIddictRequest request) =>
        [.. request.GetScopes().Where(s => s is not (Scopes.OpenId or Scopes.OfflineAccess)).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// A digest of the whole authorize request (every parameter: client_id, redirect_uri, scope, state, code_challenge,
    /// nonce…, in a fixed order): the person's answer approves that one request only.
    /// </summary>
    private static string RequestKey(string authorizeUrl)
    {
        var at = authorizeUrl.IndexOf('?', StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(at < 0 ? "" : authorizeUrl[at..]);
        var canonical = string.Join('&', query.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => Uri.EscapeDataString(p.Key) + "=" + string.Join(',', p.Value.Select(v => Uri.EscapeDataString(v ?? "")))));
        return Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static async Task<IResult> AuthorizeAppAsync(HttpContext http, OpenIddictRequest request, CatalogueApp app, string vaultId, ClaimsPrincipal login,
        IOpenIddictApplicationManager applications, IOpenIddictAuthorizationManager authorizations, IGrainFactory grains)
    {
        var url = await AuthorizeUrlAsync(http);
        var key = RequestKey(url);
        var consent = login.FindFirstValue(ConsentClaim);
        if (consent != Allow + "|" + key && consent != Deny + "|" + key)
        {
            if (consent is not null)
            {
                // An answer to another request approves nothing here: it is dropped, and the person is asked about this one.
                await SignInCookieAsync(http, vaultId, SignedIn);
            }
            return Results.Redirect("/connect/consent?returnUrl=" + Uri.EscapeDataString(url));
        }
        // The hand-off cookie, with the person's answer, is used once.
        await http.SignOutAsync(OidcHosting.LoginScheme);
        if (consent.StartsWith(Deny + "|", StringComparison.Ordinal))
        {
            return Forbid(Errors.AccessDenied, "The person refused to connect this app.");
        }
        try
        {
            await grains.GetGrain<IVaultAppsGrain>(vaultId).ConnectAppAsync(Caller.Patient(vaultId), app.AppId, AppScopesOf(request));
        }
        catch (Exception e) when (e is AccessDeniedException or ValidationFailedException)
        {
            return Forbid(Errors.AccessDenied, Printable(e.Message));
        }
        var application = await applications.FindByClientIdAsync(app.AppId) ?? throw new InvalidOperationException("the app has no OAuth client");
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Subject, CallerFactory.RoleClaim);
        identity.SetClaim(Claims.Subject, vaultId);
        identity.SetClaim(CallerFactory.RoleClaim, CallerFactory.AppRole);
        identity.SetClaim(CallerFactory.AppClaim, app.AppId);
        identity.SetScopes(request.GetScopes());
        identity.SetResources(OidcHosting.Audience);
        var authorization = await authorizations.CreateAsync(identity, vaultId, (await applications.GetIdAsync(application))!, AuthorizationTypes.AdHoc, identity.GetScopes());
        identity.SetAuthorizationId(await authorizations.GetIdAsync(authorization));
        identity.SetDestinations(Destinations);
        return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>The consent screen: the signed-in person sees the app's entry and exactly the scopes it asks, in words.</summary>
    private static async Task<IResult> ConsentPageAsync(HttpContext http, IAntiforgery csrf, IGrainFactory grains, HabilitationMatrix matrix)
    {
        var returnUrl = ReturnUrl(http.Request.Query["returnUrl"]);
        var login = await http.AuthenticateAsync(OidcHosting.LoginScheme);
        if (login.Principal?.FindFirstValue(StepClaim) != SignedIn)
        {
            return Results.Redirect("/connect/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        }
        var (clientId, scopes) = AuthorizeRequestOf(returnUrl);
        if (await CatalogueAppAsync(grains, clientId) is not { Status: AppStatus.Active } app)
        {
            // The authorize endpoint answers the app (access_denied).
            return Results.Redirect(returnUrl);
        }
        var described = scopes.Where(s => s is not (Scopes.OpenId or Scopes.OfflineAccess)).Distinct()
            .Select(s => AppScope.TryParse(s)?.Describe(c => matrix.ClassCodes.GetValueOrDefault(c)) ?? s).ToList();
        return OidcPages.Consent(http, csrf, returnUrl, app.Name, app.Publisher, app.CertificationReference, described, scopes.Contains(Scopes.OfflineAccess));
    }

    /// <summary>The person's answer: kept in the sign-in cookie, bound to this exact authorize request (<see cref="RequestKey"/>), then back to the authorize endpoint.</summary>
    private static async Task<IResult> ConsentAsync(HttpContext http, IAntiforgery csrf)
    {
        if (!await csrf.IsRequestValidAsync(http))
        {
            return OidcPages.Expired(http, csrf);
        }
        var form = await http.Request.ReadFormAsync();
        var returnUrl = ReturnUrl(form["returnUrl"]);
        var login = await http.AuthenticateAsync(OidcHosting.LoginScheme);
        if (login.Principal?.FindFirstValue(StepClaim) != SignedIn || login.Principal.FindFirstValue(Claims.Subject) is not { } vaultId)
        {
            return Results.Redirect("/connect/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        }
        var decision = form["decision"].ToString() == Allow ? Allow : Deny;
        await SignInCookieAsync(http, vaultId, SignedIn, decision + "|" + RequestKey(returnUrl));
        return Results.Redirect(returnUrl);
    }

    /// <summary>The client id and scopes of a local authorize URL (as <see cref="ReturnUrl"/> lets through).</summary>
    private static (string? ClientId, IReadOnlyList<string> Scopes) AuthorizeRequestOf(string returnUrl)
    {
        var at = returnUrl.IndexOf('?', StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(at < 0 ? "" : returnUrl[at..]);
        var scopes = query.TryGetValue(Parameters.Scope, out var s) ? s.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        return (query.TryGetValue(Parameters.ClientId, out var c) ? c.ToString() : null, scopes);
    }

    /// <summary>An error description as OAuth allows it (printable ASCII, no quote or backslash).</summary>
    private static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c : ' ');
        }
        return builder.ToString();
    }
}
