using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Grains;
using Coffre.Grains.Professionals;
using Coffre.GraphQL.DataLoaders;
using Xunit;

namespace Coffre.UnitTests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class ProfessionalsByRppsDataLoaderTests(ClusterFixture fixture)
{
    [Fact]
    public async Task One_grain_call_per_distinct_rpps_whatever_the_number_of_loads()
    {
        var rpps = Enumerable.Range(0, 3).Select(_ =>
        {
            var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
            return body + Luhn.CheckDigit(body);
        }).ToList();
        foreach (var r in rpps.Take(2))
        {
            await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(r))
                .RegisterAsync(Caller.Operator("op"), new RegisterProfessional("Dr " + r, "10", ProfessionSector.Health));
        }
        var loader = new ProfessionalsByRppsDataLoader(fixture.Grains);

        var results = new[] { rpps[0], rpps[0], rpps[1], rpps[2], rpps[1], rpps[0] }.Select(loader.Load).ToList();
        var values = await Task.WhenAll(results.Select(r => r.GetResultAsync()));

        var keys = rpps.Select(GrainNames.Keys.Professional).ToHashSet();
        Assert.Equal(3, ClusterFixture.ClientCalls.Count(c => c.Method == nameof(IProfessionalGrain.GetPublicAsync) && keys.Contains(c.Key)));
        Assert.Equal("Dr " + rpps[0], values[0]!.DisplayName);
        Assert.Equal("Dr " + rpps[1], values[2]!.DisplayName);
        Assert.Null(values[3]);
    }
}
