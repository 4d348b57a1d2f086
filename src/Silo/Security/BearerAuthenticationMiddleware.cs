using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features.Authentication;
using OpenIddict.Server.AspNetCore;

namespace Coffre.Silo.Security;

/// <summary>
/// The authentication step of every server role's HTTP pipeline, in place of ASP.NET Core's <c>UseAuthentication</c>.
/// That middleware first offers each request to every scheme that can handle requests itself; OpenIddict's server is
/// one, and deciding that a request is none of its endpoints (absolute URIs built and compared for each endpoint) was
/// 18 % of the silo's CPU samples on <c>{ __typename }</c>, more than the GraphQL endpoint's own 13 %. Here:
/// <list type="bullet">
/// <item>the OpenID provider's paths (<see cref="ProviderPaths"/>: its endpoints, sign-in pages and discovery documents)
/// go through ASP.NET Core's middleware unchanged;</item>
/// <item>any other request without an <c>Authorization</c> header is anonymous and costs no authentication work (no
/// scheme reads anything else: the sign-in cookie's path is <c>/connect</c>);</item>
/// <item>any other request with one runs the request-handling schemes other than the provider's server (OpenIddict's
/// validation keeps its per-request transaction) and is then authenticated by the default scheme, as ASP.NET Core's
/// middleware would.</item>
/// </list>
/// </summary>
public sealed class BearerAuthenticationMiddleware(RequestDelegate next, IAuthenticationSchemeProvider schemes, ProviderPaths providerPaths)
{
    private readonly AuthenticationMiddleware _full = new(next, schemes);

    public Task InvokeAsync(HttpContext http)
    {
        if (providerPaths.Contains(http.Request.Path))
        {
            return _full.Invoke(http);
        }
        return http.Request.Headers.Authorization.Count == 0 ? next(http) : AuthenticateAsync(http);
    }

    private async Task AuthenticateAsync(HttpContext http)
    {
        var handlers = http.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        foreach (var scheme in await schemes.GetRequestHandlerSchemesAsync())
        {
            if (scheme.Name != OpenIddictServerAspNetCoreDefaults.AuthenticationScheme
                && await handlers.GetHandlerAsync(http, scheme.Name) is IAuthenticationRequestHandler handler
                && await handler.HandleRequestAsync())
            {
                return;
            }
        }
        if (await schemes.GetDefaultAuthenticateSchemeAsync() is { } defaultScheme)
        {
            var result = await http.AuthenticateAsync(defaultScheme.Name);
            if (result.Principal is { } principal)
            {
                http.User = principal;
            }
            if (result.Succeeded)
            {
                var authenticated = new AuthenticatedUser(result);
                http.Features.Set<IHttpAuthenticationFeature>(authenticated);
                http.Features.Set<IAuthenticateResultFeature>(authenticated);
            }
        }
        await next(http);
    }

    private sealed class AuthenticatedUser(AuthenticateResult result) : IHttpAuthenticationFeature, IAuthenticateResultFeature
    {
        public System.Security.Claims.ClaimsPrincipal? User { get; set; } = result.Principal;

        public AuthenticateResult? AuthenticateResult { get; set; } = result;
    }
}

/// <summary>
/// Where Coffre's OpenID provider answers: <c>/connect</c> (its endpoints and sign-in pages) and <c>/.well-known</c>
/// (discovery and keys), at the root and under the issuer's own path when it has one. Empty when the provider is off.
/// </summary>
public sealed class ProviderPaths
{
    private readonly PathString[] _prefixes;

    public ProviderPaths(Uri? issuer)
    {
        if (issuer is null)
        {
            _prefixes = [];
            return;
        }
        var bases = new[] { "", issuer.AbsolutePath.TrimEnd('/') }.Distinct();
        _prefixes = [.. bases.SelectMany(b => new[] { new PathString(b + "/connect"), new PathString(b + "/.well-known") })];
    }

    public bool Contains(PathString path)
    {
        foreach (var prefix in _prefixes)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
