using Coffre.IntegrationTests.Infrastructure;
using Xunit;

namespace Coffre.IntegrationTests.Cluster;

/// <summary>A wrong setting or an unreachable service: one line naming it, a non-zero exit, no stack trace.</summary>
public sealed class StartupFailureTests
{
    private static readonly string SigningKey = Convert.ToBase64String(new byte[32]);

    private static async Task<string> FailsWithOneLineAsync(string role, Dictionary<string, string> environment, int exitCode)
    {
        environment.TryAdd("Coffre__Auth__SigningKey", SigningKey);
        environment.TryAdd("Coffre__Identity__NirKey", SigningKey);
        environment.TryAdd("Coffre__Audit__HeadKey", SigningKey);
        environment.TryAdd("Coffre__Activation__CodeKeys__1", SigningKey);
        environment.TryAdd("Coffre__Activation__DeliveryKeys__1", SigningKey);
        var (code, output) = await CoffreProcess.RunToExitAsync(role, environment, TimeSpan.FromSeconds(90));
        Assert.True(code == exitCode, $"exit {code}, expected {exitCode}:\n{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var message = Assert.Single(lines, l => l.StartsWith("coffre: ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal));
        return message;
    }

    [Fact]
    public async Task Missing_postgres_connection_string_is_named()
    {
        var message = await FailsWithOneLineAsync("silo", new() { ["ConnectionStrings__Blob"] = TestServices.Blob }, 2);
        Assert.Contains("ConnectionStrings__Postgres", message);
    }

    [Fact]
    public async Task Malformed_postgres_connection_string_is_named()
    {
        var message = await FailsWithOneLineAsync("gateway", new() { ["ConnectionStrings__Postgres"] = "Hots=;;==nonsense" }, 2);
        Assert.Contains("ConnectionStrings:Postgres", message);
    }

    [Fact]
    public async Task Unreachable_postgres_is_named()
    {
        var closed = CoffreProcess.FreePort();
        var message = await FailsWithOneLineAsync("silo", new()
        {
            ["ConnectionStrings__Postgres"] = $"Host=127.0.0.1;Port={closed};Username=postgres;Database=coffre;Timeout=3",
            ["ConnectionStrings__Blob"] = TestServices.Blob,
        }, 3);
        Assert.Contains($"127.0.0.1:{closed}", message);
        Assert.Contains("unreachable", message);
    }

    [Fact]
    public async Task Schema_at_the_wrong_version_is_named()
    {
        var message = await FailsWithOneLineAsync("silo", new()
        {
            ["ConnectionStrings__Postgres"] = await TestServices.NewDatabaseAsync(),
            ["ConnectionStrings__Blob"] = TestServices.Blob,
        }, 4);
        Assert.Contains("coffre migrate", message);
    }

    [Fact]
    public async Task Malformed_blob_connection_string_is_named()
    {
        var message = await FailsWithOneLineAsync("silo", new()
        {
            ["ConnectionStrings__Postgres"] = await TestServices.NewMigratedDatabaseAsync(),
            ["ConnectionStrings__Blob"] = "not-a-connection-string",
        }, 2);
        Assert.Contains("ConnectionStrings__Blob", message);
    }

    [Fact]
    public async Task Unreachable_blob_storage_is_named()
    {
        var closed = CoffreProcess.FreePort();
        var message = await FailsWithOneLineAsync("silo", new()
        {
            ["ConnectionStrings__Postgres"] = await TestServices.NewMigratedDatabaseAsync(),
            ["ConnectionStrings__Blob"] = TestServices.Blob.Replace(new Uri(TestServices.Blob.Split("BlobEndpoint=")[1].TrimEnd(';')).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), closed.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
        }, 3);
        Assert.Contains("Blob storage", message);
    }

    [Fact]
    public async Task Missing_signing_key_in_a_cluster_is_named()
    {
        var (code, output) = await CoffreProcess.RunToExitAsync("silo", new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = await TestServices.NewMigratedDatabaseAsync(),
            ["ConnectionStrings__Blob"] = TestServices.Blob,
            ["Coffre__Identity__NirKey"] = SigningKey,
            ["Coffre__Audit__HeadKey"] = SigningKey,
            ["Coffre__Activation__CodeKeys__1"] = SigningKey,
            ["Coffre__Activation__DeliveryKeys__1"] = SigningKey,
        }, TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        Assert.Contains("coffre: setting Coffre:Auth:Authority or Coffre:Auth:SigningKey", output);
    }

    [Fact]
    public async Task Missing_nir_pepper_in_a_cluster_is_named()
    {
        var message = await FailsWithOneLineAsync("silo", new()
        {
            ["ConnectionStrings__Postgres"] = await TestServices.NewMigratedDatabaseAsync(),
            ["ConnectionStrings__Blob"] = TestServices.Blob,
            ["Coffre__Identity__NirKey"] = "",
        }, 2);
        Assert.Contains("Coffre__Identity__NirKey", message);
    }

    [Fact]
    public async Task Migrate_command_reports_unreachable_postgres()
    {
        var closed = CoffreProcess.FreePort();
        var message = await FailsWithOneLineAsync("migrate", new()
        {
            ["ConnectionStrings__Postgres"] = $"Host=127.0.0.1;Port={closed};Username=postgres;Database=coffre;Timeout=3",
        }, 3);
        Assert.Contains($"127.0.0.1:{closed}", message);
    }
}
