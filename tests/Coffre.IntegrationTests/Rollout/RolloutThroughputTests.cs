using System.Diagnostics;
using System.Text;
using Coffre.Adapters.Blob;
using Coffre.Adapters.Postgres;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Infrastructure;
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
        var directory = Path.Combine(Path.GetTempPath(), "coffre-rollout-perf-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            // Warm-up (JIT, pools) on its own database: 20 000 people imported and issued.
            await RunAsync(directory, 20_000, "warm");
            var lines = await RunAsync(directory, N, "perf");
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
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string[]> RunAsync(string directory, int count, string name)
    {
        var connectionString = await TestServices.NewMigratedDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var container = TestServices.NewContainer();
        try
        {
            var file = Path.Combine(directory, name + ".csv");
            await using (var writer = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 20))
            {
                SyntheticPopulation.WriteCsv(writer, count);
            }
            var parse = Stopwatch.StartNew();
            using (var reader = new StreamReader(file))
            {
                Assert.Equal(count, PopulationCsv.Read(reader, 0, RolloutKit.Today).Count(r => r.Record is not null));
            }
            parse.Stop();

            var store = new PostgresRolloutStore(dataSource);
            var importer = new PopulationImporter(store, RolloutKit.NirHasher, new PopulationImportOptions { ChunkSize = 25_000, Today = RolloutKit.Today });
            var first = await importer.ImportAsync(name + "-1", file, file + ".rejects");
            Assert.Equal(count, first.Accepted);
            Assert.Equal(ImportMode.InitialLoad, (await store.GetImportAsync(name + "-1"))!.Mode);
            var again = await importer.ImportAsync(name + "-2", file, file + ".rejects2");
            Assert.Equal(count, await store.CountPeopleAsync());

            await store.CreateCampaignAsync(new NewCampaign(name, "Throughput", null, "operator:perf"), DateTimeOffset.UtcNow);
            var issuance = new IssuanceService(store, new BlobContentStore(container), RolloutKit.Hasher(), RolloutKit.Cipher,
                new IssuanceOptions { ChunkSize = 25_000, Writers = 2, CountFirst = false });
            var issued = await issuance.IssueAsync(name);
            Assert.Equal(count, issued.Issued);

            // The client's own share of issuance, single-threaded: code, HMAC, AES-GCM payload.
            var produce = Stopwatch.StartNew();
            ProduceCodes(name, count);
            produce.Stop();

            return
            [
                $"rollout import N={count:N0}: {first.LinesPerSecond:N0} validated rows/s (initial load, {first.Elapsed.TotalSeconds:N2} s incl. file SHA-256, index builds, swap, ANALYZE); parse+validate alone {count / parse.Elapsed.TotalSeconds:N0} rows/s on one thread",
                $"rollout re-import N={count:N0}: {again.LinesPerSecond:N0} rows/s (upsert via staging, rows unchanged)",
                $"rollout issuance N={count:N0}: {issued.CodesPerSecond:N0} codes/s durable ({issued.Emails:N0} emails, {issued.Letters:N0} letters in {issued.Batches} Azurite batches); code+HMAC+AES-GCM alone {count / produce.Elapsed.TotalSeconds:N0}/s on one thread",
            ];
        }
        finally
        {
            await container.DeleteIfExistsAsync();
        }
    }

    private static void ProduceCodes(string campaign, int count)
    {
        var hasher = RolloutKit.Hasher();
        var payload = new System.Buffers.ArrayBufferWriter<byte>();
        var template = RolloutKit.Cipher.Template(campaign, DateTimeOffset.UtcNow);
        Span<char> code = stackalloc char[11];
        Span<byte> hash = stackalloc byte[32];
        for (var i = 0; i < count; i++)
        {
            ActivationCodes.Generate(code);
            hasher.Hash(code, hash);
            payload.ResetWrittenCount();
            RolloutKit.Cipher.WritePayload(payload, template, "v-0123456789abcdefghjk", code);
        }
    }
}
