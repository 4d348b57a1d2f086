using System.Text.Json.Nodes;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Xunit;
using A = Coffre.Domain.Access.VaultAction;
using B = Coffre.Domain.Access.LegalBasis;
using R = Coffre.Domain.Access.DenialReason;

namespace Coffre.UnitTests.Access;

/// <summary>
/// The care-team presumption (matrix <c>careTeam</c>, basis CareTeam) and the decisions about an establishment's
/// accompaniments: who sees its list, who hands a mandate over or ends it.
/// </summary>
public sealed class CareTeamTests
{
    private const string Hospital = "750000001";   // holds a grant on the vault
    private const string Service = "750000019";    // accompanies the person (a referent's mandate names it)
    private const string Elsewhere = "750000027";
    private const string ReferentRpps = "rpps-referent";
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly AccessEvaluator Evaluator = new(HabilitationMatrix.Default);
    private static readonly DocumentScope SocialOnly = new(TypeCodes: ["28653-4", "ATTEST-RESID"]);

    private static VaultAccessState Vault(DocumentScope? grantScope = null, bool treating = false, VaultStatus status = VaultStatus.Active,
        IReadOnlyList<Block>? blocks = null, DateTimeOffset? grantRevoked = null) => new()
    {
        VaultId = "v-owner",
        Status = status,
        Grants = [new Grant("g-hospital", GranteeKind.Establishment, Hospital, grantScope ?? DocumentScope.All, Now.AddDays(-30), null, "v-owner", grantRevoked, treating)],
        Referents = [new Referent(ReferentRpps, Service, new Consent(ReferentRpps, Now.AddDays(-30), ConsentMethod.SignedPaper, SocialOnly, Now.AddDays(300)))],
        Blocks = blocks ?? [],
    };

    private static DocumentFacts Doc(string type, string cls, bool masked = false, bool isPrivate = false) =>
        new("d-" + type, cls, type, new Visibility(masked, false, false), isPrivate, new Author(AuthorKind.Professional, "someone-else"));

    private static readonly DocumentFacts Letter = Doc("11490-0", "10");
    private static readonly DocumentFacts SocialReport = Doc("28653-4", "52");
    private static readonly DocumentFacts Residence = Doc("ATTEST-RESID", "52");
    private static readonly DocumentFacts Bio = Doc("11502-2", "10");

    private static Caller Nurse(string? finess) => Caller.Professional("rpps-nurse", "60", finess);
    private static Caller Educator(string? finess) => Caller.Professional("rpps-educator", "SOC-ES", finess);

    private static void Check(AccessDecision decision, R reason, B basis)
    {
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(basis, decision.Basis);
        Assert.Equal(reason == R.None, decision.Allowed);
    }

    [Fact]
    public void A_member_acting_for_an_establishment_the_person_granted_is_in_the_care_team()
    {
        var decision = Evaluator.Decide(Vault(), Nurse(Hospital), A.ReadDocument, Letter, Now);
        Check(decision, R.None, B.CareTeam);
        Assert.Contains(Hospital, decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("gave access", decision.Explanation, StringComparison.Ordinal);
        Check(Evaluator.Decide(Vault(), Nurse(Hospital), A.ReadVault, null, Now), R.None, B.CareTeam);
        Check(Evaluator.Decide(Vault(), Nurse(Hospital), A.ListDocuments, null, Now), R.None, B.CareTeam);
        // The matrix lets a nurse deposit a liaison letter; the care team's actions include create.
        Check(Evaluator.Decide(Vault(), Nurse(Hospital), A.CreateDocument, Letter, Now), R.None, B.CareTeam);
    }

    [Fact]
    public void A_member_acting_for_an_establishment_that_accompanies_the_person_is_in_the_care_team()
    {
        var decision = Evaluator.Decide(Vault(), Educator(Service), A.ReadDocument, SocialReport, Now);
        Check(decision, R.None, B.CareTeam);
        Assert.Contains(Service, decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("accompanies", decision.Explanation, StringComparison.Ordinal);
        // The referent themself keeps the Referent basis.
        Check(Evaluator.Decide(Vault(), Caller.Professional(ReferentRpps, "SOC-AS", Service), A.ReadDocument, SocialReport, Now), R.None, B.Referent);
    }

    [Fact]
    public void Without_an_active_membership_the_token_establishment_is_gone_and_so_is_the_care_team()
    {
        // The API drops the token's finess when the membership has ended or not started: the caller has no establishment.
        Check(Evaluator.Decide(Vault(), Nurse(null), A.ReadDocument, Letter, Now), R.NoBasis, B.None);
        Check(Evaluator.Decide(Vault(), Educator(null), A.ReadDocument, SocialReport, Now), R.NoBasis, B.None);
        Check(Evaluator.Decide(Vault(), Nurse(Elsewhere), A.ReadDocument, Letter, Now), R.NoBasis, B.None);
    }

    [Fact]
    public void The_grant_or_consent_scope_and_the_profession_rules_still_apply()
    {
        Check(Evaluator.Decide(Vault(grantScope: new DocumentScope(TypeCodes: ["11502-2"])), Nurse(Hospital), A.ReadDocument, Letter, Now), R.OutsideScope, B.None);
        Check(Evaluator.Decide(Vault(grantScope: new DocumentScope(TypeCodes: ["11502-2"])), Nurse(Hospital), A.ReadDocument, Bio, Now), R.None, B.CareTeam);
        // The consent covers social documents only.
        Check(Evaluator.Decide(Vault(), Educator(Service), A.ReadDocument, Letter, Now), R.OutsideScope, B.None);
        // A nurse does not read residence certificates, whatever the grant.
        Check(Evaluator.Decide(Vault(), Nurse(Hospital), A.ReadDocument, Residence, Now), R.ProfessionNotHabilitated, B.None);
        // An educator deposits social documents only.
        Check(Evaluator.Decide(Vault(), Educator(Service), A.CreateDocument, Residence, Now), R.None, B.CareTeam);
        // A revoked grant: expired basis.
        Check(Evaluator.Decide(Vault(grantRevoked: Now.AddDays(-1)), Nurse(Hospital), A.ReadDocument, Letter, Now), R.BasisExpired, B.None);
    }

    [Fact]
    public void The_care_team_never_sees_masked_or_private_documents_and_a_block_wins()
    {
        // Even when the establishment's grant is a treating-physician one: that exception is for the named professional only.
        Check(Evaluator.Decide(Vault(treating: true), Nurse(Hospital), A.ReadDocument, Doc("11490-0", "10", masked: true), Now), R.MaskedFromProfessionals, B.None);
        Check(Evaluator.Decide(Vault(), Nurse(Hospital), A.ReadDocument, Doc("11490-0", "10", isPrivate: true), Now), R.Private, B.None);
        Check(Evaluator.Decide(Vault(), Educator(Service), A.ReadDocument, Doc("28653-4", "52", masked: true), Now), R.MaskedFromProfessionals, B.None);
        Check(Evaluator.Decide(Vault(blocks: [new Block("rpps-nurse", Now.AddDays(-1), "v-owner")]), Nurse(Hospital), A.ReadDocument, Letter, Now), R.Blocked, B.None);
        // Never more than reading and depositing.
        Check(Evaluator.Decide(Vault(), Nurse(Hospital), A.ReadHistory, null, Now), R.NotPermitted, B.None);
        Check(Evaluator.Decide(Vault(), Nurse(Hospital), A.UpdateDocument, Letter, Now), R.NotPermitted, B.None);
    }

    [Fact]
    public void The_matrix_switches_the_care_team_off_or_narrows_it()
    {
        var off = new AccessEvaluator(MatrixWith(careTeam: null));
        Assert.False(off.Matrix.CareTeam.IsOn);
        Check(off.Decide(Vault(), Nurse(Hospital), A.ReadDocument, Letter, Now), R.NoBasis, B.None);
        Check(off.Decide(Vault(), Educator(Service), A.ReadDocument, SocialReport, Now), R.NoBasis, B.None);

        var accompanimentOnly = new AccessEvaluator(MatrixWith(new JsonObject { ["sources"] = new JsonArray("accompaniment"), ["actions"] = new JsonArray("read", "create") }));
        Check(accompanimentOnly.Decide(Vault(), Nurse(Hospital), A.ReadDocument, Letter, Now), R.NoBasis, B.None);
        Check(accompanimentOnly.Decide(Vault(), Educator(Service), A.ReadDocument, SocialReport, Now), R.None, B.CareTeam);

        var readOnly = new AccessEvaluator(MatrixWith(new JsonObject { ["sources"] = new JsonArray("establishment-grant", "accompaniment"), ["actions"] = new JsonArray("read") }));
        Check(readOnly.Decide(Vault(), Nurse(Hospital), A.ReadDocument, Letter, Now), R.None, B.CareTeam);
        var refused = readOnly.Decide(Vault(), Nurse(Hospital), A.CreateDocument, Letter, Now);
        Check(refused, R.NotPermitted, B.None);
        Assert.Contains("care team", refused.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "sources": ["friends"], "actions": ["read"] }""", "careTeam.sources[0]: unknown value 'friends'")]
    [InlineData("""{ "sources": ["accompaniment", "accompaniment"], "actions": ["read"] }""", "careTeam.sources[1]: 'accompaniment' is listed twice")]
    [InlineData("""{ "sources": ["accompaniment"], "actions": ["create"] }""", "careTeam.actions: 'create' needs 'read'")]
    [InlineData("""{ "sources": ["accompaniment"], "actions": ["read"], "members": true }""", "careTeam.members: unknown property")]
    [InlineData("""[]""", "careTeam: must be a JSON object")]
    public void A_wrong_care_team_rule_is_refused_naming_its_element(string careTeam, string expected)
    {
        var error = Assert.Throws<HabilitationMatrixException>(() => MatrixWith(JsonNode.Parse(careTeam)));
        Assert.Contains(error.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    // ---- the establishment's list, hand-over and end ----

    [Fact]
    public void The_list_of_accompanied_people_is_for_members_acting_for_the_establishment_its_system_and_directory_admins()
    {
        Check(AccessEvaluator.DecideAccompaniments(Educator(Service), Service), R.None, B.CareTeam);
        Check(AccessEvaluator.DecideAccompaniments(Caller.Establishment(Service, "client-1"), Service), R.None, B.CareTeam);
        Check(AccessEvaluator.DecideAccompaniments(Caller.Operator("op", OperatorRoles.DirectoryAdmin), Service), R.None, B.Operator);
        Check(AccessEvaluator.DecideAccompaniments(Caller.Operator("op", OperatorRoles.Support), Service), R.OperatorRoleMissing, B.None);
        Check(AccessEvaluator.DecideAccompaniments(Educator(Elsewhere), Service), R.NotPermitted, B.None);
        Check(AccessEvaluator.DecideAccompaniments(Educator(null), Service), R.NotPermitted, B.None);
        Check(AccessEvaluator.DecideAccompaniments(Caller.Establishment(Elsewhere, "client-2"), Service), R.NotPermitted, B.None);
        Check(AccessEvaluator.DecideAccompaniments(Caller.Patient("v-owner"), Service), R.NotPermitted, B.None);
        Check(AccessEvaluator.DecideAccompaniments(Caller.Anonymous, Service), R.NotAuthenticated, B.None);
        Check(AccessEvaluator.DecideAccompaniments(Educator(Service) with { Standing = DirectoryStanding.Suspended }, Service), R.Suspended, B.None);
    }

    [Fact]
    public void A_mandate_is_handed_over_by_its_referent_or_an_admin_member_acting_for_the_establishment()
    {
        var referent = Caller.Professional(ReferentRpps, "SOC-AS", null);
        Check(HandOver(Vault(), referent, Service, admin: false), R.None, B.Referent);
        Check(HandOver(Vault(), Educator(Service), Service, admin: true), R.None, B.CareTeam);
        Check(HandOver(Vault(), Educator(Service), Service, admin: false), R.NotPermitted, B.None);
        Check(AccessEvaluator.DecideAccompanimentChange(Vault(), Educator(Service), AccompanimentChange.HandOver, Service, "rpps-nobody", true, Now), R.NoBasis, B.None);
        Check(HandOver(Vault(), Educator(Elsewhere), Service, admin: true), R.NotPermitted, B.None);
        Check(HandOver(Vault(), Caller.Establishment(Service, "client-1"), Service, admin: false), R.NotPermitted, B.None);
        Check(HandOver(Vault(), Caller.Operator("op"), Service, admin: false), R.NotPermitted, B.None);
        Check(HandOver(Vault(status: VaultStatus.Closed), referent, Service, admin: false), R.VaultNotActive, B.None);
        Check(HandOver(Vault(blocks: [new Block("rpps-educator", Now, "v-owner")]), Educator(Service), Service, admin: true), R.Blocked, B.None);
    }

    [Fact]
    public void An_accompaniment_is_ended_by_an_admin_member_the_establishment_system_or_a_referent_acting_for_it()
    {
        Check(End(Vault(), Caller.Establishment(Service, "client-1"), admin: false), R.None, B.CareTeam);
        Check(End(Vault(), Educator(Service), admin: true), R.None, B.CareTeam);
        Check(End(Vault(), Caller.Professional(ReferentRpps, "SOC-AS", Service), admin: false), R.None, B.Referent);
        Check(End(Vault(), Educator(Service), admin: false), R.NotPermitted, B.None);
        Check(End(Vault(), Caller.Operator("op"), admin: false), R.NotPermitted, B.None);
        Check(End(Vault(), Caller.Patient("v-owner"), admin: false), R.NotPermitted, B.None);
        Check(End(Vault(), Caller.Anonymous, admin: false), R.NotAuthenticated, B.None);
        // An establishment that holds no mandate here (a grant is not a mandate) has nothing to end.
        Check(End(Vault(), Caller.Establishment(Hospital, "client-3"), admin: false), R.NoBasis, B.None);
        Check(End(Vault(), Nurse(Hospital), admin: true), R.NoBasis, B.None);
    }

    private static AccessDecision HandOver(VaultAccessState vault, Caller caller, string finess, bool admin) =>
        AccessEvaluator.DecideAccompanimentChange(vault, caller, AccompanimentChange.HandOver, finess, ReferentRpps, admin, Now);

    private static AccessDecision End(VaultAccessState vault, Caller caller, bool admin) =>
        AccessEvaluator.DecideAccompanimentChange(vault, caller, AccompanimentChange.End, caller.EstablishmentFiness, null, admin, Now);

    /// <summary>The embedded matrix with its <c>careTeam</c> replaced (null: removed).</summary>
    private static HabilitationMatrix MatrixWith(JsonNode? careTeam)
    {
        using var stream = typeof(HabilitationMatrix).Assembly.GetManifestResourceStream(HabilitationMatrix.ResourceName)!;
        var root = JsonNode.Parse(stream)!.AsObject();
        root.Remove("careTeam");
        if (careTeam is not null)
        {
            root["careTeam"] = careTeam;
        }
        return HabilitationMatrix.Parse(root.ToJsonString());
    }
}
