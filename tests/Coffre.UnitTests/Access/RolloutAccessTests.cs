using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Xunit;

namespace Coffre.UnitTests.Access;

/// <summary>
/// The rollout's two rules in the one evaluator: the opposition window (no deposit or grant by others until it ends) and
/// a minor's majority (a PARENT representation ends on the 18th birthday). Explicit dates, no clock.
/// </summary>
public sealed class RolloutAccessTests
{
    private const string VaultId = "v-00000000000000000001";
    private const string Hospital = "750000001";
    private static readonly AccessEvaluator Evaluator = new(HabilitationMatrix.Default);
    private static readonly DateTimeOffset WindowEnds = new(2027, 1, 14, 9, 0, 0, TimeSpan.Zero);
    private static readonly Caller Feeding = Caller.Establishment(Hospital, "dpi-1") with { FeedCategory = "355" };
    private static readonly Caller Doctor = Caller.Professional("10000000001", "10");
    private static readonly Caller Social = Caller.Professional("10000000002", "SOC-AS");

    private static readonly DocumentFacts Report =
        new("d-1", "10", "34112-3", new Visibility(false, false, false), false, new Author(AuthorKind.System, "client:dpi-1", Hospital));

    private static VaultAccessState InWindow(DateTimeOffset recorded) => new()
    {
        VaultId = VaultId,
        Status = VaultStatus.Pending,
        OppositionWindowEndsAt = WindowEnds,
        Grants = [new Grant("g-1", GranteeKind.Professional, "10000000001", DocumentScope.All, recorded, null, "operator")],
        Referents = [new Referent("10000000002", null, new Consent("10000000002", recorded, ConsentMethod.SignedPaper, DocumentScope.All, WindowEnds.AddYears(1)))],
    };

    [Fact]
    public void While_the_window_is_open_feeds_professionals_and_grants_are_refused_with_the_date_and_reads_go_on()
    {
        var before = WindowEnds.AddDays(-1);
        var vault = InWindow(before.AddDays(-10));

        var feed = Evaluator.Decide(vault, Feeding, VaultAction.CreateDocument, Report, before);
        Assert.Equal(DenialReason.VaultNotActive, feed.Reason);
        Assert.Contains("may still oppose", feed.Explanation, StringComparison.Ordinal);
        Assert.Contains("2027-01-14 09:00 UTC", feed.Explanation, StringComparison.Ordinal);
        Assert.Equal(DenialReason.VaultNotActive, Evaluator.Decide(vault, Doctor, VaultAction.CreateDocument, Report, before).Reason);
        Assert.Equal(DenialReason.VaultNotActive, Evaluator.Decide(vault, Doctor, VaultAction.UpdateDocument, Report, before).Reason);
        // Reading what is there (nothing, usually) is not a deposit.
        Assert.True(Evaluator.Decide(vault, Doctor, VaultAction.ReadVault, null, before).Allowed);
        // The person's side: a referent holding their recorded consent deposits (the person chose the vault).
        Assert.True(Evaluator.Decide(vault, Social, VaultAction.ReadVault, null, before).Allowed);
        Assert.NotEqual(DenialReason.VaultNotActive, Evaluator.Decide(vault, Social, VaultAction.CreateDocument, Report, before).Reason);
    }

    [Fact]
    public void From_the_windows_end_deposits_are_decided_as_before()
    {
        var vault = InWindow(WindowEnds.AddDays(-10));
        Assert.True(Evaluator.Decide(vault, Feeding, VaultAction.CreateDocument, Report, WindowEnds).Allowed);
        Assert.True(Evaluator.Decide(vault, Doctor, VaultAction.CreateDocument, Report, WindowEnds).Allowed);
        // Outside any window (a person the campaign has not written to yet), nothing changes either.
        Assert.True(Evaluator.Decide(vault with { OppositionWindowEndsAt = null }, Feeding, VaultAction.CreateDocument, Report, WindowEnds.AddDays(-1)).Allowed);
    }

    [Fact]
    public void A_parent_reads_the_day_before_the_18th_birthday_and_is_refused_BasisExpired_from_that_day()
    {
        var born = new DateOnly(2009, 3, 1);
        var vault = new VaultAccessState
        {
            VaultId = VaultId,
            Status = VaultStatus.Active,
            IsMinor = true,
            BirthDate = born,
            Representatives =
            [
                new LegalRepresentative("v-parent", RepresentationKind.Parent, new DateTimeOffset(2009, 3, 2, 0, 0, 0, TimeSpan.Zero), null, "registry"),
                new LegalRepresentative("v-tutor", RepresentationKind.Tutor, new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), null, "operator",
                    Decision: new CourtDecision("TJ Paris", "RG 20/1", new DateOnly(2019, 12, 1))),
            ],
        };
        var parent = Caller.Patient("v-parent");
        var dayBefore = new DateTimeOffset(2027, 2, 28, 23, 59, 0, TimeSpan.Zero);
        var birthday = new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(LegalBasis.LegalRepresentative, Evaluator.Decide(vault, parent, VaultAction.ReadVault, null, dayBefore).Basis);
        var refused = Evaluator.Decide(vault, parent, VaultAction.ReadVault, null, birthday);
        Assert.Equal(DenialReason.BasisExpired, refused.Reason);
        Assert.Contains("18th birthday", refused.Explanation, StringComparison.Ordinal);
        Assert.Equal(DenialReason.BasisExpired, Evaluator.Decide(vault, parent, VaultAction.ListDocuments, null, birthday).Reason);
        // A tutelle under a court decision is not parental authority: it goes on.
        Assert.True(Evaluator.Decide(vault, Caller.Patient("v-tutor"), VaultAction.ReadVault, null, birthday).Allowed);
        // The person themself.
        Assert.True(Evaluator.Decide(vault, Caller.Patient(VaultId), VaultAction.ReadVault, null, birthday).Allowed);
        // Without a known birth date nothing changes (the vault's own IsMinor rules elsewhere).
        Assert.True(Evaluator.Decide(vault with { BirthDate = null }, parent, VaultAction.ReadVault, null, birthday).Allowed);
    }

    [Fact]
    public void Born_on_29_February_is_18_on_28_February_of_a_common_year()
    {
        var vault = new VaultAccessState { VaultId = VaultId, BirthDate = new DateOnly(2008, 2, 29) };
        Assert.False(AccessEvaluator.IsAdult(vault, new DateTimeOffset(2026, 2, 27, 12, 0, 0, TimeSpan.Zero)));
        Assert.True(AccessEvaluator.IsAdult(vault, new DateTimeOffset(2026, 2, 28, 0, 0, 0, TimeSpan.Zero)));
    }
}
