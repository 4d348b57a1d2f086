namespace Coffre.GraphQL.Authorization;

/// <summary>A person's sign-in session at Coffre's OpenID provider: one authorization and the tokens issued under it.</summary>
public sealed record PersonSession(string Id, string Client, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>An establishment system's OAuth client (client credentials), registered by an operator for one FINESS.</summary>
public sealed record EstablishmentClientRegistration(string ClientId, string ClientSecret, string Finess, string TokenEndpoint);

/// <summary>A catalogue app as an OAuth client: public (no secret), PKCE, authorization code + refresh token, its redirect URIs and scopes.</summary>
public sealed record AppClient(string AppId, string Name, IReadOnlyList<string> Scopes, IReadOnlyList<string> RedirectUris);

/// <summary>What the API asks of the host's OpenID provider (null implementation where the provider is off).</summary>
public interface IOidcDirectory
{
    bool Enabled { get; }

    /// <summary>The person's open sessions (valid authorizations that still hold a valid token), newest first.</summary>
    Task<IReadOnlyList<PersonSession>> SessionsAsync(string vaultId, CancellationToken cancellationToken = default);

    /// <summary>Ends one of the person's sessions: the authorization and every token under it are revoked at once. False when it is not theirs.</summary>
    Task<bool> EndSessionAsync(string vaultId, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Registers a confidential client acting for <paramref name="finess"/> only; the secret is shown once.</summary>
    Task<EstablishmentClientRegistration> RegisterEstablishmentClientAsync(string finess, string? displayName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or updates the app's OAuth client: public, PKCE required, authorization code and refresh token, its redirect
    /// URIs, scope permissions for its scopes and <c>offline_access</c> (<c>openid</c> needs none), explicit consent.
    /// </summary>
    Task SaveAppClientAsync(AppClient app, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes at once every authorization and token of the app — of one person (<paramref name="vaultId"/>: they
    /// disconnected it) or of everyone (null: the app was suspended). Returns how many authorizations were revoked.
    /// </summary>
    Task<long> RevokeAppAsync(string appId, string? vaultId, CancellationToken cancellationToken = default);
}
