using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;

namespace Coffre.IntegrationTests.Postgres;

/// <summary>
/// An establishment's accompaniment index on PostgreSQL: it survives a restart, and shares its key (<c>finess-…</c>) with
/// the establishment's record without sharing its row (its own state name).
/// </summary>
public sealed class AccompanimentStateOnPostgresTests
{
    private static readonly Caller SystemVault = Caller.Operator("system:vault");

    [Fact]
    public async Task The_index_survives_a_restart_in_its_own_row_beside_the_establishment()
    {
        var cs = await TestServices.NewMigratedDatabaseAsync();
        var body = "75" + Random.Shared.Next(0, 999_999).ToString("D6");
        var finess = body + Luhn.CheckDigit(body);
        var vaultId = Ids.NewVaultId();
        var now = DateTimeOffset.UtcNow;
        var mandate = new AccompanimentMandate("10000000009", now.AddDays(-1), now.AddDays(90));
        await using (var first = await PostgresCluster.StartAsync(cs, "svc"))
        {
            await first.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess))
                .RegisterAsync(Caller.Operator("op-1"), new RegisterEstablishment("SAVS", EstablishmentKind.LegalEntity, "446", null, ProfessionSector.MedicoSocial));
            await first.Grains.GetGrain<IAccompanimentGrain>(GrainNames.Keys.Accompaniment(finess)).SetVaultAsync(SystemVault, vaultId, 3, [mandate]);
        }
        await using var second = await PostgresCluster.StartAsync(cs, "svc");
        var index = second.Grains.GetGrain<IAccompanimentGrain>(GrainNames.Keys.Accompaniment(finess));
        var page = await index.ListAsync(Caller.Establishment(finess, "client"), 10, null);

        Assert.Equal(vaultId, Assert.Single(page.Items).VaultId);
        Assert.Equal(mandate, Assert.Single(page.Items[0].Referents));
        // The revision came back too: an older update is still ignored after the restart.
        await index.SetVaultAsync(SystemVault, vaultId, 2, []);
        Assert.Equal(1, (await index.ListAsync(Caller.Establishment(finess, "client"), 10, null)).TotalCount);
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(cs, $"SELECT count(*) FROM orleans_storage WHERE graintypestring = '{GrainNames.States.Accompaniment}'"));
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(cs, $"SELECT count(*) FROM orleans_storage WHERE graintypestring = '{GrainNames.States.Establishment}'"));
    }
}
