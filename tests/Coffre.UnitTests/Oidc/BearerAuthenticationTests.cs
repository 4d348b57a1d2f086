using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using Xunit;

namespace Coffre.UnitTests.Oidc;

/// <summary>
/// The server's authentication step (<see cref="BearerAuthenticationMiddleware"/>) over real HTTP on Kestrel, with
/// OpenIddict's real server beside a JWT bearer default scheme: the provider's own paths reach OpenIddict's server,
/// API requests never do, and a bearer token on an API request still authenticates it.
/// </summary>
public sealed class BearerAuthenticationTests : IAsyncLifetime
{
    private static readonly Uri Issuer = new("http://127.0.0.1/");
    private static readonly SymmetricSecurityKey Key = new(new byte[32]);

    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private int _serverRequests;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = "test", ValidAudience = "coffre", IssuerSigningKey = Key,
            };
        });
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            o.SetIssuer(Issuer);
            o.SetTokenEndpointUris("connect/token");
            o.AllowClientCredentialsFlow();
            o.AddEphemeralSigningKey().AddEphemeralEncryptionKey();
            o.EnableDegradedMode();
            o.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(h => h.UseInlineHandler(_ => default));
            o.AddEventHandler<OpenIddictServerEvents.ProcessRequestContext>(h => h
                .UseInlineHandler(_ =>
                {
                    Interlocked.Increment(ref _serverRequests);
                    return default;
                })
                .SetOrder(int.MinValue));
            o.UseAspNetCore().DisableTransportSecurityRequirement();
        });
        builder.Services.AddSingleton(new ProviderPaths(Issuer));
        _app = builder.Build();
        _app.UseCoffreAuthentication();
        _app.MapPost("/graphql", (HttpContext http) => http.User.FindFirstValue("sub") ?? "anonymous");
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private static string Token(string subject) => new JwtSecurityTokenHandler().WriteToken(new JwtSecurityToken(
        "test", "coffre", [new Claim("sub", subject)], expires: DateTime.UtcNow.AddMinutes(5),
        signingCredentials: new SigningCredentials(Key, SecurityAlgorithms.HmacSha256)));

    private async Task<string> PostAsync(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent("{}") };
        if (authorization is not null)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        }
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task An_anonymous_API_request_is_anonymous_and_never_reaches_the_providers_server()
    {
        Assert.Equal("anonymous", await PostAsync(null));
        Assert.Equal(0, Volatile.Read(ref _serverRequests));
    }

    [Fact]
    public async Task A_bearer_token_on_an_API_request_authenticates_it_without_the_providers_server()
    {
        Assert.Equal("dr-1", await PostAsync("Bearer " + Token("dr-1")));
        Assert.Equal("anonymous", await PostAsync("Bearer not.a.token"));
        Assert.Equal("anonymous", await PostAsync("Basic b3A6eA=="));
        Assert.Equal(0, Volatile.Read(ref _serverRequests));
    }

    [Fact]
    public async Task The_providers_discovery_and_token_endpoints_go_through_its_server()
    {
        using var discovery = await _http.GetAsync("/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Contains("\"token_endpoint\"", await discovery.Content.ReadAsStringAsync());
        using var token = await _http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "password" }));
        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Contains("unsupported_grant_type", await token.Content.ReadAsStringAsync());
        Assert.Equal(2, Volatile.Read(ref _serverRequests));
    }

    [Theory]
    [InlineData("http://127.0.0.1/", "/connect/token", true)]
    [InlineData("http://127.0.0.1/", "/CONNECT/login", true)]
    [InlineData("http://127.0.0.1/", "/.well-known/openid-configuration", true)]
    [InlineData("http://127.0.0.1/", "/graphql", false)]
    [InlineData("http://127.0.0.1/", "/connector", false)]
    [InlineData("https://id.example/auth/", "/auth/connect/token", true)]
    [InlineData("https://id.example/auth/", "/auth/.well-known/jwks", true)]
    [InlineData("https://id.example/auth/", "/connect/login", true)]
    [InlineData("https://id.example/auth/", "/auth/graphql", false)]
    public void Provider_paths_are_its_endpoints_pages_and_discovery_at_the_root_and_under_the_issuers_path(string issuer, string path, bool provider) =>
        Assert.Equal(provider, new ProviderPaths(new Uri(issuer)).Contains(new PathString(path)));

    [Fact]
    public void Without_a_provider_no_path_is_one_of_its() =>
        Assert.False(new ProviderPaths(null).Contains(new PathString("/connect/token")));
}
