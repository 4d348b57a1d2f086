using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Xunit;

namespace Coffre.UnitTests.Access;

/// <summary>The Feed basis of the one evaluator: who feeds, what a category may feed, and that a feed deposit needs no grant while reads still do.</summary>
public sealed class FeedAccessTests
{
    private const string Hospital = "750000001";
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly AccessEvaluator Evaluator = new(HabilitationMatrix.Default);
    private static readonly Caller System = Caller.Establishment(Hospital, "dpi-1");
    private static readonly Caller Feeding = System with { FeedCategory = "355" };
    private static readonly VaultAccessState Active = new() { VaultId = "v-00000000000000000001", Status = VaultStatus.Active };

    private static DocumentFacts Doc(string typeCode, string classCode = "10", bool masked = false, bool secret = false, bool @private = false) =>
        new("d-1", classCode, typeCode, new Visibility(masked, false, secret), @private, new Author(AuthorKind.System, "client:dpi-1", Hospital));

    [Theory]
    [InlineData("355", "34112-3", true, DenialReason.None)]          // hospital: stay report
    [InlineData("355", "11490-0", true, DenialReason.None)]          // hospital: liaison letter at discharge
    [InlineData("101", "11502-2", true, DenialReason.None)]          // regional hospital: biology
    [InlineData("355", "ATTEST-HEBGT", false, DenialReason.OutsideScope)] // hospital: a social attestation is not its to feed
    [InlineData("500", "83981-1", true, DenialReason.None)]          // EHPAD: its own liaison letter
    [InlineData("500", "34112-3", false, DenialReason.OutsideScope)] // EHPAD: no hospital stay report
    [InlineData("411", "28653-4", true, DenialReason.None)]          // CCAS: social document
    [InlineData("999", "34112-3", false, DenialReason.OutsideScope)] // a category with no feed scope
    public void A_feed_deposit_is_decided_by_the_matrix_feed_scope_of_the_category_without_any_grant(string category, string typeCode, bool allowed, DenialReason reason)
    {
        var classCode = HabilitationMatrix.Default.DocumentType(typeCode)!.ClassCodes[0];
        var decision = Evaluator.Decide(Active, System with { FeedCategory = category }, VaultAction.CreateDocument, Doc(typeCode, classCode), Now);
        Assert.Equal(allowed, decision.Allowed);
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(allowed ? LegalBasis.Feed : LegalBasis.None, decision.Basis);
    }

    [Fact]
    public void Masked_and_minor_secret_documents_may_be_fed_but_never_private_ones()
    {
        Assert.True(Evaluator.Decide(Active, Feeding, VaultAction.CreateDocument, Doc("34112-3", masked: true), Now).Allowed);
        Assert.True(Evaluator.Decide(Active, Feeding, VaultAction.CreateDocument, Doc("34112-3", secret: true), Now).Allowed);
        Assert.Equal(DenialReason.Private, Evaluator.Decide(Active, Feeding, VaultAction.CreateDocument, Doc("34112-3", @private: true), Now).Reason);
        Assert.Equal(DenialReason.NotPermitted, Evaluator.Decide(Active, Feeding, VaultAction.CreateDocument, null, Now).Reason);
    }

    [Fact]
    public void The_feed_only_deposits_and_reads_still_need_a_grant()
    {
        Assert.Equal(DenialReason.NotPermitted, Evaluator.Decide(Active, Feeding, VaultAction.ReadDocument, Doc("34112-3"), Now).Reason);
        Assert.Equal(DenialReason.NotPermitted, Evaluator.Decide(Active, Feeding, VaultAction.ListDocuments, null, Now).Reason);
        // Outside the feed path (no category), the establishment's system still needs a grant, to deposit as to read.
        Assert.Equal(DenialReason.NoBasis, Evaluator.Decide(Active, System, VaultAction.CreateDocument, Doc("34112-3"), Now).Reason);
        Assert.Equal(DenialReason.NoBasis, Evaluator.Decide(Active, System, VaultAction.ReadDocument, Doc("34112-3"), Now).Reason);
    }

    [Fact]
    public void A_person_who_opposed_or_closed_their_vault_is_not_fed()
    {
        var closed = Active with { Status = VaultStatus.Closed };
        Assert.Equal(DenialReason.VaultNotActive, Evaluator.Decide(closed, Feeding, VaultAction.CreateDocument, Doc("34112-3"), Now).Reason);
        // A vault opened by a referent before activation is fed (the person did not oppose).
        Assert.True(Evaluator.Decide(Active with { Status = VaultStatus.Pending }, Feeding, VaultAction.CreateDocument, Doc("34112-3"), Now).Allowed);
    }

    [Fact]
    public void Only_an_establishment_system_known_to_the_directory_with_a_feed_scope_feeds()
    {
        Assert.Equal(LegalBasis.Feed, Evaluator.DecideFeed(Feeding).Basis);
        Assert.Equal(DenialReason.NotAuthenticated, Evaluator.DecideFeed(Caller.Anonymous).Reason);
        Assert.Equal(DenialReason.NotRegistered, Evaluator.DecideFeed(System).Reason);
        Assert.Equal(DenialReason.OutsideScope, Evaluator.DecideFeed(System with { FeedCategory = "999" }).Reason);
        Assert.Equal(DenialReason.NotPermitted, Evaluator.DecideFeed(Caller.Patient("v-00000000000000000001")).Reason);
        Assert.Equal(DenialReason.NotPermitted, Evaluator.DecideFeed(Caller.Professional("10000000001", "10", Hospital)).Reason);
        Assert.Equal(DenialReason.NotPermitted, Evaluator.DecideFeed(Caller.Operator("op")).Reason);
        // By NIR: the feed path only.
        Assert.True(AccessEvaluator.DecideNirLookup(Feeding).Allowed);
        Assert.False(AccessEvaluator.DecideNirLookup(System).Allowed);
    }

    [Fact]
    public void Feed_counters_are_read_by_the_establishment_system_and_support_operators()
    {
        Assert.True(AccessEvaluator.DecideFeedStatistics(System, Hospital).Allowed);
        Assert.False(AccessEvaluator.DecideFeedStatistics(Caller.Establishment("750000002", "other"), Hospital).Allowed);
        Assert.True(AccessEvaluator.DecideFeedStatistics(Caller.Operator("op", OperatorRoles.Support), Hospital).Allowed);
        Assert.Equal(DenialReason.OperatorRoleMissing, AccessEvaluator.DecideFeedStatistics(Caller.Operator("op", OperatorRoles.Rollout), Hospital).Reason);
        Assert.Equal(DenialReason.NotAuthenticated, AccessEvaluator.DecideFeedStatistics(Caller.Anonymous, Hospital).Reason);
    }

    [Fact]
    public void The_matrix_refuses_a_feed_scope_with_a_category_twice_or_a_type_only_the_person_deposits()
    {
        using var stream = typeof(HabilitationMatrix).Assembly.GetManifestResourceStream(HabilitationMatrix.ResourceName)!;
        var json = new StreamReader(stream).ReadToEnd();
        var broken = json.Replace("\"categories\": [\"411\", \"214\", \"443\"]", "\"categories\": [\"411\", \"355\"]")
            .Replace("\"typeCodes\": [\"28653-4\", \"ATTEST-RESID\", \"ATTEST-HEBGT\"]", "\"typeCodes\": [\"28653-4\", \"DOCPAT09\"]");
        var e = Assert.Throws<HabilitationMatrixException>(() => HabilitationMatrix.Parse(broken));
        Assert.Contains(e.Errors, m => m.StartsWith("feeds.social.categories[1]: category '355' is already in feed scope 'hospital'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("feeds.social.typeCodes[1]: 'DOCPAT09' is deposited by the person only", StringComparison.Ordinal));
    }
}
