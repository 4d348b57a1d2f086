using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Grains;
using Coffre.Grains.Directory;
using Coffre.Grains.Establishments;
using Coffre.Grains.Professionals;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>Registration by rows (the list import's and the bulk API's path) on the embedded default's grains.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DirectoryRegistrationTests(ClusterFixture fixture)
{
    private static readonly Caller Operator = Caller.Operator("op-dir", OperatorRoles.DirectoryAdmin);

    /// <summary>Fresh keys per test: the cluster is shared.</summary>
    private static readonly long Base = Random.Shared.NextInt64(10_000, 90_000) * 100;

    private IDirectoryRegistrarGrain Registrar => fixture.Grains.GetGrain<IDirectoryRegistrarGrain>(0);

    private static EstablishmentEntry Establishment(long i) => SyntheticDirectory.Establishment(Base + i) with { Site = false, PartOf = null };

    private static ProfessionalEntry Professional(long i, params MembershipTerms[] memberships) =>
        SyntheticDirectory.Professional(Base * 10 + i, 0) with { Memberships = memberships };

    [Fact]
    public async Task A_membership_set_by_the_establishment_and_one_from_a_row_at_the_same_time_both_complete()
    {
        // setEstablishmentMember goes establishment → professional; a row goes professional → establishment. Neither waits
        // for the other (the establishment's record-member interleaves), and the member lists end consistent.
        var establishment = Establishment(40);
        var professional = Professional(40, new MembershipTerms(establishment.Finess, null, null, null, false));
        await Registrar.RegisterEstablishmentsAsync(Operator, [establishment]);
        await Registrar.RegisterProfessionalsAsync(Operator, [professional]);
        var establishmentGrain = fixture.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(establishment.Finess));
        for (var round = 0; round < 10; round++)
        {
            var admin = round % 2 == 0;
            var row = professional with { Memberships = [new MembershipTerms(establishment.Finess, "round " + round, null, null, admin)] };
            var set = establishmentGrain.SetMemberAsync(Operator, professional.Identifier, member: true, admin: !admin, "set " + round, null, null);
            var applied = Registrar.RegisterProfessionalsAsync(Operator, [row]);
            await Task.WhenAll(set, applied);
            Assert.Contains(professional.Identifier, (await set).Members);
            Assert.NotEqual(DirectoryOutcome.Rejected, Assert.Single(await applied).Outcome);
        }
        var profile = await establishmentGrain.GetAsync(Operator);
        Assert.Equal([professional.Identifier], profile!.Members);
        var record = await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(professional.Identifier)).GetAsync(Operator);
        Assert.Equal(establishment.Finess, Assert.Single(record!.Memberships).Finess);
    }

    [Fact]
    public async Task Rows_are_accepted_then_unchanged_then_updated_never_duplicated()
    {
        var establishment = Establishment(1);
        var professional = Professional(1, new MembershipTerms(establishment.Finess, "cadre de santé", null, null, true));

        Assert.Equal(DirectoryOutcome.Accepted, (await Registrar.RegisterEstablishmentsAsync(Operator, [establishment]))[0].Outcome);
        Assert.Equal(DirectoryOutcome.Accepted, (await Registrar.RegisterProfessionalsAsync(Operator, [professional]))[0].Outcome);
        Assert.Equal(DirectoryOutcome.Unchanged, (await Registrar.RegisterEstablishmentsAsync(Operator, [establishment]))[0].Outcome);
        Assert.Equal(DirectoryOutcome.Unchanged, (await Registrar.RegisterProfessionalsAsync(Operator, [professional]))[0].Outcome);

        var renamed = professional with { DisplayName = "Éloïse Lefèvre" };
        Assert.Equal(DirectoryOutcome.Updated, (await Registrar.RegisterProfessionalsAsync(Operator, [renamed]))[0].Outcome);
        var record = await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(professional.Identifier)).GetAsync(Operator);
        Assert.Equal("Éloïse Lefèvre", record!.DisplayName);
        Assert.Equal(2, record.Revision);
        var membership = Assert.Single(record.Memberships);
        Assert.Equal(("cadre de santé", true), (membership.Role, membership.Admin));

        var profile = await fixture.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(establishment.Finess)).GetAsync(Operator);
        Assert.Equal([professional.Identifier], profile!.Members);
        Assert.Equal([professional.Identifier], profile.Admins);
        Assert.Equal(establishment.Town, profile.Town);

        // The same key twice in one batch: applied in order, one record.
        var twice = await Registrar.RegisterProfessionalsAsync(Operator, [renamed with { DisplayName = "A B" }, renamed]);
        Assert.Equal([DirectoryOutcome.Updated, DirectoryOutcome.Updated], twice.Select(r => r.Outcome));
        Assert.Equal("Éloïse Lefèvre", (await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(professional.Identifier)).GetAsync(Operator))!.DisplayName);

        // A row without the membership ends it on both sides.
        Assert.Equal(DirectoryOutcome.Updated, (await Registrar.RegisterProfessionalsAsync(Operator, [renamed with { Memberships = [] }]))[0].Outcome);
        profile = await fixture.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(establishment.Finess)).GetAsync(Operator);
        Assert.Empty(profile!.Members);
    }

    [Fact]
    public async Task A_membership_of_an_unknown_establishment_rejects_that_row_only()
    {
        var known = Establishment(2);
        var unknown = Establishment(3);
        await Registrar.RegisterEstablishmentsAsync(Operator, [known]);
        var good = Professional(2, new MembershipTerms(known.Finess, null, null, null, false));
        var bad = Professional(3, new MembershipTerms(known.Finess, null, null, null, false), new MembershipTerms(unknown.Finess, null, null, null, false));
        var invalid = Professional(4) with { ProfessionCode = "ZZ" };

        var results = await Registrar.RegisterProfessionalsAsync(Operator, [good, bad, invalid]);

        Assert.Equal(DirectoryOutcome.Accepted, results[0].Outcome);
        Assert.Equal((DirectoryOutcome.Rejected, "memberships[1].finess", "NOT_FOUND"), (results[1].Outcome, results[1].Field, results[1].Code));
        Assert.Equal((DirectoryOutcome.Rejected, "professionCode"), (results[2].Outcome, results[2].Field));
        Assert.Null(await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(bad.Identifier)).GetAsync(Operator));
        var profile = await fixture.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(known.Finess)).GetAsync(Operator);
        Assert.Equal([good.Identifier], profile!.Members);
    }

    [Fact]
    public async Task Only_directory_admin_operators_register_rows()
    {
        await Assert.ThrowsAsync<AccessDeniedException>(() => Registrar.RegisterEstablishmentsAsync(Caller.Operator("op-s", OperatorRoles.Support), [Establishment(4)]));
        await Assert.ThrowsAsync<AccessDeniedException>(() => fixture.Grains.GetGrain<IDirectoryBulkRequestGrain>(GrainNames.Keys.DirectoryBulkRequest("op-s", "k"))
            .RunAsync(Caller.Operator("op-s", OperatorRoles.Support), [Establishment(4)], []));
    }

    [Fact]
    public async Task Bulk_request_is_idempotent_per_operator_and_key()
    {
        var key = "k-" + Base;
        var establishment = Establishment(5);
        var professional = Professional(5, new MembershipTerms(establishment.Finess, null, null, null, false));
        var grain = fixture.Grains.GetGrain<IDirectoryBulkRequestGrain>(GrainNames.Keys.DirectoryBulkRequest(Operator.Subject, key));

        var first = await grain.RunAsync(Operator, [establishment], [professional]);
        Assert.False(first.Replayed);
        Assert.Equal(DirectoryOutcome.Accepted, first.Establishments[0].Outcome);
        Assert.Equal(DirectoryOutcome.Accepted, first.Professionals[0].Outcome);

        // Changed meanwhile by someone else: the replay does not apply the request again.
        await Registrar.RegisterProfessionalsAsync(Operator, [professional with { DisplayName = "Autre Nom" }]);
        var again = await grain.RunAsync(Operator, [establishment], [professional]);
        Assert.True(again.Replayed);
        Assert.Equal(first.Professionals, again.Professionals);
        Assert.Equal(first.AppliedAt, again.AppliedAt);
        Assert.Equal("Autre Nom", (await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(professional.Identifier)).GetAsync(Operator))!.DisplayName);

        var conflict = await Assert.ThrowsAsync<ValidationFailedException>(() => grain.RunAsync(Operator, [establishment], [professional with { DisplayName = "X Y" }]));
        Assert.Equal(("idempotencyKey", "IDEMPOTENCY_CONFLICT"), (conflict.Field, conflict.Code));

        // Another operator's call cannot reach this key's grain.
        await Assert.ThrowsAsync<AccessDeniedException>(() => grain.RunAsync(Caller.Operator("op-other", OperatorRoles.DirectoryAdmin), [establishment], [professional]));

        var tooMany = Enumerable.Range(0, DirectoryRules.MaxBulkRows + 1).Select(i => Establishment(i)).ToList();
        var bound = await Assert.ThrowsAsync<ValidationFailedException>(() => fixture.Grains
            .GetGrain<IDirectoryBulkRequestGrain>(GrainNames.Keys.DirectoryBulkRequest(Operator.Subject, key + "-big")).RunAsync(Operator, tooMany, []));
        Assert.Equal("establishments", bound.Field);
    }

    [Fact]
    public async Task Single_mutations_share_the_rules_and_keep_membership_terms()
    {
        var establishment = Establishment(6);
        var finessGrain = fixture.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(establishment.Finess));
        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => finessGrain.RegisterAsync(Operator,
            new RegisterEstablishment(establishment.Name, EstablishmentKind.Site, establishment.CategoryCode, null, establishment.Sector)));
        Assert.Equal("legalEntityFiness", bad.Field);
        var postal = await Assert.ThrowsAsync<ValidationFailedException>(() => finessGrain.RegisterAsync(Operator,
            new RegisterEstablishment(establishment.Name, EstablishmentKind.LegalEntity, establishment.CategoryCode, null, establishment.Sector) { PostalCode = "7500" }));
        Assert.Equal("postalCode", postal.Field);
        await finessGrain.RegisterAsync(Operator, new RegisterEstablishment(establishment.Name, EstablishmentKind.LegalEntity, establishment.CategoryCode, null, establishment.Sector)
        {
            Town = "Besançon",
            PostalCode = "25000",
        });

        var professional = Professional(6);
        var grain = fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(professional.Identifier));
        var matrix = await Assert.ThrowsAsync<ValidationFailedException>(() => grain.RegisterAsync(Operator, new RegisterProfessional(professional.DisplayName, "ZZ", professional.Sector)));
        Assert.Equal("professionCode", matrix.Field);
        await grain.RegisterAsync(Operator, new RegisterProfessional(professional.DisplayName, professional.ProfessionCode, professional.Sector));

        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var order = await Assert.ThrowsAsync<ValidationFailedException>(() => finessGrain.SetMemberAsync(Operator, professional.Identifier, true, false, "x", start, start.AddDays(-1)));
        Assert.Equal("endsAt", order.Field);
        await finessGrain.SetMemberAsync(Operator, professional.Identifier, true, false, "éducatrice", start, start.AddYears(1));
        var membership = Assert.Single((await grain.GetAsync(Operator))!.Memberships);
        Assert.Equal(("éducatrice", start, start.AddYears(1)), (membership.Role, membership.Start, membership.End));
        Assert.False(membership.IsActiveAt(DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task List_import_stopped_midway_resumes_after_its_checkpoint()
    {
        var rows = Enumerable.Range(10, 25).Select(i => Establishment(i)).ToList();
        var csv = DirectoryCsv.EstablishmentsHeader + "\n" + string.Join("\n", rows.Select(DirectoryCsv.Format)) + "\nnot-a-finess;x;LEGAL_ENTITY;;1;HEALTH;;\n";
        var registrar = new GrainDirectoryRegistrar(fixture.Grains, Operator);
        var report = new List<DirectoryReportRow>();
        DirectoryImportPosition? checkpoint = null;
        Task Record(IReadOnlyList<DirectoryReportRow> chunk, DirectoryImportPosition at)
        {
            report.AddRange(chunk);
            checkpoint = at;
            return Task.CompletedTask;
        }

        var stopped = await DirectoryListImport.RunAsync(DirectoryEntryKind.Establishment, new StringReader(csv), registrar, Record, chunkSize: 10, maxRows: 10);
        Assert.Equal((10L, false), (stopped.LinesDone, stopped.Complete));

        var done = await DirectoryListImport.RunAsync(DirectoryEntryKind.Establishment, new StringReader(csv), registrar, Record,
            skipLines: checkpoint!.LinesDone, counts: checkpoint.Counts, chunkSize: 10);

        Assert.True(done.Complete);
        Assert.Equal(26, done.LinesDone);
        Assert.Equal(Enumerable.Range(2, 26).Select(i => (long)i), report.Select(r => r.Line));
        Assert.Equal((25L, 1L, 0L), (done.Counts.Accepted, done.Counts.Rejected, done.Counts.Updated));
        Assert.Equal("finess", report[^1].Result.Field);

        // Re-running the whole file applies nothing new.
        report.Clear();
        var again = await DirectoryListImport.RunAsync(DirectoryEntryKind.Establishment, new StringReader(csv), registrar, Record, chunkSize: 10);
        Assert.Equal((0L, 25L, 1L), (again.Counts.Accepted, again.Counts.Unchanged, again.Counts.Rejected));
    }
}
