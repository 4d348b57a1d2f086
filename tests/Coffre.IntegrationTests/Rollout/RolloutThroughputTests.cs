using System.Diagnostics;
using System.Text;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Infrastructure;
using Coffre.Storage.Content;
using Coffre.Storage.Rollout;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>
/// Informational throughput of the bulk paths at N = 100 000 on PostgreSQL + Azurite (no timed assertion: the macro
/// harness measures N = 10 M). Figures go to the test output and to COFFRE_TEST_REPORT.
/// </summary>
public sealed class RolloutThroughputTests(ITestOutputHelper output)
{
    private const int N = 100_000;

    [Fact]
    public async Task Import_and_issuance_of_100k_people()
    {
        var connectionString = await TestServices.NewMigratedDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var container = TestServices.NewContainer();
        var directory = Path.Combine(Path.GetTempPath(), "coffre-rollout-perf-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            var file = Path.Combine(directory, "population.csv");
            await using (var writer = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 20))
            {
                SyntheticPopulation.WriteCsv(writer, N);
            }
            var store = new PostgresRolloutStore(dataSource);
            var importer = new PopulationImporter(store, RolloutKit.NirHasher, new PopulationImportOptions { ChunkSize = 20_000, Today = RolloutKit.Today });

            var first = await importer.ImportAsync("perf-1", file, file + ".rejects");
            Assert.Equal((long)N, first.Accepted);
            var again = await importer.ImportAsync("perf-2", file, file + ".rejects2");
            Assert.Equal(N, await store.CountPeopleAsync());

            await store.CreateCampaignAsync(new NewCampaign("perf", "Throughput", null, "operator:perf"), DateTimeOffset.UtcNow);
            var issuance = new IssuanceService(store, new BlobContentStore(container), RolloutKit.Hasher(), RolloutKit.Cipher,
                new IssuanceOptions { ChunkSize = 25_000, Writers = 2 });
            var clock = Stopwatch.StartNew();
            var issued = await issuance.IssueAsync("perf");
            Assert.Equal(N, issued.Issued);

            var lines = new[]
            {
                $"rollout import N={N:N0}: {first.LinesPerSecond:N0} validated rows/s (first load, {first.Elapsed.TotalSeconds:N2} s incl. file SHA-256 and ANALYZE)",
                $"rollout re-import N={N:N0}: {again.LinesPerSecond:N0} rows/s (staging + upsert, rows unchanged)",
                $"rollout issuance N={N:N0}: {issued.CodesPerSecond:N0} codes/s durable ({issued.Emails:N0} emails, {issued.Letters:N0} letters in {issued.Batches} Azurite batches, {clock.Elapsed.TotalSeconds:N2} s incl. eligibility count)",
            };
            foreach (var line in lines)
            {
                output.WriteLine(line);
            }
            if (Environment.GetEnvironmentVariable("COFFRE_TEST_REPORT") is { Length: > 0 } report)
            {
                await File.AppendAllLinesAsync(report, lines);
            }
        }
        finally
        {
            await container.DeleteIfExistsAsync();
            Directory.Delete(directory, recursive: true);
        }
    }
}
