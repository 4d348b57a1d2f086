using Coffre.GraphQL.Authorization;
using Coffre.Silo.Hosting;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Coffre.Silo.Oidc;

/// <summary>
/// Coffre's OpenID provider (OpenIddict): authorization code + PKCE for the patient app, rotating refresh tokens
/// with reuse detection, client credentials for establishment systems, end-session; its own sign-in and activation
/// pages. Its access tokens are validated by OpenIddict's validation handler beside the development key's JWT bearer.
/// </summary>
public static class OidcHosting
{
    /// <summary>Short-lived cookie handing the person proven by the sign-in or activation page over to the authorize endpoint.</summary>
    public const string LoginScheme = "coffre.oidc.login";

    public const string Audience = "coffre";
    public const string FinessProperty = "coffre_finess";
    public const string EstablishmentRole = "establishment";

    /// <summary>Registers the provider when it is on; returns its issuer (null when off).</summary>
    public static Uri? AddCoffreOidc(this IServiceCollection services, IConfiguration configuration, CoffreOptions options)
    {
        var settings = OidcSettings.Read(configuration);
        if (!settings.IsEnabled(options))
        {
            services.AddSingleton<IOidcDirectory, DisabledOidcDirectory>();
            return null;
        }
        var issuer = settings.ResolveIssuer(configuration, options);
        var signing = OidcKeys.Signing(settings, options);
        var encryption = OidcKeys.Encryption(configuration, options);
        var allowHttp = settings.AllowHttp ?? (options.Role == CoffreRole.Embedded || issuer.Scheme == Uri.UriSchemeHttp);

        services.AddSingleton(settings);
        if (options.Role == CoffreRole.Embedded)
        {
            var file = Path.Combine(Path.GetFullPath(options.DataPath), "oidc.db");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            services.AddDbContext<OidcDbContext>(db => db.UseSqlite($"Data Source={file};Pooling=False").UseOpenIddict());
            // Before anything starts: the data-protection key ring is read from these tables at host start.
            using var create = new OidcDbContext(new DbContextOptionsBuilder<OidcDbContext>().UseSqlite($"Data Source={file};Pooling=False").UseOpenIddict().Options);
            create.Database.EnsureCreated();
        }
        else
        {
            services.AddDbContext<OidcDbContext>((sp, db) => db.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()).UseOpenIddict());
        }

        services.AddDataProtection().SetApplicationName("coffre");
        // The key ring in the database, each new key encrypted with a key derived from the provider's encryption key.
        services.AddSingleton(new KeyRingKey(encryption.Key));
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new OidcXmlRepository(sp.GetRequiredService<IServiceScopeFactory>());
            o.XmlEncryptor = new KeyRingEncryptor(sp.GetRequiredService<KeyRingKey>());
        }));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "coffre.csrf";
            o.FormFieldName = "__csrf";
        });
        services.AddAuthentication().AddCookie(LoginScheme, c =>
        {
            c.Cookie.Name = "coffre.signin";
            c.Cookie.HttpOnly = true;
            c.Cookie.SameSite = SameSiteMode.Lax;
            c.Cookie.Path = "/connect";
            c.ExpireTimeSpan = TimeSpan.FromMinutes(10);
            c.SlidingExpiration = false;
            c.LoginPath = "/connect/login";
        });

        services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<OidcDbContext>())
            .AddServer(o =>
            {
                o.SetIssuer(issuer);
                o.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .SetRevocationEndpointUris("connect/revoke");
                o.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().AllowClientCredentialsFlow();
                o.RequireProofKeyForCodeExchange();
                o.Configure(server => server.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));
                o.RegisterScopes(Scopes.OpenId, Scopes.OfflineAccess);
                // The connected apps' closed vocabulary (documents.read:{class} for every class of the matrix, profile.*, agenda.*):
                // each app's client may ask only the ones its catalogue entry declares (its scope permissions).
                o.RegisterScopes([.. Coffre.Domain.Apps.AppScopeVocabulary.All(Coffre.Domain.Access.HabilitationMatrix.Default.ClassCodes.Keys)]);
                o.SetAccessTokenLifetime(settings.AccessTokenLifetime);
                o.SetRefreshTokenLifetime(settings.RefreshTokenLifetime);
                // Rotation: every refresh answers a new refresh token; presenting a redeemed one again (no leeway)
                // revokes every token of its authorization (the family).
                o.SetRefreshTokenReuseLeeway(TimeSpan.Zero);
                o.AddSigningKey(signing);
                o.AddEncryptionKey(encryption);
                o.DisableAccessTokenEncryption();
                var aspNet = o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableStatusCodePagesIntegration();
                if (allowHttp)
                {
                    aspNet.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();
                o.UseAspNetCore();
                o.AddAudiences(Audience);
                // An ended session (revoked authorization) or a revoked family stops its access tokens at once.
                o.EnableAuthorizationEntryValidation();
                o.EnableTokenEntryValidation();
            });

        services.AddSingleton<IOidcDirectory, OidcDirectory>();
        services.AddHostedService<OidcStartup>();
        return issuer;
    }

    /// <summary>The authentication scheme validating the provider's own access tokens.</summary>
    public const string ValidationScheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;

    private sealed class DisabledOidcDirectory : IOidcDirectory
    {
        public bool Enabled => false;
        public Task<IReadOnlyList<PersonSession>> SessionsAsync(string vaultId, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<PersonSession>>([]);
        public Task<bool> EndSessionAsync(string vaultId, string sessionId, CancellationToken cancellationToken = default) => Task.FromResult(false);
        public Task<EstablishmentClientRegistration> RegisterEstablishmentClientAsync(string finess, string? displayName, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the OpenID provider is off (set Coffre:Oidc:Issuer)");
        public Task SaveAppClientAsync(AppClient app, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the OpenID provider is off (set Coffre:Oidc:Issuer): connected apps need it");
        public Task<long> RevokeAppAsync(string appId, string? vaultId, CancellationToken cancellationToken = default) => Task.FromResult(0L);
    }
}

/// <summary>At start: every process makes sure the patient app is registered as configured.</summary>
internal sealed class OidcStartup(IServiceProvider services, OidcSettings settings, ILogger<OidcStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = settings.PatientClientId,
            ClientType = ClientTypes.Public,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = "Coffre — application patient",
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession, Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code,
                Permissions.Prefixes.Scope + Scopes.OfflineAccess,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in settings.PatientRedirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }
        foreach (var uri in settings.PatientPostLogoutRedirectUris)
        {
            descriptor.PostLogoutRedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (await applications.FindByClientIdAsync(settings.PatientClientId, cancellationToken) is { } existing)
                {
                    await applications.UpdateAsync(existing, descriptor, cancellationToken);
                }
                else
                {
                    await applications.CreateAsync(descriptor, cancellationToken);
                }
                return;
            }
            catch (Exception e) when (attempt < 3 && e is DbUpdateException or OpenIddictExceptions.ConcurrencyException)
            {
                // Another process registered or updated it at the same moment: read it again.
                logger.LogInformation("patient app registration raced another process; retrying");
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
