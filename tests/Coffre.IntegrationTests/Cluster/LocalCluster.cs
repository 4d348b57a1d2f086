using System.Security.Cryptography;
using Coffre.IntegrationTests.Infrastructure;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Microsoft.IdentityModel.Tokens;

namespace Coffre.IntegrationTests.Cluster;

/// <summary>
/// Three silo processes and one gateway process on loopback, on a fresh PostgreSQL database and Blob container:
/// the deployment an operator runs, in miniature.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);

    private LocalCluster(string connectionString)
    {
        ConnectionString = connectionString;
        ClusterId = "c" + Guid.NewGuid().ToString("N")[..12];
        _environment = new()
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["ConnectionStrings__Blob"] = TestServices.Blob,
            ["Coffre__BlobContainer"] = "t-" + ClusterId,
            ["Coffre__Cluster__ClusterId"] = ClusterId,
            ["Coffre__Cluster__ServiceId"] = ClusterId,
            ["Coffre__Auth__SigningKey"] = Convert.ToBase64String(_signingKey),
            ["Coffre__Identity__NirKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Coffre__Audit__HeadKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Coffre__Activation__CodeKeys__1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Coffre__Activation__DeliveryKeys__1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
    }

    public string ConnectionString { get; }
    public string ClusterId { get; }
    public List<CoffreProcess> Silos { get; } = [];
    public List<(int SiloPort, int GatewayPort, int HttpPort)> SiloPorts { get; } = [];
    public CoffreProcess? Gateway { get; private set; }

    public static async Task<LocalCluster> StartAsync(int silos = 3, bool gateway = true, IReadOnlyDictionary<string, string>? settings = null)
    {
        var cluster = new LocalCluster(await TestServices.NewMigratedDatabaseAsync());
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            cluster._environment[key] = value;
        }
        for (var i = 0; i < silos; i++)
        {
            cluster.SiloPorts.Add((CoffreProcess.FreePort(), CoffreProcess.FreePort(), CoffreProcess.FreePort()));
            cluster.Silos.Add(null!);
            await cluster.StartSiloAsync(i);
        }
        if (gateway)
        {
            cluster.Gateway = CoffreProcess.Start("gateway", cluster._environment);
            await cluster.Gateway.WaitReadyAsync(TimeSpan.FromSeconds(90));
        }
        return cluster;
    }

    /// <summary>(Re)starts silo <paramref name="index"/> on its own ports and waits until it is ready.</summary>
    public async Task StartSiloAsync(int index)
    {
        var (siloPort, gatewayPort, httpPort) = SiloPorts[index];
        var environment = new Dictionary<string, string>(_environment)
        {
            ["Coffre__Cluster__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Coffre__Cluster__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        Silos[index] = CoffreProcess.Start("silo", environment, httpPort);
        await Silos[index].WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    public string OperatorToken() => Token("operator", "op-test");

    /// <summary>A token as the <c>token</c> verb mints it; an establishment system's (<c>establishment</c>) needs <paramref name="finess"/>.</summary>
    public string Token(string role, string subject, string? rpps = null, string? profession = null, string? finess = null)
    {
        var settings = new AuthSettings { SigningKey = Convert.ToBase64String(_signingKey) };
        var key = settings.ResolveSigningKey(new CoffreOptions { Role = CoffreRole.Silo })!;
        // Operators get every role, as the `token` verb gives by default.
        return TokenIssuer.Mint(settings, key, role, subject, rpps, TimeSpan.FromHours(1), profession, finess, operatorRoles: role == "operator" ? "support rollout directory-admin" : null);
    }

    public string BlobContainer => _environment["Coffre__BlobContainer"];

    /// <summary>The settings every process of this cluster gets (for a one-shot verb run against it).</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>Membership rows of this cluster by status (3 Active, 6 Dead).</summary>
    public Task<long> MembersWithStatusAsync(int status) =>
        TestServices.ScalarAsync<long>(ConnectionString, $"SELECT count(*) FROM orleans_membership WHERE deploymentid = '{ClusterId}' AND status = {status}");

    public string Diagnostics() =>
        string.Join("\n", Silos.Select((s, i) => $"--- silo {i} ---\n{s?.Tail(15)}")) + $"\n--- gateway ---\n{Gateway?.Tail(15)}";

    public async ValueTask DisposeAsync()
    {
        if (Gateway is { } gateway)
        {
            await gateway.DisposeAsync();
        }
        foreach (var silo in Silos.Where(s => s is not null))
        {
            await silo.DisposeAsync();
        }
    }
}
