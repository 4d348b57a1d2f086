using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Cluster;
using Coffre.Storage.Rollout;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>A silo allowing 5 attempts per client per minute: aliases cannot multiply them.</summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class AliasRateLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task One_request_with_eight_aliased_activations_attempts_at_most_five_and_the_rest_are_rate_limited()
    {
        // MaxAttempts high so that each attempt shows as one failed attempt on its person's code.
        await using var cluster = await LocalCluster.StartAsync(silos: 1, gateway: false, settings: E2e.SiloSettings(maxAttempts: 100, perClientPerMinute: 5));
        await using var db = new RolloutDatabase(cluster.ConnectionString, cluster.BlobContainer);
        var directory = E2e.TempDirectory("alias");
        try
        {
            const int Size = 40;
            var file = E2e.WritePopulation(directory, Size);
            var imported = await E2e.Importer(db.Store).ImportAsync("alias", file, file + ".rejects");
            Assert.Equal(Size, imported.Accepted);
            await db.Store.CreateCampaignAsync(new NewCampaign("alias", "Alias rate limit", null, "operator:e2e"), DateTimeOffset.UtcNow);
            var issued = await E2e.Issuance(db.Store, db.Content).IssueAsync("alias");
            Assert.Equal(Size, issued.Issued);

            var people = new Population(Size);
            var eight = people.TakeAdults(8).Select(i => people.People[i]).ToList();
            var attempts = new List<(PersonRecord, string)>();
            foreach (var person in eight)
            {
                attempts.Add((person, RolloutDatabase.WrongCode(await db.CodeOfAsync(person))));
            }
            using var http = new RawGraphQL(cluster.Silos[0].BaseAddress);
            var response = await http.ActivateAliasedAsync(attempts);
            output.WriteLine(response.ToString());
            Assert.True(response.Status == 200, response.ToString());

            var limited = response.ErrorCodes.Count(c => c == "RATE_LIMITED");
            long attempted = 0;
            long audited = 0;
            foreach (var person in eight)
            {
                attempted += (await db.LatestCodeAsync(person)).Attempts;
                audited += await db.DenialsAsync(E2e.VaultId(person.Nir));
            }
            output.WriteLine($"8 aliases with a limit of 5 per client per minute: {attempted} attempted, {limited} RATE_LIMITED errors, {audited} audited refusals");
            Assert.Equal(5L, attempted);
            Assert.Equal(5L, audited);
            Assert.Equal(3, limited);

            // The client stays limited for the rest of the minute.
            var next = await http.ActivateAsync(eight[0], ActivationCodes.Generate());
            Assert.Contains("RATE_LIMITED", next.ErrorCodes);
            Assert.Equal(5L, await db.ScalarAsync<long>("SELECT coalesce(sum(attempts), 0)::bigint FROM activation_code"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
