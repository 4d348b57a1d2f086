using System.Text.Json.Nodes;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>Code key rotation across a silo restart, with codes issued before and after it.</summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class KeyRotationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Codes_issued_under_key_1_still_activate_after_a_restart_with_key_2_current_and_new_codes_use_key_2()
    {
        const int FirstWave = 60;
        const int SecondWave = 20;
        var directory = E2e.TempDirectory("rotation");
        LocalCluster? before = null;
        LocalCluster? after = null;
        try
        {
            // Silo with code key 1 only; the first wave is issued under it (library, as the CLI does).
            before = await LocalCluster.StartAsync(silos: 1, gateway: false, settings: E2e.SiloSettings());
            var connectionString = before.ConnectionString;
            var container = before.BlobContainer;
            await using var db = new RolloutDatabase(connectionString, container);
            var file = E2e.WritePopulation(directory, FirstWave);
            Assert.Equal(FirstWave, (await E2e.Importer(db.Store).ImportAsync("wave-1", file, file + ".rejects")).Accepted);
            await db.Store.CreateCampaignAsync(new NewCampaign("rotation", "Key rotation", null, "operator:e2e"), DateTimeOffset.UtcNow);
            Assert.Equal(FirstWave, (await E2e.Issuance(db.Store, db.Content).IssueAsync("rotation")).Issued);
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM activation_code WHERE key_id <> 1"));

            var people = new Population(FirstWave + SecondWave);
            var oldKey = people.TakeAdults(3).Select(i => people.People[i]).ToArray();
            var codes = new Dictionary<PersonRecord, string>();
            foreach (var person in oldKey)
            {
                codes[person] = await db.CodeOfAsync(person);
            }
            using (var http = new RawGraphQL(before.Silos[0].BaseAddress))
            {
                await AssertActivatesAsync(http, oldKey[0], codes[oldKey[0]], "key 1, before the rotation");
            }
            var serviceId = before.ClusterId;
            await before.DisposeAsync();
            before = null;

            // Restart: both keys configured, key 2 current; same database, container and service id (grain state).
            var rotated = E2e.SiloSettings(rotated: true);
            rotated["ConnectionStrings__Postgres"] = connectionString;
            rotated["Coffre__BlobContainer"] = container;
            rotated["Coffre__Cluster__ServiceId"] = serviceId;
            after = await LocalCluster.StartAsync(silos: 1, gateway: false, settings: rotated);
            using var http2 = new RawGraphQL(after.Silos[0].BaseAddress);
            await AssertActivatesAsync(http2, oldKey[1], codes[oldKey[1]], "key 1, after the restart with key 2 current");

            // The operator issues the second wave with the rotated settings: its codes are hashed under key 2.
            var file2 = E2e.WritePopulation(directory, FirstWave + SecondWave);
            Assert.Equal(FirstWave + SecondWave, (await E2e.Importer(db.Store).ImportAsync("wave-2", file2, file2 + ".rejects")).Accepted);
            var issue = await CoffreCli.RunAsync(E2e.CliEnvironment(connectionString, container, rotated: true), TimeSpan.FromMinutes(2),
                "campaign", "issue", "--id", "rotation", "--chunk-size", "7");
            output.WriteLine("$ coffre campaign issue --id rotation (key 2 current)\n" + issue);
            Assert.True(issue.ExitCode == 0, issue.ToString());
            Assert.Equal(SecondWave, issue.Json["issued"]!.GetValue<long>());
            Assert.Equal((long)SecondWave, await db.ScalarAsync<long>("SELECT count(*) FROM activation_code WHERE key_id = 2 AND status = 0"));

            var newKey = Enumerable.Range(FirstWave, SecondWave).Select(i => people.People[i]).Where(p => p.VitaleSerial is not null).Take(2).ToArray();
            Assert.Equal(2, newKey.Length);
            foreach (var person in newKey)
            {
                Assert.Equal((short)2, (await db.LatestCodeAsync(person)).KeyId);
                await AssertActivatesAsync(http2, person, await db.CodeOfAsync(person), "key 2, issued after the rotation");
            }
            await AssertActivatesAsync(http2, oldKey[2], codes[oldKey[2]], "key 1, after codes were issued under key 2");
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM (SELECT nir_hash FROM activation_code WHERE status = 0 GROUP BY nir_hash HAVING count(*) > 1) twice"));
        }
        finally
        {
            if (before is not null)
            {
                await before.DisposeAsync();
            }
            if (after is not null)
            {
                await after.DisposeAsync();
            }
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task AssertActivatesAsync(RawGraphQL http, PersonRecord person, string code, string what)
    {
        var response = await http.ActivateAsync(person, ActivationCodes.Display(code));
        output.WriteLine($"{what}: {response.Status}, {response.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(response.Field("activateVault")?["session"] is JsonObject, $"{what}: {response}");
    }
}
