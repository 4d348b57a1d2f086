using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// The 18th birthday hand-over of a minor's vault, with the silos' clock moved (<see cref="ClusterFixture.Clock"/>): the
/// day before, the parent reads; on the day, the parent is refused BasisExpired (the evaluator's rule) and the run tells
/// the person and the parent, once.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MajorityHandOverTests(ClusterFixture fixture)
{
    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private async Task<(IVaultGrain Vault, string VaultId)> OpenAsync(Caller social, DateOnly born, bool minor)
    {
        var vaultId = Ids.NewVaultId();
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        var view = await vault.OpenAsync(social, new OpenVault(
            new IdentityTraits("Martin", "Léa", born, Sex.Female),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, DateTimeOffset.UtcNow.AddYears(2), "form 2026-002"), minor));
        Assert.Equal(VaultStatus.Active, view.Status);
        return (vault, vaultId);
    }

    [Fact]
    public async Task The_day_before_the_parent_reads_and_on_the_18th_birthday_the_parent_is_refused_and_the_person_told()
    {
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var birthday = today.AddDays(10);
        var born = birthday.AddYears(-18);
        var (child, childId) = await OpenAsync(social, born, minor: true);
        var (parentVault, parentId) = await OpenAsync(social, new DateOnly(1980, 5, 5), minor: false);
        await child.AddRepresentativeAsync(Caller.Operator("op-civil-status"), new RepresentativeRequest(parentId, RepresentationKind.Parent, null));
        var parent = Caller.Patient(parentId);
        var midnight = new DateTimeOffset(birthday.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        try
        {
            ClusterFixture.Clock.Offset = midnight.AddHours(-12) - DateTimeOffset.UtcNow;
            Assert.Equal(LegalBasis.LegalRepresentative, (await child.GetAsync(parent)).Basis);
            Assert.False(await child.ReachMajorityAsync());

            ClusterFixture.Clock.Offset = midnight.AddMinutes(1) - DateTimeOffset.UtcNow;
            var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => child.GetAsync(parent));
            Assert.Equal(DenialReason.BasisExpired, refused.Code);
            Assert.Contains("18th birthday", refused.Reason, StringComparison.Ordinal);

            Assert.True(await child.ReachMajorityAsync());
            Assert.False(await child.ReachMajorityAsync()); // told once
            var told = Assert.Single(await child.GetNotificationsAsync(Caller.Patient(childId), 20), n => n.Kind == NotificationKind.MajorityReached);
            Assert.Equal(1, Assert.IsType<MajorityReachedNotice>(told.Payload).ParentsLosingAccess);
            Assert.Contains(await parentVault.GetNotificationsAsync(parent, 20),
                n => n.Kind == NotificationKind.RepresentationEndedAtMajority && ((RepresentationEndedAtMajorityNotice)n.Payload).VaultId == childId);
            // The person's own access is whole.
            Assert.Equal(LegalBasis.Owner, (await child.GetAsync(Caller.Patient(childId))).Basis);
        }
        finally
        {
            ClusterFixture.Clock.Offset = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task An_adult_without_parents_has_nothing_to_hand_over()
    {
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var (adult, _) = await OpenAsync(social, new DateOnly(1990, 1, 1), minor: false);
        Assert.False(await adult.ReachMajorityAsync());
    }
}
