using Coffre.Domain.Identifiers;
using Coffre.Grains;
using Coffre.Grains.Professionals;
using Coffre.Domain.Access;
using Coffre.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit;

namespace Coffre.IntegrationTests.Postgres;

public sealed class GrainStateOnPostgresTests
{
    private static readonly Caller Operator = Caller.Operator("op-1");

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    [Fact]
    public async Task State_written_by_one_cluster_is_read_by_the_next()
    {
        var cs = await TestServices.NewMigratedDatabaseAsync();
        var rpps = NewRpps();
        await using (var first = await PostgresCluster.StartAsync(cs, "svc"))
        {
            await first.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps))
                .RegisterAsync(Operator, new RegisterProfessional("Dr Leroy", "10", ProfessionSector.Health));
        }
        await using var second = await PostgresCluster.StartAsync(cs, "svc");
        var profile = await second.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps)).GetAsync(Operator);

        Assert.NotNull(profile);
        Assert.Equal("Dr Leroy", profile.DisplayName);
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(cs, $"SELECT count(*) FROM orleans_storage WHERE graintypestring = '{GrainNames.States.Professional}'"));
        // …and its public entry is in the directory index, right after the state write.
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(cs, $"SELECT count(*) FROM directory_entry WHERE kind = 0 AND identifier = '{rpps}' AND name_key = 'dr leroy'"));
    }

    [Fact]
    public async Task Concurrent_first_writes_of_one_grain_state_leave_exactly_one_row()
    {
        var cs = await TestServices.NewMigratedDatabaseAsync();
        await using var cluster = await PostgresCluster.StartAsync(cs, "svc");
        var storage = cluster.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainNames.Storage);

        const int grains = 50, writers = 8;
        var losses = 0;
        for (var g = 0; g < grains; g++)
        {
            var id = GrainId.Create("professional", GrainNames.Keys.Professional(NewRpps()));
            var outcomes = await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
            {
                var state = new GrainState<ProfessionalState> { State = new ProfessionalState() };
                try
                {
                    await storage.WriteStateAsync(GrainNames.States.Professional, id, state);
                    return true;
                }
                catch (InconsistentStateException)
                {
                    return false;
                }
            }));
            Assert.Equal(1, outcomes.Count(o => o));
            losses += outcomes.Count(o => !o);
        }

        Assert.Equal(grains * (writers - 1), losses);
        Assert.Equal((long)grains, await TestServices.ScalarAsync<long>(cs, "SELECT count(*) FROM orleans_storage"));
        Assert.Equal(0L, await TestServices.ScalarAsync<long>(cs,
            "SELECT count(*) FROM (SELECT 1 FROM orleans_storage GROUP BY serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring HAVING count(*) > 1) d"));
    }

    [Fact]
    public async Task Reminder_stored_in_postgres_fires()
    {
        var cs = await TestServices.NewMigratedDatabaseAsync();
        await using var cluster = await PostgresCluster.StartAsync(cs, "svc");
        var key = "probe-" + Guid.NewGuid().ToString("N");
        var grain = cluster.Grains.GetGrain<IReminderProbeGrain>(key);

        await grain.ArmAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(cs, $"SELECT count(*) FROM orleans_reminders WHERE grainid LIKE '%{key}'"));

        await ReminderProbe.WaitAsync(key).WaitAsync(TimeSpan.FromSeconds(90));
        await grain.DisarmAsync();
        Assert.Equal(0L, await TestServices.ScalarAsync<long>(cs, $"SELECT count(*) FROM orleans_reminders WHERE grainid LIKE '%{key}'"));
    }
}
