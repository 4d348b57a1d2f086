using System.Text.Json.Nodes;
using Coffre.Application.Rollout;
using Coffre.Silo.Commands;
using Coffre.Silo.Hosting;
using Xunit;

namespace Coffre.UnitTests.Commands;

/// <summary>The verbs' configuration (the settings file under the environment and arguments) and their one JSON shape.</summary>
public sealed class CommandHostTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "coffre-settings-" + Guid.NewGuid().ToString("N")[..8]);

    public CommandHostTests()
    {
        Directory.CreateDirectory(_folder);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_folder, "coffre.settings.json");
        File.WriteAllText(path, json);
        return path;
    }

    private const string Settings = """
        {
          "ConnectionStrings": { "Postgres": "Host=from-file;Database=coffre" },
          "Coffre": { "BlobContainer": "from-file", "Cluster": { "ClusterId": "local-file" } }
        }
        """;

    [Fact]
    public void A_verb_reads_its_connection_string_and_coffre_settings_from_the_settings_file()
    {
        var path = Write(Settings);
        var builder = CommandHost.CreateBuilder(["--id", "c1", "--settings", path], CoffreRole.Silo, out var options);
        Assert.Equal("Host=from-file;Database=coffre", builder.Configuration[Silo.Hosting.Settings.PostgresKey]);
        Assert.Equal("from-file", options.BlobContainer);
        Assert.Equal("local-file", options.Cluster.ClusterId);
        Assert.Equal(CoffreRole.Silo, options.Role);
        Assert.Equal("c1", builder.Configuration["id"]);

        var equals = CommandHost.CreateBuilder([$"--settings={path}"], CoffreRole.Silo, out _);
        Assert.Equal("Host=from-file;Database=coffre", equals.Configuration[Silo.Hosting.Settings.PostgresKey]);
    }

    [Fact]
    public void Arguments_override_the_settings_file()
    {
        var path = Write(Settings);
        var builder = CommandHost.CreateBuilder(["--settings", path, "--ConnectionStrings:Postgres=Host=from-args", "--Coffre:BlobContainer=from-args"], CoffreRole.Silo, out var options);
        Assert.Equal("Host=from-args", builder.Configuration[Silo.Hosting.Settings.PostgresKey]);
        Assert.Equal("from-args", options.BlobContainer);
        Assert.Equal("local-file", options.Cluster.ClusterId);
    }

    [Fact]
    public void A_missing_or_malformed_settings_file_is_named()
    {
        var missing = Path.Combine(_folder, "nope.json");
        var e = Assert.Throws<StartupException>(() => CommandHost.CreateBuilder(["--settings", missing], CoffreRole.Silo, out _));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.ExitCode);

        var bad = Write("{ \"ConnectionStrings\": ");
        e = Assert.Throws<StartupException>(() => CommandHost.CreateBuilder(["--settings", bad], CoffreRole.Silo, out _));
        Assert.Contains(bad, e.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<StartupException>(() => CommandHost.CreateBuilder(["--settings"], CoffreRole.Silo, out _));
        Assert.Contains("--settings FILE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_says_statuses_as_the_schema_words_and_durations_in_iso_8601()
    {
        var campaign = new Campaign("c1", "C 1", null, DateTimeOffset.Parse("2026-01-02T03:04:05+00:00", System.Globalization.CultureInfo.InvariantCulture),
            "op", DateTimeOffset.Parse("2026-02-13T03:04:05+00:00", System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromDays(42), CampaignStatus.Issuing);
        var json = JsonNode.Parse(CommandOutput.Serialize(new { campaign, elapsed = TimeSpan.FromSeconds(90), none = (TimeSpan?)null, eta = (TimeSpan?)TimeSpan.FromMilliseconds(1500) }))!;
        Assert.Equal("ISSUING", json["campaign"]!["status"]!.GetValue<string>());
        Assert.Equal("P42D", json["campaign"]!["codeValidity"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05+00:00", json["campaign"]!["createdAt"]!.GetValue<string>());
        Assert.Equal("PT1M30S", json["elapsed"]!.GetValue<string>());
        Assert.Equal("PT1.5S", json["eta"]!.GetValue<string>());
        Assert.Null(json["none"]);
        Assert.Equal(TimeSpan.FromSeconds(90), System.Text.Json.JsonSerializer.Deserialize<TimeSpan>("\"PT1M30S\"", CommandOutput.Json));
    }
}
