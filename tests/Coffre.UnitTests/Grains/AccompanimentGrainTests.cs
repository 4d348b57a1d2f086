using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using Coffre.Grains.Professionals;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// An establishment's accompaniment index on the in-process cluster: fed by the vault grains when a referent naming the
/// establishment is added, revoked, handed over or ended; idempotent; read by members acting for it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AccompanimentGrainTests(ClusterFixture fixture)
{
    private static readonly Caller Operator = Caller.Operator("op-1");
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private static string NewFiness()
    {
        var body = "75" + Random.Shared.Next(0, 999_999).ToString("D6");
        return body + Luhn.CheckDigit(body);
    }

    private sealed record Team(string Finess, Caller Referent, Caller Colleague, Caller Admin, Caller System);

    /// <summary>An establishment with a referent, a colleague and an admin member (all social workers), and its system.</summary>
    private async Task<Team> TeamAsync()
    {
        var finess = NewFiness();
        var establishment = fixture.Grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess));
        await establishment.RegisterAsync(Operator, new RegisterEstablishment("Service d'accompagnement", EstablishmentKind.LegalEntity, "377", null, ProfessionSector.Social));
        async Task<Caller> MemberAsync(string profession, bool admin)
        {
            var rpps = NewRpps();
            await fixture.Grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps))
                .RegisterAsync(Operator, new RegisterProfessional("Member", profession, ProfessionSector.Social));
            await establishment.SetMemberAsync(Operator, rpps, member: true, admin);
            return Caller.Professional(rpps, profession, finess);
        }
        return new Team(finess, await MemberAsync("SOC-AS", false), await MemberAsync("SOC-ES", false), await MemberAsync("SOC-AS", true),
            Caller.Establishment(finess, "client-" + finess));
    }

    private IAccompanimentGrain Index(string finess) => fixture.Grains.GetGrain<IAccompanimentGrain>(GrainNames.Keys.Accompaniment(finess));

    private async Task<IVaultGrain> OpenAsync(Caller referent)
    {
        var vault = fixture.Grains.GetGrain<IVaultGrain>(Ids.NewVaultId());
        await vault.OpenAsync(referent, new OpenVault(new IdentityTraits("Martin", "Paul", new DateOnly(1975, 3, 2), Sex.Male),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001")));
        return vault;
    }

    [Fact]
    public async Task The_index_follows_referents_added_revoked_handed_over_and_ended()
    {
        var team = await TeamAsync();
        var first = await OpenAsync(team.Referent);
        var second = await OpenAsync(team.Referent);

        var page = await Index(team.Finess).ListAsync(team.Colleague, 10, null);
        Assert.Equal(2, page.TotalCount);
        Assert.All(page.Items, p => Assert.Equal(team.Referent.Rpps, Assert.Single(p.Referents).Rpps));

        // The referent leaves the second person's mandate: the index drops that person.
        await second.RevokeReferentAsync(team.Referent, team.Referent.Rpps!);
        var left = Assert.Single((await Index(team.Finess).ListAsync(team.Colleague, 10, null)).Items);
        Assert.Equal(first.GetPrimaryKeyString(), left.VaultId);

        // Hand-over to the colleague: same consent, new referent; the index shows the colleague since the hand-over.
        var handedOver = await first.HandOverAccompanimentAsync(team.Referent, team.Referent.Rpps!, team.Colleague.Rpps!);
        Assert.Equal(team.Finess, handedOver.EstablishmentFiness);
        Assert.Equal(NextYear, handedOver.Consent.ExpiresAt);
        Assert.NotNull(handedOver.HandedOverAt);
        var mandate = Assert.Single(Assert.Single((await Index(team.Finess).ListAsync(team.System, 10, null)).Items).Referents);
        Assert.Equal(team.Colleague.Rpps, mandate.Rpps);
        Assert.Equal(handedOver.HandedOverAt, mandate.Since);
        Assert.Equal(NextYear, mandate.ExpiresAt);
        // The former referent is no longer one; the new one reads the vault as referent.
        Assert.Equal(LegalBasis.Referent, (await first.ExplainAsync(team.Colleague, VaultAction.ReadVault, null)).Basis);
        Assert.Equal(LegalBasis.CareTeam, (await first.ExplainAsync(team.Referent, VaultAction.ReadVault, null)).Basis);

        // The admin member ends the accompaniment: nobody of the establishment holds a mandate; the index is empty.
        var ended = await first.EndAccompanimentAsync(team.Admin);
        Assert.Equal(team.Colleague.Rpps, Assert.Single(ended).Rpps);
        Assert.Equal(0, (await Index(team.Finess).ListAsync(team.Admin, 10, null)).TotalCount);
        Assert.Equal(DenialReason.BasisExpired, (await first.ExplainAsync(team.Colleague, VaultAction.ReadVault, null)).Reason);

        // The person sees who handed over and who ended it, and when.
        var owner = Caller.Patient(first.GetPrimaryKeyString());
        var history = (await first.GetAccessHistoryAsync(owner, null, 50)).Items.Select(i => i.Event).ToList();
        var handOver = Assert.Single(history, e => e.Operation == "accompaniment.hand-over" && e.Allowed);
        Assert.Equal(team.Referent.Rpps, handOver.ActorId);
        Assert.Equal($"mandate:{team.Referent.Rpps}>{team.Colleague.Rpps}", handOver.Target);
        var end = Assert.Single(history, e => e.Operation == "accompaniment.end" && e.Allowed);
        Assert.Equal(team.Admin.Rpps, end.ActorId);
        Assert.Equal(LegalBasis.CareTeam, end.Basis);
    }

    [Fact]
    public async Task The_person_is_notified_once_of_a_hand_over_and_of_an_end()
    {
        var team = await TeamAsync();
        var vault = await OpenAsync(team.Referent);
        var owner = Caller.Patient(vault.GetPrimaryKeyString());

        var handedOver = await vault.HandOverAccompanimentAsync(team.Referent, team.Referent.Rpps!, team.Colleague.Rpps!);
        // Asked again, the hand-over is refused (the former referent holds no mandate any more) and queues nothing.
        await Assert.ThrowsAsync<AccessDeniedException>(() => vault.HandOverAccompanimentAsync(team.Admin, team.Referent.Rpps!, team.Colleague.Rpps!));
        var ended = await vault.EndAccompanimentAsync(team.System);
        await Assert.ThrowsAsync<AccessDeniedException>(() => vault.EndAccompanimentAsync(team.System));

        var notifications = await vault.GetNotificationsAsync(owner, 50);
        var handOver = Assert.IsType<AccompanimentHandedOverNotice>(Assert.Single(notifications, n => n.Kind == NotificationKind.AccompanimentHandedOver).Payload);
        Assert.Equal(new AccompanimentHandedOverNotice(team.Finess, "Service d'accompagnement", team.Referent.Rpps!, "Member",
            team.Colleague.Rpps!, "Member", team.Referent.Rpps!, handedOver.HandedOverAt!.Value), handOver);
        var end = Assert.IsType<AccompanimentEndedNotice>(Assert.Single(notifications, n => n.Kind == NotificationKind.AccompanimentEnded).Payload);
        Assert.Equal(new AccompanimentEndedNotice(team.Finess, "Service d'accompagnement", team.System.Subject, Assert.Single(ended).RevokedAt!.Value), end);
    }

    [Fact]
    public async Task Hand_over_and_end_are_refused_to_others_and_checked()
    {
        var team = await TeamAsync();
        var vault = await OpenAsync(team.Referent);
        var outsider = await TeamAsync();

        // A colleague who is not admin neither hands over nor ends; another establishment's admin neither.
        await Assert.ThrowsAsync<AccessDeniedException>(() => vault.HandOverAccompanimentAsync(team.Colleague, team.Referent.Rpps!, team.Colleague.Rpps!));
        await Assert.ThrowsAsync<AccessDeniedException>(() => vault.EndAccompanimentAsync(team.Colleague));
        await Assert.ThrowsAsync<AccessDeniedException>(() => vault.EndAccompanimentAsync(outsider.Admin));
        await Assert.ThrowsAsync<AccessDeniedException>(() => vault.EndAccompanimentAsync(outsider.System));

        // The new referent must be an active member of the same establishment.
        var notMember = await Assert.ThrowsAsync<ValidationFailedException>(() => vault.HandOverAccompanimentAsync(team.Admin, team.Referent.Rpps!, outsider.Colleague.Rpps!));
        Assert.Equal("toRpps", notMember.Field);
        var unknown = await Assert.ThrowsAsync<ValidationFailedException>(() => vault.HandOverAccompanimentAsync(team.Admin, team.Referent.Rpps!, NewRpps()));
        Assert.Equal("toRpps", unknown.Field);
        var noMandate = await Assert.ThrowsAsync<AccessDeniedException>(() => vault.HandOverAccompanimentAsync(team.Admin, team.Colleague.Rpps!, team.Admin.Rpps!));
        Assert.Equal(DenialReason.NoBasis, noMandate.Code);

        // The admin hands over; the system ends.
        await vault.HandOverAccompanimentAsync(team.Admin, team.Referent.Rpps!, team.Colleague.Rpps!);
        Assert.Equal(team.Colleague.Rpps, Assert.Single(Assert.Single((await Index(team.Finess).ListAsync(team.Admin, 10, null)).Items).Referents).Rpps);
        await vault.EndAccompanimentAsync(team.System);
        Assert.Equal(0, (await Index(team.Finess).ListAsync(team.Admin, 10, null)).TotalCount);
        var again = await Assert.ThrowsAsync<AccessDeniedException>(() => vault.EndAccompanimentAsync(team.System));
        Assert.Equal(DenialReason.NoBasis, again.Code);
    }

    [Fact]
    public async Task Updates_are_idempotent_and_never_undo_a_newer_revision()
    {
        var finess = NewFiness();
        var system = Caller.Establishment(finess, "client");
        var vaultId = Ids.NewVaultId();
        var now = DateTimeOffset.UtcNow;
        var a = new AccompanimentMandate(NewRpps(), now.AddDays(-1), now.AddDays(30));
        var b = new AccompanimentMandate(NewRpps(), now.AddDays(-1), now.AddDays(30));

        await Index(finess).SetVaultAsync(Writer, vaultId, 2, [a]);
        await Index(finess).SetVaultAsync(Writer, vaultId, 2, [a]);
        await Index(finess).SetVaultAsync(Writer, vaultId, 1, [b]);
        Assert.Equal(a, Assert.Single(Assert.Single((await Index(finess).ListAsync(system, 10, null)).Items).Referents));

        await Index(finess).SetVaultAsync(Writer, vaultId, 3, []);
        await Index(finess).SetVaultAsync(Writer, vaultId, 2, [a]);
        Assert.Equal(0, (await Index(finess).ListAsync(system, 10, null)).TotalCount);

        await Index(finess).SetVaultAsync(Writer, vaultId, 4, [b]);
        Assert.Equal(b, Assert.Single(Assert.Single((await Index(finess).ListAsync(system, 10, null)).Items).Referents));

        // Only the system writes the index: not the establishment's own system, not a professional.
        await Assert.ThrowsAsync<AccessDeniedException>(() => Index(finess).SetVaultAsync(system, vaultId, 5, []));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Index(finess).SetVaultAsync(Caller.Professional(b.Rpps, "SOC-AS", finess), vaultId, 5, []));
        Assert.Equal(b, Assert.Single(Assert.Single((await Index(finess).ListAsync(system, 10, null)).Items).Referents));
    }

    /// <summary>What vault grains pass when they write an establishment's index.</summary>
    private static readonly Caller Writer = Caller.Operator("system:vault");

    [Fact]
    public async Task The_listing_filters_by_time_pages_by_vault_id_and_is_for_the_establishment()
    {
        var finess = NewFiness();
        var system = Caller.Establishment(finess, "client");
        var now = DateTimeOffset.UtcNow;
        var active = Enumerable.Range(0, 5).Select(_ => Ids.NewVaultId()).ToList();
        foreach (var id in active)
        {
            await Index(finess).SetVaultAsync(Writer, id, 1, [new AccompanimentMandate(NewRpps(), now.AddDays(-1), now.AddDays(30))]);
        }
        await Index(finess).SetVaultAsync(Writer, Ids.NewVaultId(), 1, [new AccompanimentMandate(NewRpps(), now.AddDays(-60), now.AddDays(-1))]);
        await Index(finess).SetVaultAsync(Writer, Ids.NewVaultId(), 1, [new AccompanimentMandate(NewRpps(), now.AddDays(1), now.AddDays(30))]);

        var seen = new List<string>();
        string? after = null;
        AccompaniedPage page;
        do
        {
            page = await Index(finess).ListAsync(system, 2, after);
            Assert.Equal(5, page.TotalCount);
            seen.AddRange(page.Items.Select(p => p.VaultId));
            after = page.Items[^1].VaultId;
        }
        while (page.HasNextPage);
        Assert.Equal(active.Order(StringComparer.Ordinal), seen);

        Assert.Equal("first", (await Assert.ThrowsAsync<ValidationFailedException>(() => Index(finess).ListAsync(system, 51, null))).Field);
        Assert.Equal("after", (await Assert.ThrowsAsync<ValidationFailedException>(() => Index(finess).ListAsync(system, 10, "nope"))).Field);
        await Assert.ThrowsAsync<AccessDeniedException>(() => Index(finess).ListAsync(Caller.Establishment(NewFiness(), "other"), 10, null));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Index(finess).ListAsync(Caller.Professional(NewRpps(), "SOC-AS"), 10, null));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Index(finess).ListAsync(Caller.Patient(active[0]), 10, null));
    }
}
