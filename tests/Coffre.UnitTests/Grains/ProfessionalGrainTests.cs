using Coffre.Domain.Identifiers;
using Coffre.Grains;
using Coffre.Grains.Professionals;
using Coffre.Domain.Access;
using Xunit;

namespace Coffre.UnitTests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class ProfessionalGrainTests(ClusterFixture fixture)
{
    private static readonly Caller Operator = Caller.Operator("op-1");

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 9_999_999_999).ToString("D10")[..9];
        return body + Luhn.CheckDigit(body);
    }

    private IProfessionalGrain Grain(string rpps) => fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps));

    [Fact]
    public async Task Operator_registers_then_updates_and_revision_grows()
    {
        var rpps = NewRpps();
        var first = await Grain(rpps).RegisterAsync(Operator, new RegisterProfessional("Dr Martin", "10", ProfessionSector.Health));
        var second = await Grain(rpps).RegisterAsync(Operator, new RegisterProfessional("Dr Martin-Durand", "10", ProfessionSector.Health));

        Assert.Equal(1, first.Revision);
        Assert.Equal(2, second.Revision);
        Assert.Equal(first.RegisteredAt, second.RegisteredAt);
        Assert.Equal("Dr Martin-Durand", (await Grain(rpps).GetAsync(Operator))!.DisplayName);
    }

    [Fact]
    public async Task Professional_reads_own_record_but_not_another()
    {
        var rpps = NewRpps();
        await Grain(rpps).RegisterAsync(Operator, new RegisterProfessional("Mme Diallo", "SOC-AS", ProfessionSector.Social));

        var self = await Grain(rpps).GetAsync(new Caller(CallerKind.Professional, "p-1", rpps, Standing: DirectoryStanding.Active));
        Assert.Equal(ProfessionSector.Social, self!.Sector);

        var other = new Caller(CallerKind.Professional, "p-2", NewRpps());
        await Assert.ThrowsAsync<AccessDeniedException>(() => Grain(rpps).GetAsync(other));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Grain(rpps).GetAsync(Caller.Anonymous));
    }

    [Theory]
    [InlineData(CallerKind.Anonymous)]
    [InlineData(CallerKind.Patient)]
    [InlineData(CallerKind.Professional)]
    public async Task Only_operators_register(CallerKind kind)
    {
        var rpps = NewRpps();
        var caller = new Caller(kind, "x", kind == CallerKind.Professional ? rpps : null);
        await Assert.ThrowsAsync<AccessDeniedException>(() => Grain(rpps).RegisterAsync(caller, new RegisterProfessional("X", "10", ProfessionSector.Health)));
        Assert.Null(await Grain(rpps).GetAsync(Operator));
    }

    [Fact]
    public async Task Invalid_input_names_the_field_and_stores_nothing()
    {
        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => Grain("10000000008").RegisterAsync(Operator, new RegisterProfessional("X", "10", ProfessionSector.Health)));
        Assert.Equal("rpps", bad.Field);

        var rpps = NewRpps();
        var empty = await Assert.ThrowsAsync<ValidationFailedException>(() => Grain(rpps).RegisterAsync(Operator, new RegisterProfessional(" ", "10", ProfessionSector.Health)));
        Assert.Equal("displayName", empty.Field);
        Assert.Null(await Grain(rpps).GetAsync(Operator));
    }
}
