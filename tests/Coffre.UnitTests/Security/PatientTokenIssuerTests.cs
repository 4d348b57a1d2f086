using Coffre.GraphQL.Authorization;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Coffre.UnitTests.Security;

public sealed class PatientTokenIssuerTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "coffre-token-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public void Tokens_are_the_persons_and_validate_with_the_configured_key()
    {
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var configuration = Configuration(("Coffre:Auth:SigningKey", key));
        var settings = AuthSettings.Read(configuration);
        var issuer = new PatientTokenIssuer(configuration, new CoffreOptions { DataPath = _data, Role = CoffreRole.Silo });

        var first = issuer.IssueFor("v-first", TimeSpan.FromHours(1))!;
        var second = issuer.IssueFor("v-second", TimeSpan.FromHours(1))!;

        var signingKey = settings.ResolveSigningKey(new CoffreOptions { Role = CoffreRole.Silo })!;
        var principal = TokenIssuer.Validate(settings, signingKey, first);
        Assert.Equal("v-first", principal?.FindFirst("sub")?.Value);
        Assert.Equal("patient", principal?.FindFirst(CallerFactory.RoleClaim)?.Value);
        Assert.Equal("v-second", TokenIssuer.Validate(settings, signingKey, second)?.FindFirst("sub")?.Value);
    }

    [Fact]
    public void The_embedded_default_signs_with_its_key_file_read_once()
    {
        var configuration = Configuration();
        var options = new CoffreOptions { DataPath = _data, Role = CoffreRole.Embedded };
        var issuer = new PatientTokenIssuer(configuration, options);
        var token = issuer.IssueFor("v-first", TimeSpan.FromHours(1))!;
        var settings = AuthSettings.Read(configuration);
        var fileKey = settings.ResolveSigningKey(options)!;

        // The key file is read at the first token only: later tokens are signed with the same key without it.
        File.Delete(Path.Combine(_data, "dev-signing-key"));
        var later = issuer.IssueFor("v-later", TimeSpan.FromHours(1))!;

        Assert.Equal("v-first", TokenIssuer.Validate(settings, fileKey, token)?.FindFirst("sub")?.Value);
        Assert.Equal("v-later", TokenIssuer.Validate(settings, fileKey, later)?.FindFirst("sub")?.Value);
    }

    [Fact]
    public void No_token_where_only_an_authority_issues_them()
    {
        var issuer = new PatientTokenIssuer(Configuration(("Coffre:Auth:Authority", "https://idp.example")),
            new CoffreOptions { DataPath = _data, Role = CoffreRole.Silo });
        Assert.Null(issuer.IssueFor("v-first", TimeSpan.FromHours(1)));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
