using Coffre.GraphQL.Authorization;
using Coffre.Silo.Hosting;

namespace Coffre.Silo.Security;

/// <summary>Mints a person's token with the local signing key; null where only an OIDC authority issues tokens.</summary>
public sealed class PatientTokenIssuer(IConfiguration configuration, CoffreOptions options) : IPatientTokenIssuer
{
    private readonly AuthSettings _settings = AuthSettings.Read(configuration);

    public string? IssueFor(string vaultId, TimeSpan lifetime) =>
        _settings.ResolveSigningKey(options) is { } key ? TokenIssuer.Mint(_settings, key, "patient", vaultId, null, lifetime) : null;
}
