using System.Text.Json;
using Coffre.IntegrationTests.Infrastructure;
using Coffre.IntegrationTests.RolloutEndToEnd;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Cluster;

/// <summary>
/// Operator commands as real processes, given the cluster's settings in one file (as deploy/local/up.sh writes it)
/// by <c>--settings</c> or <c>COFFRE_SETTINGS</c>, with no setting in the environment; the environment overrides it.
/// </summary>
public sealed class SettingsFileTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _folder = E2e.TempDirectory("settings");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    private string WriteSettings(string connectionString, string container)
    {
        var path = Path.Combine(_folder, "coffre.settings.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["ConnectionStrings"] = new Dictionary<string, string> { ["Postgres"] = connectionString, ["Blob"] = TestServices.Blob },
            ["Coffre"] = new Dictionary<string, object>
            {
                ["BlobContainer"] = container,
                ["Identity"] = new Dictionary<string, string> { ["NirKey"] = E2e.NirKey },
                ["Audit"] = new Dictionary<string, string> { ["HeadKey"] = E2e.AuditHeadKey },
                ["Activation"] = new Dictionary<string, object>
                {
                    ["CodeKeys"] = new Dictionary<string, string> { ["1"] = E2e.CodeKey1 },
                    ["DeliveryKeys"] = new Dictionary<string, string> { ["1"] = E2e.DeliveryKey1 },
                },
            },
        }));
        return path;
    }

    private async Task<CliResult> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        var result = await CoffreCli.RunAsync(environment, TimeSpan.FromMinutes(2), args);
        output.WriteLine($"$ coffre {string.Join(' ', args)}\n{result}");
        return result;
    }

    [Fact]
    public async Task Migrate_reads_its_connection_string_from_the_settings_file()
    {
        var connectionString = await TestServices.NewDatabaseAsync();
        var settings = WriteSettings(connectionString, E2e.NewContainerName());
        var database = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database;

        var migrate = await RunAsync([], "migrate", "--settings", settings);
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains($"/{database})", migrate.Stdout, StringComparison.Ordinal);
        Assert.True(await TestServices.ScalarAsync<int>(connectionString, "SELECT count(*)::int FROM coffre_schema_version") > 0);
    }

    [Fact]
    public async Task Campaign_commands_read_every_setting_from_COFFRE_SETTINGS_and_the_environment_overrides_it()
    {
        var settings = WriteSettings(await TestServices.NewMigratedDatabaseAsync(), E2e.NewContainerName());
        var environment = new Dictionary<string, string> { ["COFFRE_SETTINGS"] = settings };

        var create = await RunAsync(environment, "campaign", "create", "--id", "from-file", "--validity-weeks", "2");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Equal("CREATED", create.Json["status"]!.GetValue<string>());
        Assert.Equal("P14D", create.Json["codeValidity"]!.GetValue<string>());

        var status = await RunAsync(environment, "campaign", "status", "--id", "from-file");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("from-file", status.Json["campaign"]!["campaignId"]!.GetValue<string>());

        environment["ConnectionStrings__Postgres"] = $"Host=127.0.0.1;Port={CoffreProcess.FreePort()};Username=postgres;Database=coffre;Timeout=3";
        var overridden = await RunAsync(environment, "campaign", "status", "--id", "from-file");
        Assert.True(overridden.ExitCode == 3, overridden.ToString());
        Assert.Contains("unreachable", overridden.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_settings_file_is_named_in_one_line()
    {
        var missing = Path.Combine(_folder, "missing.json");
        var result = await RunAsync([], "campaign", "status", "--id", "x", "--settings", missing);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"coffre: settings file {missing} (--settings or COFFRE_SETTINGS) does not exist", result.Stderr.Trim());
    }
}
