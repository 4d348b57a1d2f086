using Coffre.GraphQL.Authorization;
using Coffre.Silo.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Coffre.Silo.Security;

/// <summary>
/// Mints a person's token with the local signing key; null where only an OIDC authority issues tokens. The key is
/// resolved once, at the first token: every activation mints one, and resolving it decoded the setting (or read the
/// embedded default's key file) and hashed the key again each time.
/// </summary>
public sealed class PatientTokenIssuer : IPatientTokenIssuer
{
    private readonly AuthSettings _settings;
    private readonly Lazy<SymmetricSecurityKey?> _key;

    public PatientTokenIssuer(IConfiguration configuration, CoffreOptions options)
    {
        _settings = AuthSettings.Read(configuration);
        _key = new Lazy<SymmetricSecurityKey?>(() => _settings.ResolveSigningKey(options));
    }

    public string? IssueFor(string vaultId, TimeSpan lifetime) =>
        _key.Value is { } key ? TokenIssuer.Mint(_settings, key, "patient", vaultId, null, lifetime) : null;
}
