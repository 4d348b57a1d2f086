using System.Globalization;
using System.Security.Claims;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.GraphQL.Activation;
using Coffre.GraphQL.Authorization;
using Coffre.Grains;
using Coffre.Grains.Identity;
using Coffre.Grains.Rollout;
using Coffre.Grains.Vaults;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Coffre.Silo.Oidc;

/// <summary>
/// The provider's endpoints: <c>/connect/authorize</c>, <c>/connect/token</c>, <c>/connect/endsession</c> (OpenIddict
/// passthrough), and the server-rendered pages <c>/connect/login</c>, <c>/connect/activate</c>,
/// <c>/connect/passphrase</c> (plain HTML forms, antiforgery-protected, no script).
/// </summary>
public static partial class OidcEndpoints
{
    private const string StepClaim = "coffre_step";
    private const string SignedIn = "signed_in";
    private const string ChoosePassphrase = "choose_passphrase";

    public static IEndpointRouteBuilder MapCoffreOidc(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/connect/authorize", ["GET", "POST"], AuthorizeAsync);
        endpoints.MapPost("/connect/token", TokenAsync);
        endpoints.MapMethods("/connect/endsession", ["GET", "POST"], EndSessionAsync);
        endpoints.MapGet("/connect/login", (HttpContext http, IAntiforgery csrf) => OidcPages.Login(http, csrf, ReturnUrl(http.Request.Query["returnUrl"]), null, null));
        endpoints.MapPost("/connect/login", LoginAsync);
        endpoints.MapGet("/connect/activate", (HttpContext http, IAntiforgery csrf) => OidcPages.Activate(http, csrf, ReturnUrl(http.Request.Query["returnUrl"]), null));
        endpoints.MapPost("/connect/activate", ActivateAsync);
        endpoints.MapGet("/connect/passphrase", ChoosePassphrasePageAsync);
        endpoints.MapPost("/connect/passphrase", ChoosePassphraseAsync);
        endpoints.MapGet("/connect/consent", ConsentPageAsync);
        endpoints.MapPost("/connect/consent", ConsentAsync);
        return endpoints;
    }

    // ------------------------------------------------------------------ OpenID endpoints

    private static async Task<IResult> AuthorizeAsync(HttpContext http, IOpenIddictApplicationManager applications, IOpenIddictAuthorizationManager authorizations,
        OidcSettings settings, IGrainFactory grains)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("not an OpenID Connect request");
        // Any client but the patient app is a connected app of the catalogue: refused before sign-in when unknown or suspended (OidcEndpoints.Apps.cs).
        var app = request.ClientId == settings.PatientClientId ? null : await CatalogueAppAsync(grains, request.ClientId);
        if (request.ClientId != settings.PatientClientId && AppRequestRefusal(app, request) is { } refused)
        {
            return refused;
        }
        var login = await http.AuthenticateAsync(OidcHosting.LoginScheme);
        var vaultId = login.Succeeded && login.Principal.FindFirstValue(StepClaim) == SignedIn ? login.Principal.FindFirstValue(Claims.Subject) : null;
        if (vaultId is null || request.HasPromptValue(PromptValues.Login) && !login.Succeeded)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "the person is not signed in");
            }
            return Results.Redirect("/connect/login?returnUrl=" + Uri.EscapeDataString(await AuthorizeUrlAsync(http)));
        }
        if (app is not null)
        {
            return await AuthorizeAppAsync(http, request, app, vaultId, login.Principal!, applications, authorizations, grains);
        }
        // The hand-off cookie is used once: a later authorization asks for the passphrase again.
        await http.SignOutAsync(OidcHosting.LoginScheme);

        var application = await applications.FindByClientIdAsync(request.ClientId!) ?? throw new InvalidOperationException("unknown client");
        var identity = PatientIdentity(vaultId);
        identity.SetScopes(request.GetScopes());
        identity.SetResources(OidcHosting.Audience);
        var authorization = await authorizations.CreateAsync(identity, vaultId, (await applications.GetIdAsync(application))!, AuthorizationTypes.AdHoc, identity.GetScopes());
        identity.SetAuthorizationId(await authorizations.GetIdAsync(authorization));
        identity.SetDestinations(Destinations);
        return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> TokenAsync(HttpContext http, IOpenIddictApplicationManager applications)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("not an OpenID Connect request");
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // OpenIddict has validated the code (PKCE, client, redirect URI) or the refresh token (rotation, reuse).
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            if (result.Principal?.GetClaim(Claims.Subject) is not { } subject || !Ids.IsVaultId(subject))
            {
                return Forbid(Errors.InvalidGrant, "the grant is no longer valid");
            }
            var identity = new ClaimsIdentity(result.Principal.Claims, TokenValidationParameters.DefaultAuthenticationType, Claims.Subject, CallerFactory.RoleClaim);
            identity.SetDestinations(Destinations);
            return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        if (request.IsClientCredentialsGrantType())
        {
            // The client is authenticated by OpenIddict (secret); it acts for its one FINESS, never another.
            var application = await applications.FindByClientIdAsync(request.ClientId!);
            var properties = application is null ? null : await applications.GetPropertiesAsync(application);
            if (properties is null || !properties.TryGetValue(OidcHosting.FinessProperty, out var value)
                || value.GetString() is not { } finess || !Finess.IsValid(finess))
            {
                return Forbid(Errors.UnauthorizedClient, "this client acts for no establishment");
            }
            var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Subject, CallerFactory.RoleClaim);
            identity.SetClaim(Claims.Subject, request.ClientId);
            identity.SetClaim(CallerFactory.RoleClaim, OidcHosting.EstablishmentRole);
            identity.SetClaim(CallerFactory.FinessClaim, finess);
            identity.SetScopes(request.GetScopes());
            identity.SetResources(OidcHosting.Audience);
            identity.SetDestinations(static _ => [OpenIddictConstants.Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        return Forbid(Errors.UnsupportedGrantType, "this grant type is not supported");
    }

    /// <summary>Sign-out: the session named by <c>id_token_hint</c> ends (its authorization and tokens are revoked), then back to the app.</summary>
    private static async Task<IResult> EndSessionAsync(HttpContext http, IOpenIddictAuthorizationManager authorizations, IOpenIddictTokenManager tokens)
    {
        var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (hint.Principal?.GetAuthorizationId() is { } id && await authorizations.FindByIdAsync(id) is { } authorization)
        {
            await OidcDirectory.Revoke(authorizations, tokens, authorization, id, http.RequestAborted);
        }
        await http.SignOutAsync(OidcHosting.LoginScheme);
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/connect/login" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static ClaimsIdentity PatientIdentity(string vaultId)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Subject, CallerFactory.RoleClaim);
        identity.SetClaim(Claims.Subject, vaultId);
        identity.SetClaim(CallerFactory.RoleClaim, "patient");
        return identity;
    }

    private static IEnumerable<string> Destinations(Claim claim) => claim.Type switch
    {
        Claims.Subject => [OpenIddictConstants.Destinations.AccessToken, OpenIddictConstants.Destinations.IdentityToken],
        CallerFactory.RoleClaim => [OpenIddictConstants.Destinations.AccessToken],
        _ => [OpenIddictConstants.Destinations.AccessToken],
    };

    private static IResult Forbid(string error, string description) => Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
    {
        [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
        [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
    }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    // ------------------------------------------------------------------ pages

    /// <summary>A sign-in or activation form post: its fields once its anti-forgery token and the rate limits let it through, else the page to answer.</summary>
    private sealed record Attempt(IFormCollection? Form, string ReturnUrl, string Nir, IResult? Refusal);

    private static async Task<Attempt> ReadAttemptAsync(HttpContext http, IAntiforgery csrf, ActivationRateLimiter limiter, NirHasher hasher)
    {
        if (!await csrf.IsRequestValidAsync(http))
        {
            return new Attempt(null, "", "", OidcPages.Expired(http, csrf));
        }
        var form = await http.Request.ReadFormAsync();
        var returnUrl = ReturnUrl(form["returnUrl"]);
        var nir = Compact(form["nir"]);
        return AttemptAllowed(http, limiter, hasher, nir)
            ? new Attempt(form, returnUrl, nir, null)
            : new Attempt(null, returnUrl, nir, OidcPages.RateLimited(http, csrf, returnUrl));
    }

    private static async Task<IResult> LoginAsync(HttpContext http, IAntiforgery csrf, ActivationRateLimiter limiter, NirHasher hasher, IGrainFactory grains)
    {
        var attempt = await ReadAttemptAsync(http, csrf, limiter, hasher);
        if (attempt is not ({ } form, var returnUrl, var nir, null))
        {
            return attempt.Refusal!;
        }
        var passphrase = form["passphrase"].ToString();
        var refused = OidcPages.Login(http, csrf, returnUrl, nir, OidcPages.SignInRefused);
        if (!Nir.IsValid(nir) || BirthDate(form["birthDate"]) is not { } birthDate || passphrase.Length == 0)
        {
            Passphrases.Verify(passphrase.Length == 0 ? "-" : passphrase, Passphrases.Dummy);
            return refused;
        }
        // One grain call, as the signIn mutation: the person's identity grain resolves the vault, then birth date first,
        // one PBKDF2 verify, lockout and uniform refusal in the vault grain.
        if (await grains.GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(hasher.HashHex(nir))).SignInAsync(birthDate, passphrase) is not { } vaultId)
        {
            return refused;
        }
        await SignInCookieAsync(http, vaultId, SignedIn);
        return Results.Redirect(returnUrl);
    }

    private static async Task<IResult> ActivateAsync(HttpContext http, IAntiforgery csrf, ActivationRateLimiter limiter, NirHasher hasher, IActivations activations)
    {
        var attempt = await ReadAttemptAsync(http, csrf, limiter, hasher);
        if (attempt is not ({ } form, var returnUrl, var nir, null))
        {
            return attempt.Refusal!;
        }
        var code = form["code"].ToString().Trim();
        var serial = Compact(form["vitaleSerial"]);
        var refused = OidcPages.Activate(http, csrf, returnUrl, OidcPages.ActivationRefused);
        if (BirthDate(form["birthDate"]) is not { } birthDate || code.Length == 0 || serial.Length == 0 || !Nir.IsValid(nir))
        {
            return refused;
        }
        var result = await activations.ActivateAsync(new ActivationRequest(code, nir, birthDate, serial));
        if (result.Outcome != ActivationOutcome.Activated || result.VaultId is not { } vaultId)
        {
            return refused;
        }
        await SignInCookieAsync(http, vaultId, ChoosePassphrase);
        return Results.Redirect("/connect/passphrase?returnUrl=" + Uri.EscapeDataString(returnUrl));
    }

    private static async Task<IResult> ChoosePassphrasePageAsync(HttpContext http, IAntiforgery csrf)
    {
        var returnUrl = ReturnUrl(http.Request.Query["returnUrl"]);
        var login = await http.AuthenticateAsync(OidcHosting.LoginScheme);
        return login.Principal?.FindFirstValue(StepClaim) == ChoosePassphrase
            ? OidcPages.Passphrase(http, csrf, returnUrl, null)
            : Results.Redirect("/connect/activate?returnUrl=" + Uri.EscapeDataString(returnUrl));
    }

    private static async Task<IResult> ChoosePassphraseAsync(HttpContext http, IAntiforgery csrf, IGrainFactory grains)
    {
        if (!await csrf.IsRequestValidAsync(http))
        {
            return OidcPages.Expired(http, csrf);
        }
        var form = await http.Request.ReadFormAsync();
        var returnUrl = ReturnUrl(form["returnUrl"]);
        var login = await http.AuthenticateAsync(OidcHosting.LoginScheme);
        if (login.Principal?.FindFirstValue(StepClaim) != ChoosePassphrase || login.Principal.FindFirstValue(Claims.Subject) is not { } vaultId)
        {
            return Results.Redirect("/connect/activate?returnUrl=" + Uri.EscapeDataString(returnUrl));
        }
        var passphrase = form["passphrase"].ToString();
        if (passphrase != form["confirmation"].ToString())
        {
            return OidcPages.Passphrase(http, csrf, returnUrl, OidcPages.PassphrasesDiffer);
        }
        if (Passphrases.Validate(passphrase) is { } problem)
        {
            return OidcPages.Passphrase(http, csrf, returnUrl, OidcPages.PassphraseRule(problem));
        }
        await grains.GetGrain<IVaultGrain>(vaultId).SetPassphraseAsync(Caller.Patient(vaultId), passphrase);
        await SignInCookieAsync(http, vaultId, SignedIn);
        return Results.Redirect(returnUrl);
    }

    /// <summary>This authorize request as a local URL (its query, or its posted form as a query): where sign-in and consent come back to.</summary>
    private static async Task<string> AuthorizeUrlAsync(HttpContext http)
    {
        var query = http.Request.HasFormContentType
            ? QueryString.Create((await http.Request.ReadFormAsync()).Select(kv => KeyValuePair.Create(kv.Key, kv.Value)))
            : http.Request.QueryString;
        return "/connect/authorize" + query;
    }

    private static Task SignInCookieAsync(HttpContext http, string vaultId, string step, string? consent = null)
    {
        var identity = new ClaimsIdentity(OidcHosting.LoginScheme, Claims.Subject, CallerFactory.RoleClaim);
        identity.AddClaim(new Claim(Claims.Subject, vaultId));
        identity.AddClaim(new Claim(StepClaim, step));
        if (consent is not null)
        {
            identity.AddClaim(new Claim(ConsentClaim, consent));
        }
        return http.SignInAsync(OidcHosting.LoginScheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
    }

    /// <summary>As the GraphQL sign-in: one token per client (IPv4, IPv6 /64) and per person (NIR keyed hash) for every attempt.</summary>
    private static bool AttemptAllowed(HttpContext http, ActivationRateLimiter limiter, NirHasher hasher, string nir)
    {
        var client = ActivationRateLimiter.ClientKey(http.Connection.RemoteIpAddress);
        var person = Nir.IsValid(nir) ? hasher.HashHex(nir) : "invalid-nir";
        return limiter.TryAcquire(client) && limiter.TryAcquireForPerson(person);
    }

    /// <summary>Only the authorize endpoint of this server: anything else (absolute, protocol-relative) goes back to a bare sign-in.</summary>
    internal static string ReturnUrl(string? value) =>
        value is { Length: > 0 } v && v.StartsWith("/connect/authorize?", StringComparison.Ordinal) && !v.Contains('\\') && !v.Contains("//", StringComparison.Ordinal)
            ? v
            : "/connect/authorize";

    private static string Compact(string? value) => (value ?? "").Replace(" ", "", StringComparison.Ordinal).Trim();

    private static DateOnly? BirthDate(string? value) =>
        DateOnly.TryParseExact(value?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
        : DateOnly.TryParseExact(value?.Trim(), "dd/MM/yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out d) ? d
        : null;
}
