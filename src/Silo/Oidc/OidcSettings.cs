using Coffre.Silo.Hosting;

namespace Coffre.Silo.Oidc;

/// <summary>
/// Configuration section <c>Coffre:Oidc</c>: Coffre as the OpenID provider of people (authorization code + PKCE) and
/// of establishment systems (client credentials). On in the embedded default (issuer = the first listening URL,
/// keys created under the data folder, store = SQLite file there); in a cluster on once <see cref="Issuer"/> is set,
/// and then <see cref="SigningKey"/> and <see cref="EncryptionKey"/> must be set too (store = PostgreSQL, 0009).
/// </summary>
public sealed class OidcSettings
{
    public const string Section = "Coffre:Oidc";

    /// <summary>Turns the provider off (embedded: on unless false; cluster: on when <see cref="Issuer"/> is set).</summary>
    public bool? Enabled { get; set; }

    /// <summary>The provider's public base URL (the <c>iss</c> of its tokens), e.g. <c>https://coffre.example.fr/</c>.</summary>
    public string? Issuer { get; set; }

    /// <summary>RSA private key (PEM, or base64 of the PEM) signing identity and access tokens.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Symmetric key (base64, 32 bytes) encrypting authorization codes and refresh tokens.</summary>
    public string? EncryptionKey { get; set; }

    /// <summary>Client id of the patient app (a public client: PKCE, no secret).</summary>
    public string PatientClientId { get; set; } = "coffre-patient-app";

    /// <summary>Redirect URIs allowed for the patient app.</summary>
    public List<string> PatientRedirectUris { get; set; } = [];

    /// <summary>Where the patient app may ask to land after sign-out.</summary>
    public List<string> PatientPostLogoutRedirectUris { get; set; } = [];

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);
    public TimeSpan EstablishmentTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Allow plain HTTP (the embedded default and tests on loopback); a cluster serves HTTPS behind its ingress.</summary>
    public bool? AllowHttp { get; set; }

    public static OidcSettings Read(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<OidcSettings>() ?? new OidcSettings();

    public bool IsEnabled(CoffreOptions options) =>
        Enabled ?? (options.Role == CoffreRole.Embedded || !string.IsNullOrEmpty(Issuer));

    /// <summary>The issuer: the setting, or in the embedded default the first URL it listens on.</summary>
    public Uri ResolveIssuer(IConfiguration configuration, CoffreOptions options)
    {
        var value = Issuer;
        if (string.IsNullOrEmpty(value) && options.Role == CoffreRole.Embedded)
        {
            value = (configuration["Urls"] ?? configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:5080").Split(';')[0];
        }
        if (string.IsNullOrEmpty(value) || !Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri))
        {
            throw new StartupException($"setting {Section}:Issuer ({Settings.EnvName(Section + ":Issuer")}) is missing or not an absolute URL");
        }
        return uri;
    }
}
