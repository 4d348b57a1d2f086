using System.Text;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Cluster;
using Xunit;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// A national rollout in miniature, driven as an operator drives it: one <c>coffre silo</c> process (no gateway) on a
/// fresh PostgreSQL database and Blob container, then through the operator CLI processes
/// <c>generate-population</c> (1 000 synthetic people), <c>import</c>, <c>campaign create</c>, an <c>opposition</c>
/// by phone before issuance, and <c>campaign issue</c>. The silo allows 3 attempts per code and a per-client rate
/// limit high enough for the whole class (every request comes from 127.0.0.1).
/// </summary>
public sealed class NationalRolloutFixture : IAsyncLifetime
{
    public const int Size = 1_000;
    public const string CampaignId = "e2e-national";

    private readonly StringBuilder _log = new();

    internal LocalCluster Cluster { get; private set; } = null!;
    internal RolloutDatabase Db { get; private set; } = null!;
    internal Population People { get; } = new(Size);
    internal RawGraphQL Http { get; private set; } = null!;

    /// <summary>The same API served by a gateway process (an Orleans client): its activations reach the silo as grain calls.</summary>
    internal RawGraphQL GatewayHttp { get; private set; } = null!;
    internal IssuanceService Reissue { get; private set; } = null!;

    /// <summary>The environment of an operator command against this rollout.</summary>
    internal Dictionary<string, string> Cli { get; private set; } = null!;

    /// <summary>The person an operator recorded an opposition for, by phone, before issuance.</summary>
    internal int OpposedBeforeIssuance { get; private set; }
    internal CliResult OppositionCommand { get; private set; } = null!;
    internal CliResult IssueCommand { get; private set; } = null!;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        Cluster = await LocalCluster.StartAsync(silos: 1, gateway: true, settings: E2e.SiloSettings(maxAttempts: 3));
        Db = new RolloutDatabase(Cluster.ConnectionString, Cluster.BlobContainer);
        Http = new RawGraphQL(Cluster.Silos[0].BaseAddress);
        GatewayHttp = new RawGraphQL(Cluster.Gateway!.BaseAddress);
        Reissue = E2e.Issuance(Db.Store, Db.Content);
        var cli = Cli = E2e.CliEnvironment(Cluster.ConnectionString, Cluster.BlobContainer);
        // The opposition command reaches the cluster as an Orleans client to close a vault in use.
        cli["Coffre__Cluster__ClusterId"] = Cluster.ClusterId;
        cli["Coffre__Cluster__ServiceId"] = Cluster.ClusterId;
        var directory = E2e.TempDirectory("national");
        var file = Path.Combine(directory, "population.csv");
        var minute = TimeSpan.FromMinutes(2);

        await Step(cli, minute, "generate-population", "--count", Size.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", file);
        var import = await Step(cli, minute, "import", "--file", file, "--import-id", "e2e-national-2026", "--chunk-size", "400");
        if (import.Json["accepted"]?.GetValue<long>() != Size)
        {
            throw new InvalidOperationException($"import did not accept {Size} people:\n{import}");
        }
        await Step(cli, minute, "campaign", "create", "--id", CampaignId, "--name", "Rollout end to end", "--by", "operator:e2e");

        OpposedBeforeIssuance = People.TakeAdults(1)[0];
        OppositionCommand = await Step(cli, minute, "opposition", "--nir", People.People[OpposedBeforeIssuance].Nir, "--by", "operator:phone-e2e");
        IssueCommand = await Step(cli, minute, "campaign", "issue", "--id", CampaignId, "--chunk-size", "300");
        Directory.Delete(directory, recursive: true);
    }

    private async Task<CliResult> Step(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var result = await CoffreCli.RunAsync(environment, timeout, args);
        lock (_log)
        {
            _log.AppendLine($"$ coffre {string.Join(' ', args)}\n{result}");
        }
        return result.ExitCode == 0 ? result : throw new InvalidOperationException($"coffre {string.Join(' ', args)} failed: {result}");
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Db is not null)
        {
            await Db.DisposeAsync();
        }
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }

    internal PersonRecord Person(int index) => People.People[index];

    internal string VaultId(int index) => People.VaultIds[index];
}
