using BenchmarkDotNet.Attributes;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Coffre.Benchmarks.Security;

/// <summary>
/// The person's token that every successful activation mints (<see cref="PatientTokenIssuer.IssueFor"/>), with the
/// signing key from the setting (as the macro harness's silo) or the embedded default's key file. Baseline: the former
/// issuer, which resolved the key at each token (decoded the setting or read the file, hashed the key for its id) and
/// minted with a new handler.
/// </summary>
[MemoryDiagnoser]
public class PatientTokenBenchmarks
{
    private const string VaultId = "v-7f3a9c0e5d2b4a61";
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private string _data = null!;
    private AuthSettings _settings = null!;
    private CoffreOptions _options = null!;
    private PatientTokenIssuer _issuer = null!;

    [Params("setting", "key-file")]
    public string Key { get; set; } = "setting";

    [GlobalSetup]
    public void Setup()
    {
        _data = Path.Combine(Path.GetTempPath(), "coffre-token-bench-" + Guid.NewGuid().ToString("N"));
        _options = new CoffreOptions { DataPath = _data, Role = CoffreRole.Embedded };
        var values = new Dictionary<string, string?>();
        if (Key == "setting")
        {
            values["Coffre:Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        _settings = AuthSettings.Read(configuration);
        _issuer = new PatientTokenIssuer(configuration, _options);
        var key = _settings.ResolveSigningKey(_options)!;
        foreach (var token in new[] { Former(), _issuer.IssueFor(VaultId, Lifetime)! })
        {
            if (TokenIssuer.Validate(_settings, key, token)?.FindFirst("sub")?.Value != VaultId)
            {
                throw new InvalidOperationException("a token does not validate with the key");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Benchmark(Baseline = true)]
    public string Former()
    {
        var key = _settings.ResolveSigningKey(_options)!;
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _settings.Issuer,
            Audience = _settings.Audience,
            Claims = new Dictionary<string, object> { ["sub"] = VaultId, [Coffre.GraphQL.Authorization.CallerFactory.RoleClaim] = "patient" },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }

    [Benchmark]
    public string? KeyResolvedOnce() => _issuer.IssueFor(VaultId, Lifetime);
}
