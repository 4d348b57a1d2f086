using System.Security.Cryptography;
using System.Text.Json;
using Coffre.Domain.Identifiers;
using Coffre.GraphQL.Authorization;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Coffre.Silo.Oidc;

/// <summary>Sessions (OpenIddict authorizations) and establishment clients (OpenIddict applications) for the GraphQL API.</summary>
public sealed class OidcDirectory(IServiceScopeFactory scopes, OidcSettings settings, IConfiguration configuration, Coffre.Silo.Hosting.CoffreOptions options) : IOidcDirectory
{
    public bool Enabled => true;

    public async Task<IReadOnlyList<PersonSession>> SessionsAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var now = DateTimeOffset.UtcNow;
        var sessions = new List<PersonSession>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(vaultId, cancellationToken))
        {
            if (await authorizations.GetStatusAsync(authorization, cancellationToken) != Statuses.Valid)
            {
                continue;
            }
            var id = (await authorizations.GetIdAsync(authorization, cancellationToken))!;
            DateTimeOffset? lastUsed = null;
            var alive = false;
            await foreach (var token in tokens.FindByAuthorizationIdAsync(id, cancellationToken))
            {
                var created = await tokens.GetCreationDateAsync(token, cancellationToken);
                if (created is { } c && (lastUsed is null || c > lastUsed))
                {
                    lastUsed = c;
                }
                if (await tokens.GetStatusAsync(token, cancellationToken) == Statuses.Valid)
                {
                    var expires = await tokens.GetExpirationDateAsync(token, cancellationToken);
                    alive |= expires is null || expires > now;
                }
            }
            if (!alive)
            {
                continue;
            }
            var applicationId = await authorizations.GetApplicationIdAsync(authorization, cancellationToken);
            var client = applicationId is not null && await applications.FindByIdAsync(applicationId, cancellationToken) is { } application
                ? await applications.GetClientIdAsync(application, cancellationToken) ?? "?"
                : "?";
            var createdAt = await authorizations.GetCreationDateAsync(authorization, cancellationToken) ?? lastUsed ?? now;
            sessions.Add(new PersonSession(id, client, createdAt, lastUsed));
        }
        return sessions.OrderByDescending(s => s.CreatedAt).ToList();
    }

    public async Task<bool> EndSessionAsync(string vaultId, string sessionId, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var authorization = await authorizations.FindByIdAsync(sessionId, cancellationToken);
        if (authorization is null || await authorizations.GetSubjectAsync(authorization, cancellationToken) != vaultId)
        {
            return false;
        }
        await Revoke(authorizations, tokens, authorization, sessionId, cancellationToken);
        return true;
    }

    /// <summary>Revokes an authorization and every token issued under it.</summary>
    internal static async Task Revoke(IOpenIddictAuthorizationManager authorizations, IOpenIddictTokenManager tokens, object authorization, string id, CancellationToken cancellationToken)
    {
        await authorizations.TryRevokeAsync(authorization, cancellationToken);
        await tokens.RevokeByAuthorizationIdAsync(id, cancellationToken);
    }

    public async Task<EstablishmentClientRegistration> RegisterEstablishmentClientAsync(string finess, string? displayName, CancellationToken cancellationToken = default)
    {
        if (!Finess.IsValid(finess))
        {
            throw new ArgumentException("not a valid FINESS", nameof(finess));
        }
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var clientId = $"finess-{finess}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? $"FINESS {finess}" : displayName.Trim(),
            Permissions = { Permissions.Endpoints.Token, Permissions.Endpoints.Revocation, Permissions.GrantTypes.ClientCredentials },
        };
        descriptor.Properties[OidcHosting.FinessProperty] = JsonSerializer.SerializeToElement(finess);
        await applications.CreateAsync(descriptor, cancellationToken);
        var issuer = settings.ResolveIssuer(configuration, options);
        return new EstablishmentClientRegistration(clientId, secret, finess, new Uri(issuer, "connect/token").AbsoluteUri);
    }

    public async Task SaveAppClientAsync(AppClient app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = app.AppId,
            ClientType = ClientTypes.Public,
            ConsentType = ConsentTypes.Explicit,
            DisplayName = app.Name,
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code,
                Permissions.Prefixes.Scope + Scopes.OfflineAccess,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var name in app.Scopes)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + name);
        }
        foreach (var uri in app.RedirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }
        if (await applications.FindByClientIdAsync(app.AppId, cancellationToken) is { } existing)
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
        else
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
    }

    public async Task<long> RevokeAppAsync(string appId, string? vaultId, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        if (await applications.FindByClientIdAsync(appId, cancellationToken) is not { } application
            || await applications.GetIdAsync(application, cancellationToken) is not { } id)
        {
            return 0;
        }
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        if (vaultId is null)
        {
            var revoked = await authorizations.RevokeByApplicationIdAsync(id, cancellationToken);
            await tokens.RevokeByApplicationIdAsync(id, cancellationToken);
            return revoked;
        }
        var count = await authorizations.RevokeAsync(vaultId, id, null, null, cancellationToken);
        await tokens.RevokeAsync(vaultId, id, null, null, cancellationToken);
        return count;
    }
}
