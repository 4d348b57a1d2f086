using System.Diagnostics;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>Per-person and per-client rate limits of anonymous attempts, each on its own silo with small limits; aliases cannot multiply them.</summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class RateLimitOverHttpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Attempts_on_one_person_are_limited_alike_whether_or_not_the_registry_knows_the_NIR_and_never_lock()
    {
        const int Size = 10;
        await using var silo = await CampaignSilo.StartAsync("per-person", "Per-person limit", Size, E2e.SiloSettings(maxAttempts: 3, perPersonPerHour: 4));
        var cluster = silo.Cluster;
        var db = silo.Db;
        var people = new Population(Size);
        var known = people.People[people.TakeAdults(1)[0]];
        var right = await db.CodeOfAsync(known);
        var unknown = Population.Unknown(7);
        using var http = new RawGraphQL(cluster.Silos[0].BaseAddress);

        // Wrong birth date (the secrets are not proven), from "many clients" as far as the person's bucket goes.
        var knownAnswers = new List<RawResponse>();
        var unknownAnswers = new List<RawResponse>();
        for (var i = 0; i < 6; i++)
        {
            knownAnswers.Add(await http.ActivateAsync(known, RolloutDatabase.WrongCode(right), birthDate: known.BirthDate.AddDays(3)));
            unknownAnswers.Add(await http.ActivateAsync(unknown, ActivationCodes.Generate(), birthDate: unknown.BirthDate.AddDays(3)));
        }
        for (var i = 0; i < 6; i++)
        {
            output.WriteLine($"attempt {i + 1}: known NIR {Describe(knownAnswers[i])}, unknown NIR {Describe(unknownAnswers[i])}");
            Assert.Equal(Describe(unknownAnswers[i]), Describe(knownAnswers[i]));
        }
        Assert.All(knownAnswers.Take(4), r => Assert.Equal(["ACTIVATION_REFUSED"], r.UserErrorCodes("activateVault")));
        Assert.All(knownAnswers.Skip(4), r => Assert.Equal(["RATE_LIMITED"], r.ErrorCodes));
        Assert.Equal(knownAnswers[5].Body, unknownAnswers[5].Body);

        // The code was never counted, let alone locked.
        var code = await db.LatestCodeAsync(known);
        Assert.Equal(((short)CodeStatus.Valid, (short)0), (code.Status, code.Attempts));
    }

    /// <summary>
    /// The old limiter gave a client its whole minute's tokens back at each minute tick of its timer: exhausting the
    /// bucket just before the tick and again just after it made two buckets in a few seconds. A token bucket that
    /// refills gradually gives back one token every 60 s / PerClientPerMinute (10 s here).
    /// </summary>
    [Fact]
    public async Task After_the_client_bucket_is_exhausted_a_minute_boundary_gives_at_most_two_more_attempts()
    {
        const int PerMinute = 6;
        await using var cluster = await LocalCluster.StartAsync(silos: 1, gateway: false, settings: E2e.SiloSettings(perClientPerMinute: PerMinute));
        using var http = new RawGraphQL(cluster.Silos[0].BaseAddress);
        var k = 0;
        async Task<bool> Attempt()
        {
            var r = await http.ActivateAsync(Population.Unknown(500 + k++), ActivationCodes.Generate());
            Assert.True(r.Status == 200, r.ToString());
            return !r.ErrorCodes.Contains("RATE_LIMITED");
        }
        async Task<int> Burst()
        {
            var n = 0;
            while (n < 50 && await Attempt())
            {
                n++;
            }
            return n;
        }

        var start = Stopwatch.StartNew();
        Assert.True(await Attempt());   // the client's bucket (and the old limiter's minute timer) start here
        await Task.Delay(TimeSpan.FromSeconds(50) - start.Elapsed);
        var beforeBoundary = await Burst();
        await Task.Delay(TimeSpan.FromSeconds(63) - start.Elapsed);
        var afterBoundary = await Burst();
        output.WriteLine($"{PerMinute} per minute: {beforeBoundary} attempts allowed at 50 s, {afterBoundary} at 63 s (after the old limiter's minute tick)");
        Assert.InRange(beforeBoundary, PerMinute - 1, PerMinute);
        Assert.InRange(afterBoundary, 0, 2);
    }

    private static string Describe(RawResponse r) =>
        r.ErrorCodes.Count > 0 ? string.Join(",", r.ErrorCodes) : string.Join(",", r.UserErrorCodes("activateVault"));

    /// <summary>A silo allowing 5 attempts per client per minute: 8 aliased activations in one request attempt at most 5.</summary>
    [Fact]
    public async Task One_request_with_eight_aliased_activations_attempts_at_most_five_and_the_rest_are_rate_limited()
    {
        // MaxAttempts high so that each attempt shows as one failed attempt on its person's code.
        const int Size = 40;
        await using var silo = await CampaignSilo.StartAsync("alias", "Alias rate limit", Size, E2e.SiloSettings(maxAttempts: 100, perClientPerMinute: 5));
        var cluster = silo.Cluster;
        var db = silo.Db;

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
}
