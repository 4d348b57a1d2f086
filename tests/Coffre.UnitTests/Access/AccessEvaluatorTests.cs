using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Xunit;
using A = Coffre.Domain.Access.VaultAction;
using B = Coffre.Domain.Access.LegalBasis;
using R = Coffre.Domain.Access.DenialReason;

namespace Coffre.UnitTests.Access;

/// <summary>
/// Rows read: vault status, caller, action, document → expected reason and basis. One vault holds every relationship;
/// each professional caller's RPPS is its key, so the key says what the vault holds for them.
/// </summary>
public sealed class AccessEvaluatorTests
{
    private const string VaultId = "vault-owner";
    private const string Finess = "750000001";
    private static readonly DateTimeOffset Now = new(2026, 11, 15, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Past = Now.AddDays(-10);
    private static readonly DateTimeOffset LongAgo = Now.AddYears(-2);
    private static readonly DateTimeOffset Future = Now.AddDays(10);
    private static readonly AccessEvaluator Evaluator = new(HabilitationMatrix.Default);

    // ---- Callers ----

    private static readonly Dictionary<string, Caller> Callers = new()
    {
        ["anonymous"] = Caller.Anonymous,
        ["owner"] = Caller.Patient(VaultId),
        ["stranger"] = Caller.Patient("vault-stranger"),
        ["parent"] = Caller.Patient("vault-parent"),
        ["tutor"] = Caller.Patient("vault-tutor"),
        ["curator"] = Caller.Patient("vault-curator"),
        ["curator-consented"] = Caller.Patient("vault-curator-ok"),
        ["former-parent"] = Caller.Patient("vault-former"),
        ["future-tutor"] = Caller.Patient("vault-future"),
        ["operator"] = Caller.Operator("ops-1"),
        ["doctor"] = Pro("doctor", "10"),
        ["treating"] = Pro("treating", "10"),
        ["doctor-expired"] = Pro("doctor-expired", "10"),
        ["doctor-revoked"] = Pro("doctor-revoked", "10"),
        ["doctor-future"] = Pro("doctor-future", "10"),
        ["doctor-renewed"] = Pro("doctor-renewed", "10"),
        ["doctor-bio-only"] = Pro("doctor-bio-only", "10"),
        ["doctor-none"] = Pro("doctor-none", "10"),
        ["doctor-blocked"] = Pro("doctor-blocked", "10"),
        ["doctor-referent"] = Pro("doctor-referent", "10"),
        ["dentist"] = Pro("dentist", "40"),
        ["podiatrist"] = Pro("podiatrist", "80"),
        ["pharmacist"] = Pro("pharmacist", "21"),
        ["kine"] = Pro("kine", "70"),
        ["midwife"] = Pro("midwife", "50"),
        ["emergency"] = Pro("emergency", "10"),
        ["emergency-nurse"] = Pro("emergency-nurse", "60"),
        ["emergency-expired"] = Pro("emergency-expired", "10"),
        ["emergency-blocked"] = Pro("emergency-blocked", "10"),
        ["ward-nurse"] = Pro("ward-nurse", "60", Finess),
        ["other-nurse"] = Pro("other-nurse", "60", "750000002"),
        ["social"] = Pro("social", "SOC-AS"),
        ["social-attest"] = Pro("social-attest", "SOC-AS"),
        ["social-expired"] = Pro("social-expired", "SOC-AS"),
        ["social-revoked"] = Pro("social-revoked", "SOC-AS"),
        ["social-blocked"] = Pro("social-blocked", "SOC-AS"),
        ["social-none"] = Pro("social-none", "SOC-CESF"),
        ["educator-grant"] = Pro("educator-grant", "SOC-ES"),
        ["aes"] = Pro("aes", "MS-AES"),
        ["unknown-profession"] = Pro("unknown-profession", "99"),
        ["incomplete"] = new Caller(CallerKind.Professional, "rpps:?", Rpps: null, ProfessionCode: null, Standing: DirectoryStanding.Active),
    };

    private static Caller Pro(string key, string profession, string? finess = null) => Caller.Professional(Id(key), profession, finess);

    /// <summary>The RPPS of the professional caller named <paramref name="key"/>.</summary>
    private static string Id(string key) => "rpps-" + key;

    // ---- The vault ----

    private static readonly DocumentScope BiologyOnly = new(TypeCodes: ["11502-2"]);
    private static readonly DocumentScope CoverageOnly = new(TypeCodes: ["ATTEST-DROITS-AM"]);

    private static VaultAccessState Vault(VaultStatus status) => new()
    {
        VaultId = VaultId,
        Status = status,
        Representatives =
        [
            new LegalRepresentative("vault-parent", RepresentationKind.Parent, LongAgo, null, "ops"),
            new LegalRepresentative("vault-tutor", RepresentationKind.Tutor, LongAgo, Future, "ops"),
            new LegalRepresentative("vault-curator", RepresentationKind.Curator, LongAgo, null, "ops"),
            new LegalRepresentative("vault-curator-ok", RepresentationKind.Curator, LongAgo, null, "ops", PersonConsentedAt: Past),
            new LegalRepresentative("vault-former", RepresentationKind.Parent, LongAgo, Past, "ops"),
            new LegalRepresentative("vault-future", RepresentationKind.Tutor, Future, null, "ops"),
        ],
        Grants =
        [
            GrantTo("doctor"),
            GrantTo("treating", treating: true),
            GrantTo("doctor-expired", expires: Past),
            GrantTo("doctor-revoked", revoked: Past),
            GrantTo("doctor-future", from: Future),
            GrantTo("doctor-renewed", expires: Past),
            GrantTo("doctor-renewed", from: Past),
            GrantTo("doctor-bio-only", scope: BiologyOnly),
            GrantTo("doctor-blocked"),
            GrantTo("dentist"),
            GrantTo("podiatrist"),
            GrantTo("pharmacist"),
            GrantTo("kine"),
            GrantTo("educator-grant"),
            GrantTo("unknown-profession"),
            new Grant("g-finess", GranteeKind.Establishment, Finess, DocumentScope.All, LongAgo, null, VaultId),
        ],
        Referents =
        [
            ReferentOf("social"),
            ReferentOf("social-attest", CoverageOnly),
            ReferentOf("social-expired", expires: Past),
            ReferentOf("social-revoked", revoked: Past),
            ReferentOf("social-blocked"),
            ReferentOf("aes"),
            ReferentOf("doctor-referent"),
        ],
        Blocks =
        [
            new Block(Id("doctor-blocked"), Past, VaultId),
            new Block(Id("emergency-blocked"), Past, VaultId),
            new Block(Id("social-blocked"), Past, VaultId),
        ],
        BreakGlassSessions =
        [
            new BreakGlassSession(Id("emergency"), "unconscious at admission", Now.AddMinutes(-10), Now.AddMinutes(50)),
            new BreakGlassSession(Id("emergency-nurse"), "unconscious at admission", Now.AddMinutes(-10), Now.AddMinutes(50)),
            new BreakGlassSession(Id("emergency-expired"), "unconscious at admission", Now.AddHours(-3), Now.AddHours(-2)),
            new BreakGlassSession(Id("emergency-blocked"), "unconscious at admission", Now.AddMinutes(-10), Now.AddMinutes(50)),
        ],
    };

    private static Grant GrantTo(string rpps, DocumentScope? scope = null, DateTimeOffset? from = null, DateTimeOffset? expires = null, DateTimeOffset? revoked = null, bool treating = false) =>
        new("g-" + rpps, GranteeKind.Professional, Id(rpps), scope ?? DocumentScope.All, from ?? LongAgo, expires, VaultId, revoked, treating);

    private static Referent ReferentOf(string rpps, DocumentScope? scope = null, DateTimeOffset? expires = null, DateTimeOffset? revoked = null) =>
        new(Id(rpps), Finess, new Consent(Id(rpps), LongAgo, ConsentMethod.SignedPaper, scope ?? DocumentScope.All, expires ?? Future), revoked);

    private static readonly Dictionary<string, VaultAccessState> Vaults = new()
    {
        ["active"] = Vault(VaultStatus.Active),
        ["pending"] = Vault(VaultStatus.Pending),
        ["closed"] = Vault(VaultStatus.Closed),
    };

    // ---- Documents ----

    private static readonly Author SomeoneElse = new(AuthorKind.Professional, "someone-else");

    private static DocumentFacts Doc(string type, string cls, bool masked = false, bool hiddenFromPatient = false, bool hiddenFromReps = false, bool isPrivate = false, Author? author = null, bool deleted = false) =>
        new("doc-" + type, cls, type, new Visibility(masked, hiddenFromPatient, hiddenFromReps), isPrivate, author ?? SomeoneElse, deleted);

    private static readonly Dictionary<string, DocumentFacts?> Docs = new()
    {
        ["none"] = null,
        ["letter"] = Doc("11490-0", "10"),
        ["bio"] = Doc("11502-2", "10"),
        ["summary"] = Doc("60591-5", "11"),
        ["directives"] = Doc("EXPPAT_3", "52"),
        ["directives-loinc"] = Doc("42348-3", "52"),
        ["delivery"] = Doc("15508-5", "10"),
        ["care-prescription"] = Doc("57832-8", "42"),
        ["imaging"] = Doc("18748-4", "31"),
        ["dispensation"] = Doc("60593-1", "43"),
        ["attest"] = Doc("ATTEST-DROITS-AM", "52"),
        ["residence"] = Doc("ATTEST-RESID", "52"),
        ["id-card"] = Doc("PIECE-IDENTITE", "90"),
        ["social-report"] = Doc("28653-4", "52"),
        ["esms-exit"] = Doc("83981-1", "10"),
        ["esms-entry"] = Doc("88348-8", "10"),
        ["docpat"] = Doc("DOCPAT03", "90"),
        ["masked"] = Doc("11490-0", "10", masked: true),
        ["masked-summary"] = Doc("60591-5", "11", masked: true),
        ["masked-social-report"] = Doc("28653-4", "52", masked: true),
        ["masked-by-doctor-none"] = Doc("11490-0", "10", masked: true, author: new Author(AuthorKind.Professional, Id("doctor-none"))),
        ["private"] = Doc("11490-0", "10", isPrivate: true),
        ["private-summary"] = Doc("60591-5", "11", isPrivate: true),
        ["private-social-report"] = Doc("28653-4", "52", isPrivate: true),
        ["private-by-doctor-none"] = Doc("11490-0", "10", isPrivate: true, author: new Author(AuthorKind.Professional, Id("doctor-none"))),
        ["by-doctor-none"] = Doc("11490-0", "10", author: new Author(AuthorKind.Professional, Id("doctor-none"))),
        ["by-doctor-blocked"] = Doc("11490-0", "10", author: new Author(AuthorKind.Professional, Id("doctor-blocked"))),
        ["directives-by-dentist"] = Doc("EXPPAT_3", "52", author: new Author(AuthorKind.Professional, Id("dentist"))),
        ["by-social"] = Doc("28653-4", "52", author: new Author(AuthorKind.Referent, Id("social"), Finess)),
        ["by-person-named-doctor-none"] = Doc("11490-0", "10", author: new Author(AuthorKind.Person, Id("doctor-none"))),
        ["hidden-from-patient"] = Doc("11502-2", "10", hiddenFromPatient: true),
        ["hidden-from-reps"] = Doc("11490-0", "10", hiddenFromReps: true),
        ["deleted"] = Doc("11490-0", "10", deleted: true),
        ["deleted-by-doctor-none"] = Doc("11490-0", "10", deleted: true, author: new Author(AuthorKind.Professional, Id("doctor-none"))),
    };

    private static AccessDecision Decide(string vault, string caller, A action, string document) =>
        Evaluator.Decide(Vaults[vault], Callers[caller], action, Docs[document], Now);

    private static void Check(AccessDecision decision, R reason, B basis)
    {
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(basis, decision.Basis);
        Assert.Equal(reason == R.None, decision.Allowed);
        Assert.False(string.IsNullOrWhiteSpace(decision.Explanation));
    }

    // ---- 1. Each caller kind × each action, on an Active vault ----

    [Theory]
    [InlineData(A.ReadVault)]
    [InlineData(A.ListDocuments)]
    [InlineData(A.ReadDocument)]
    [InlineData(A.CreateDocument)]
    [InlineData(A.UpdateDocument)]
    [InlineData(A.DeleteDocument)]
    [InlineData(A.ReadHistory)]
    [InlineData(A.ManageAccess)]
    [InlineData(A.ManageReferents)]
    [InlineData(A.ManageRepresentatives)]
    [InlineData(A.BreakGlass)]
    [InlineData(A.ManageLifecycle)]
    public void Anonymous_is_never_let_in(A action)
    {
        foreach (var vault in Vaults.Keys)
        {
            Check(Decide(vault, "anonymous", action, "letter"), R.NotAuthenticated, B.None);
        }
    }

    [Theory]
    // Owner: everything but break-glass.
    [InlineData("owner", A.ReadVault, "none", R.None, B.Owner)]
    [InlineData("owner", A.ListDocuments, "none", R.None, B.Owner)]
    [InlineData("owner", A.ReadDocument, "letter", R.None, B.Owner)]
    [InlineData("owner", A.CreateDocument, "letter", R.None, B.Owner)]
    [InlineData("owner", A.UpdateDocument, "letter", R.None, B.Owner)]
    [InlineData("owner", A.DeleteDocument, "letter", R.None, B.Owner)]
    [InlineData("owner", A.ReadHistory, "none", R.None, B.Owner)]
    [InlineData("owner", A.ManageAccess, "none", R.None, B.Owner)]
    [InlineData("owner", A.ManageReferents, "none", R.None, B.Owner)]
    [InlineData("owner", A.ManageRepresentatives, "none", R.NotPermitted, B.None)]
    [InlineData("owner", A.BreakGlass, "none", R.NotPermitted, B.None)]
    [InlineData("owner", A.ManageLifecycle, "none", R.None, B.Owner)]
    // Parent: as the owner.
    [InlineData("parent", A.ReadVault, "none", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.ListDocuments, "none", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.ReadDocument, "letter", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.CreateDocument, "letter", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.UpdateDocument, "letter", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.DeleteDocument, "letter", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.ReadHistory, "none", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.ManageAccess, "none", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.ManageReferents, "none", R.None, B.LegalRepresentative)]
    [InlineData("parent", A.ManageRepresentatives, "none", R.NotPermitted, B.None)]
    [InlineData("parent", A.BreakGlass, "none", R.NotPermitted, B.None)]
    [InlineData("parent", A.ManageLifecycle, "none", R.None, B.LegalRepresentative)]
    // Curator with the person's consent: see, add, history; nothing else.
    [InlineData("curator-consented", A.ReadVault, "none", R.None, B.LegalRepresentative)]
    [InlineData("curator-consented", A.ListDocuments, "none", R.None, B.LegalRepresentative)]
    [InlineData("curator-consented", A.ReadDocument, "letter", R.None, B.LegalRepresentative)]
    [InlineData("curator-consented", A.CreateDocument, "letter", R.None, B.LegalRepresentative)]
    [InlineData("curator-consented", A.UpdateDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("curator-consented", A.DeleteDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("curator-consented", A.ReadHistory, "none", R.None, B.LegalRepresentative)]
    [InlineData("curator-consented", A.ManageAccess, "none", R.NotPermitted, B.None)]
    [InlineData("curator-consented", A.ManageReferents, "none", R.NotPermitted, B.None)]
    [InlineData("curator-consented", A.ManageRepresentatives, "none", R.NotPermitted, B.None)]
    [InlineData("curator-consented", A.BreakGlass, "none", R.NotPermitted, B.None)]
    [InlineData("curator-consented", A.ManageLifecycle, "none", R.NotPermitted, B.None)]
    // Operator: status and lifecycle only.
    [InlineData("operator", A.ReadVault, "none", R.None, B.Operator)]
    [InlineData("operator", A.ListDocuments, "none", R.NotPermitted, B.None)]
    [InlineData("operator", A.ReadDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("operator", A.CreateDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("operator", A.UpdateDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("operator", A.DeleteDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("operator", A.ReadHistory, "none", R.NotPermitted, B.None)]
    [InlineData("operator", A.ManageAccess, "none", R.NotPermitted, B.None)]
    [InlineData("operator", A.ManageReferents, "none", R.NotPermitted, B.None)]
    [InlineData("operator", A.ManageRepresentatives, "none", R.None, B.Operator)]
    [InlineData("operator", A.BreakGlass, "none", R.NotPermitted, B.None)]
    [InlineData("operator", A.ManageLifecycle, "none", R.None, B.Operator)]
    // Doctor with a grant.
    [InlineData("doctor", A.ReadVault, "none", R.None, B.Grant)]
    [InlineData("doctor", A.ListDocuments, "none", R.None, B.Grant)]
    [InlineData("doctor", A.ReadDocument, "letter", R.None, B.Grant)]
    [InlineData("doctor", A.CreateDocument, "letter", R.None, B.Grant)]
    [InlineData("doctor", A.UpdateDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("doctor", A.DeleteDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("doctor", A.ReadHistory, "none", R.NotPermitted, B.None)]
    [InlineData("doctor", A.ManageAccess, "none", R.NotPermitted, B.None)]
    [InlineData("doctor", A.ManageReferents, "none", R.NotPermitted, B.None)]
    [InlineData("doctor", A.ManageRepresentatives, "none", R.NotPermitted, B.None)]
    [InlineData("doctor", A.BreakGlass, "none", R.None, B.BreakGlass)]
    [InlineData("doctor", A.ManageLifecycle, "none", R.NotPermitted, B.None)]
    // Social worker who is the person's referent.
    [InlineData("social", A.ReadVault, "none", R.None, B.Referent)]
    [InlineData("social", A.ListDocuments, "none", R.None, B.Referent)]
    [InlineData("social", A.ReadDocument, "social-report", R.None, B.Referent)]
    [InlineData("social", A.CreateDocument, "social-report", R.None, B.Referent)]
    [InlineData("social", A.UpdateDocument, "social-report", R.NotPermitted, B.None)]
    [InlineData("social", A.DeleteDocument, "social-report", R.NotPermitted, B.None)]
    [InlineData("social", A.ReadHistory, "none", R.NotPermitted, B.None)]
    [InlineData("social", A.ManageAccess, "none", R.NotPermitted, B.None)]
    [InlineData("social", A.ManageReferents, "none", R.None, B.Referent)]
    [InlineData("social", A.ManageRepresentatives, "none", R.NotPermitted, B.None)]
    [InlineData("social", A.BreakGlass, "none", R.ProfessionNotHabilitated, B.None)]
    [InlineData("social", A.ManageLifecycle, "none", R.NotPermitted, B.None)]
    // A patient with no role on this vault.
    [InlineData("stranger", A.ReadVault, "none", R.NotPermitted, B.None)]
    [InlineData("stranger", A.ReadDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("stranger", A.ManageAccess, "none", R.NotPermitted, B.None)]
    [InlineData("stranger", A.BreakGlass, "none", R.NotPermitted, B.None)]
    // Identity, merges and the history's chain: operators (support), active referents for identity, the evaluator explains each.
    [InlineData("operator", A.ManageIdentity, "none", R.None, B.Operator)]
    [InlineData("social", A.ManageIdentity, "none", R.None, B.Referent)]
    [InlineData("social-expired", A.ManageIdentity, "none", R.NotPermitted, B.None)]
    [InlineData("doctor", A.ManageIdentity, "none", R.NotPermitted, B.None)]
    [InlineData("owner", A.ManageIdentity, "none", R.NotPermitted, B.None)]
    [InlineData("operator", A.MergeVaults, "none", R.None, B.Operator)]
    [InlineData("owner", A.MergeVaults, "none", R.NotPermitted, B.None)]
    [InlineData("social", A.MergeVaults, "none", R.NotPermitted, B.None)]
    [InlineData("operator", A.VerifyHistory, "none", R.None, B.Operator)]
    [InlineData("owner", A.VerifyHistory, "none", R.None, B.Owner)]
    [InlineData("parent", A.VerifyHistory, "none", R.None, B.LegalRepresentative)]
    [InlineData("doctor", A.VerifyHistory, "none", R.NotPermitted, B.None)]
    // A referent ends their own mandate, even when the person blocked them or it already expired; nobody else "leaves".
    [InlineData("social", A.LeaveMandate, "none", R.None, B.Referent)]
    [InlineData("social-blocked", A.LeaveMandate, "none", R.None, B.Referent)]
    [InlineData("social-expired", A.LeaveMandate, "none", R.None, B.Referent)]
    [InlineData("doctor", A.LeaveMandate, "none", R.NoBasis, B.None)]
    [InlineData("owner", A.LeaveMandate, "none", R.NoBasis, B.None)]
    [InlineData("operator", A.LeaveMandate, "none", R.NotPermitted, B.None)]
    public void Caller_kind_by_action_on_an_active_vault(string caller, A action, string document, R reason, B basis) =>
        Check(Decide("active", caller, action, document), reason, basis);

    // ---- 2. Scenarios ----

    [Theory]
    // Masking (MASQUE_PS): author and treating physician still see it; the owner always does.
    [InlineData("active", "doctor", A.ReadDocument, "masked", R.MaskedFromProfessionals, B.None)]
    [InlineData("active", "doctor", A.ListDocuments, "masked", R.MaskedFromProfessionals, B.None)]
    [InlineData("active", "treating", A.ReadDocument, "masked", R.None, B.Grant)]
    [InlineData("active", "doctor-none", A.ReadDocument, "masked-by-doctor-none", R.None, B.Author)]
    [InlineData("active", "social", A.ReadDocument, "masked-social-report", R.MaskedFromProfessionals, B.None)]
    [InlineData("active", "emergency", A.ReadDocument, "masked-summary", R.MaskedFromProfessionals, B.None)]
    [InlineData("active", "owner", A.ReadDocument, "masked", R.None, B.Owner)]
    [InlineData("active", "doctor", A.CreateDocument, "masked", R.None, B.Grant)]
    // Blocks beat every basis, authorship included.
    [InlineData("active", "doctor-blocked", A.ReadDocument, "letter", R.Blocked, B.None)]
    [InlineData("active", "doctor-blocked", A.ReadVault, "none", R.Blocked, B.None)]
    [InlineData("active", "doctor-blocked", A.ReadDocument, "by-doctor-blocked", R.Blocked, B.None)]
    [InlineData("active", "social-blocked", A.ReadDocument, "social-report", R.Blocked, B.None)]
    [InlineData("active", "social-blocked", A.ManageReferents, "none", R.Blocked, B.None)]
    [InlineData("active", "emergency-blocked", A.ReadDocument, "summary", R.Blocked, B.None)]
    [InlineData("active", "emergency-blocked", A.BreakGlass, "none", R.Blocked, B.None)]
    // Expiry: expired or revoked vs not started vs none.
    [InlineData("active", "doctor-expired", A.ReadDocument, "letter", R.BasisExpired, B.None)]
    [InlineData("active", "doctor-expired", A.ReadVault, "none", R.BasisExpired, B.None)]
    [InlineData("active", "doctor-revoked", A.ReadDocument, "letter", R.BasisExpired, B.None)]
    [InlineData("active", "doctor-future", A.ReadDocument, "letter", R.NoBasis, B.None)]
    [InlineData("active", "doctor-renewed", A.ReadDocument, "letter", R.None, B.Grant)]
    [InlineData("active", "doctor-none", A.ReadDocument, "letter", R.NoBasis, B.None)]
    [InlineData("active", "doctor-none", A.ReadVault, "none", R.NoBasis, B.None)]
    [InlineData("active", "social-expired", A.ReadDocument, "social-report", R.BasisExpired, B.None)]
    [InlineData("active", "social-revoked", A.ReadVault, "none", R.BasisExpired, B.None)]
    [InlineData("active", "social-expired", A.ManageReferents, "none", R.BasisExpired, B.None)]
    [InlineData("active", "former-parent", A.ReadVault, "none", R.BasisExpired, B.None)]
    [InlineData("active", "former-parent", A.ReadDocument, "letter", R.BasisExpired, B.None)]
    [InlineData("active", "future-tutor", A.ReadVault, "none", R.NoBasis, B.None)]
    // Representatives.
    [InlineData("active", "parent", A.ReadDocument, "hidden-from-reps", R.HiddenFromRepresentatives, B.None)]
    [InlineData("active", "parent", A.ListDocuments, "hidden-from-reps", R.HiddenFromRepresentatives, B.None)]
    [InlineData("active", "tutor", A.ReadDocument, "hidden-from-reps", R.HiddenFromRepresentatives, B.None)]
    [InlineData("active", "owner", A.ReadDocument, "hidden-from-reps", R.None, B.Owner)]
    [InlineData("active", "parent", A.ReadDocument, "hidden-from-patient", R.HiddenFromPatient, B.None)]
    [InlineData("active", "parent", A.ReadDocument, "private", R.None, B.LegalRepresentative)]
    [InlineData("active", "parent", A.DeleteDocument, "deleted", R.DocumentDeleted, B.None)]
    [InlineData("active", "tutor", A.ManageRepresentatives, "none", R.NotPermitted, B.None)]
    [InlineData("active", "curator", A.ReadDocument, "letter", R.ConsentRequired, B.None)]
    [InlineData("active", "curator", A.ReadVault, "none", R.ConsentRequired, B.None)]
    [InlineData("active", "curator", A.ManageAccess, "none", R.NotPermitted, B.None)]
    [InlineData("active", "curator-consented", A.ReadDocument, "hidden-from-reps", R.HiddenFromRepresentatives, B.None)]
    // Referents: consent scope, matrix, and who may record consent.
    [InlineData("active", "social-attest", A.ReadDocument, "attest", R.None, B.Referent)]
    [InlineData("active", "social-attest", A.ReadDocument, "residence", R.OutsideScope, B.None)]
    [InlineData("active", "social-attest", A.CreateDocument, "residence", R.OutsideScope, B.None)]
    [InlineData("active", "social-attest", A.ReadVault, "none", R.None, B.Referent)]
    [InlineData("active", "social", A.ReadDocument, "letter", R.None, B.Referent)]
    [InlineData("active", "social", A.ReadDocument, "esms-exit", R.None, B.Referent)]
    [InlineData("active", "social", A.ReadDocument, "attest", R.None, B.Referent)]
    [InlineData("active", "social", A.ReadDocument, "id-card", R.None, B.Referent)]
    [InlineData("active", "social", A.ReadDocument, "bio", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "social", A.ReadDocument, "imaging", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "social", A.ListDocuments, "bio", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "social", A.CreateDocument, "letter", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "social", A.CreateDocument, "docpat", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "social", A.CreateDocument, "id-card", R.None, B.Referent)]
    [InlineData("active", "social", A.UpdateDocument, "by-social", R.None, B.Author)]
    [InlineData("active", "aes", A.ReadDocument, "esms-entry", R.None, B.Referent)]
    [InlineData("active", "aes", A.ReadDocument, "bio", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "aes", A.ManageReferents, "none", R.None, B.Referent)]
    [InlineData("active", "doctor-referent", A.ReadDocument, "bio", R.None, B.Referent)]
    [InlineData("active", "doctor-referent", A.ManageReferents, "none", R.NotPermitted, B.None)]
    [InlineData("active", "educator-grant", A.ManageReferents, "none", R.NotPermitted, B.None)]
    [InlineData("active", "educator-grant", A.ReadDocument, "residence", R.None, B.Grant)]
    [InlineData("active", "social-none", A.ReadDocument, "residence", R.NoBasis, B.None)]
    // Grant scope, and grants to an establishment (FINESS).
    [InlineData("active", "doctor-bio-only", A.ReadDocument, "bio", R.None, B.Grant)]
    [InlineData("active", "doctor-bio-only", A.ReadDocument, "letter", R.OutsideScope, B.None)]
    [InlineData("active", "doctor-bio-only", A.ListDocuments, "letter", R.OutsideScope, B.None)]
    [InlineData("active", "doctor-bio-only", A.ReadVault, "none", R.None, B.Grant)]
    [InlineData("active", "ward-nurse", A.ReadDocument, "letter", R.None, B.CareTeam)]
    [InlineData("active", "ward-nurse", A.ReadVault, "none", R.None, B.CareTeam)]
    [InlineData("active", "other-nurse", A.ReadDocument, "letter", R.NoBasis, B.None)]
    // Break-glass: emergency scope only, never masked or private, read only, eligible professions only.
    [InlineData("active", "emergency", A.ReadDocument, "summary", R.None, B.BreakGlass)]
    [InlineData("active", "emergency", A.ReadDocument, "bio", R.None, B.BreakGlass)]
    [InlineData("active", "emergency", A.ReadDocument, "directives", R.None, B.BreakGlass)]
    [InlineData("active", "emergency", A.ReadDocument, "letter", R.OutsideEmergencyScope, B.None)]
    [InlineData("active", "emergency", A.ListDocuments, "letter", R.OutsideEmergencyScope, B.None)]
    [InlineData("active", "emergency", A.ReadDocument, "private-summary", R.Private, B.None)]
    [InlineData("active", "emergency", A.ReadVault, "none", R.None, B.BreakGlass)]
    [InlineData("active", "emergency", A.ListDocuments, "none", R.None, B.BreakGlass)]
    [InlineData("active", "emergency", A.CreateDocument, "letter", R.NotPermitted, B.None)]
    [InlineData("active", "emergency", A.UpdateDocument, "summary", R.NotPermitted, B.None)]
    [InlineData("active", "emergency-nurse", A.ReadDocument, "summary", R.None, B.BreakGlass)]
    [InlineData("active", "emergency-expired", A.ReadDocument, "summary", R.BasisExpired, B.None)]
    [InlineData("active", "emergency-expired", A.BreakGlass, "none", R.None, B.BreakGlass)]
    [InlineData("active", "doctor-none", A.BreakGlass, "none", R.None, B.BreakGlass)]
    [InlineData("active", "midwife", A.BreakGlass, "none", R.None, B.BreakGlass)]
    [InlineData("active", "kine", A.BreakGlass, "none", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "dentist", A.BreakGlass, "none", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "pharmacist", A.BreakGlass, "none", R.ProfessionNotHabilitated, B.None)]
    [InlineData("pending", "doctor-none", A.BreakGlass, "none", R.None, B.BreakGlass)]
    [InlineData("closed", "doctor-none", A.BreakGlass, "none", R.VaultNotActive, B.None)]
    // Private items: never for professionals, authors included.
    [InlineData("active", "doctor", A.ReadDocument, "private", R.Private, B.None)]
    [InlineData("active", "treating", A.ReadDocument, "private", R.Private, B.None)]
    [InlineData("active", "social", A.ReadDocument, "private-social-report", R.Private, B.None)]
    [InlineData("active", "doctor-none", A.ReadDocument, "private-by-doctor-none", R.Private, B.None)]
    [InlineData("active", "doctor", A.CreateDocument, "private", R.Private, B.None)]
    [InlineData("active", "owner", A.ReadDocument, "private", R.None, B.Owner)]
    // InvisibleToPatient: hidden from the person and representatives, not from professionals.
    [InlineData("active", "owner", A.ReadDocument, "hidden-from-patient", R.HiddenFromPatient, B.None)]
    [InlineData("active", "owner", A.ListDocuments, "hidden-from-patient", R.HiddenFromPatient, B.None)]
    [InlineData("active", "owner", A.DeleteDocument, "hidden-from-patient", R.HiddenFromPatient, B.None)]
    [InlineData("active", "doctor", A.ReadDocument, "hidden-from-patient", R.None, B.Grant)]
    // The matrix, through the evaluator.
    [InlineData("active", "dentist", A.ReadDocument, "directives", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "dentist", A.ReadDocument, "directives-loinc", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "dentist", A.ReadDocument, "bio", R.None, B.Grant)]
    [InlineData("active", "podiatrist", A.ReadDocument, "delivery", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "podiatrist", A.ReadDocument, "care-prescription", R.None, B.Grant)]
    [InlineData("active", "pharmacist", A.CreateDocument, "dispensation", R.None, B.Grant)]
    [InlineData("active", "doctor", A.CreateDocument, "dispensation", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "doctor", A.CreateDocument, "docpat", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "doctor", A.ReadDocument, "attest", R.None, B.Grant)]
    [InlineData("active", "doctor", A.ReadDocument, "residence", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "doctor", A.ReadDocument, "id-card", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "kine", A.ReadDocument, "letter", R.None, B.Grant)]
    // Authors: read and update their own documents, matrix not consulted; never create or delete on authorship alone.
    [InlineData("active", "doctor-none", A.ReadDocument, "by-doctor-none", R.None, B.Author)]
    [InlineData("active", "doctor-none", A.ListDocuments, "by-doctor-none", R.None, B.Author)]
    [InlineData("active", "doctor-none", A.UpdateDocument, "by-doctor-none", R.None, B.Author)]
    [InlineData("active", "doctor-none", A.UpdateDocument, "deleted-by-doctor-none", R.DocumentDeleted, B.None)]
    [InlineData("active", "doctor-none", A.CreateDocument, "by-doctor-none", R.NoBasis, B.None)]
    [InlineData("active", "doctor-none", A.DeleteDocument, "by-doctor-none", R.NotPermitted, B.None)]
    [InlineData("active", "doctor-none", A.ReadDocument, "by-person-named-doctor-none", R.NoBasis, B.None)]
    [InlineData("active", "dentist", A.ReadDocument, "directives-by-dentist", R.None, B.Author)]
    // Deleted documents.
    [InlineData("active", "doctor", A.ReadDocument, "deleted", R.DocumentDeleted, B.None)]
    [InlineData("active", "owner", A.ReadDocument, "deleted", R.DocumentDeleted, B.None)]
    [InlineData("active", "doctor-none", A.ReadDocument, "deleted", R.NoBasis, B.None)]
    // Document actions need a document.
    [InlineData("active", "doctor", A.ReadDocument, "none", R.NotPermitted, B.None)]
    [InlineData("active", "doctor", A.CreateDocument, "none", R.NotPermitted, B.None)]
    [InlineData("active", "owner", A.ReadDocument, "none", R.NotPermitted, B.None)]
    [InlineData("active", "parent", A.DeleteDocument, "none", R.NotPermitted, B.None)]
    // Unknown profession, incomplete professional identity.
    [InlineData("active", "unknown-profession", A.ReadVault, "none", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "unknown-profession", A.ReadDocument, "letter", R.ProfessionNotHabilitated, B.None)]
    [InlineData("active", "incomplete", A.ReadVault, "none", R.NotAuthenticated, B.None)]
    // Pending vault: the person is not activated yet; everybody else proceeds.
    [InlineData("pending", "owner", A.ReadVault, "none", R.None, B.Owner)]
    [InlineData("pending", "owner", A.ManageLifecycle, "none", R.None, B.Owner)]
    [InlineData("pending", "owner", A.ReadDocument, "letter", R.VaultNotActive, B.None)]
    [InlineData("pending", "owner", A.CreateDocument, "letter", R.VaultNotActive, B.None)]
    [InlineData("pending", "social", A.CreateDocument, "social-report", R.None, B.Referent)]
    [InlineData("pending", "social", A.ReadDocument, "attest", R.None, B.Referent)]
    [InlineData("pending", "parent", A.ReadDocument, "letter", R.None, B.LegalRepresentative)]
    [InlineData("pending", "doctor", A.ReadDocument, "letter", R.None, B.Grant)]
    [InlineData("pending", "operator", A.ReadVault, "none", R.None, B.Operator)]
    // Closed vault: owner and representatives see summary and history; operators manage the lifecycle.
    [InlineData("closed", "owner", A.ReadVault, "none", R.None, B.Owner)]
    [InlineData("closed", "owner", A.ReadHistory, "none", R.None, B.Owner)]
    [InlineData("closed", "owner", A.ReadDocument, "letter", R.VaultNotActive, B.None)]
    [InlineData("closed", "owner", A.ListDocuments, "none", R.VaultNotActive, B.None)]
    [InlineData("closed", "owner", A.ManageLifecycle, "none", R.VaultNotActive, B.None)]
    [InlineData("closed", "parent", A.ReadHistory, "none", R.None, B.LegalRepresentative)]
    [InlineData("closed", "curator", A.ReadVault, "none", R.ConsentRequired, B.None)]
    [InlineData("closed", "stranger", A.ReadVault, "none", R.NotPermitted, B.None)]
    [InlineData("closed", "doctor", A.ReadVault, "none", R.VaultNotActive, B.None)]
    [InlineData("closed", "social", A.ReadDocument, "social-report", R.VaultNotActive, B.None)]
    [InlineData("closed", "operator", A.ManageLifecycle, "none", R.None, B.Operator)]
    [InlineData("closed", "operator", A.ReadVault, "none", R.VaultNotActive, B.None)]
    public void Scenario(string vault, string caller, A action, string document, R reason, B basis) =>
        Check(Decide(vault, caller, action, document), reason, basis);

    // ---- 3. Properties over every combination ----

    [Fact]
    public void Every_decision_is_consistent_and_explained_without_personal_data()
    {
        var count = 0;
        foreach (var (_, vault) in Vaults)
        {
            foreach (var (_, caller) in Callers)
            {
                foreach (var action in Enum.GetValues<A>())
                {
                    foreach (var (_, document) in Docs)
                    {
                        var d = Evaluator.Decide(vault, caller, action, document, Now);
                        count++;
                        Assert.Equal(d.Allowed, d.Reason == R.None);
                        Assert.Equal(d.Allowed, d.Basis != B.None);
                        Assert.False(string.IsNullOrWhiteSpace(d.Explanation));
                        Assert.DoesNotContain(VaultId, d.Explanation, StringComparison.Ordinal);
                        Assert.DoesNotContain(caller.Subject, d.Explanation, StringComparison.Ordinal);
                        if (caller.Rpps is { } rpps)
                        {
                            Assert.DoesNotContain(rpps, d.Explanation, StringComparison.Ordinal);
                        }
                    }
                }
            }
        }

        Assert.Equal(Vaults.Count * Callers.Count * Enum.GetValues<A>().Length * Docs.Count, count);
    }

    [Fact]
    public void Professionals_never_manage_read_history_or_delete_whatever_their_basis()
    {
        A[] never = [A.ManageAccess, A.ManageRepresentatives, A.ManageLifecycle, A.ReadHistory, A.VerifyHistory, A.MergeVaults, A.DeleteDocument];
        foreach (var (key, caller) in Callers.Where(c => c.Value.Kind == CallerKind.Professional))
        {
            foreach (var action in never)
            {
                foreach (var (_, document) in Docs)
                {
                    Assert.False(Evaluator.Decide(Vaults["active"], caller, action, document, Now).Allowed, $"{key} {action}");
                }
            }
        }
    }

    [Fact]
    public void Only_the_owner_and_representatives_ever_see_the_history()
    {
        foreach (var (key, caller) in Callers)
        {
            var allowed = Evaluator.Decide(Vaults["active"], caller, A.ReadHistory, null, Now).Allowed;
            Assert.Equal(key is "owner" or "parent" or "tutor" or "curator-consented", allowed);
        }
    }

    [Fact]
    public void Only_the_person_a_parent_or_a_tutor_exports_the_vault_and_each_refusal_says_why()
    {
        foreach (var (key, caller) in Callers)
        {
            var d = Evaluator.Decide(Vaults["active"], caller, A.ExportVault, null, Now);
            Assert.True((key is "owner" or "parent" or "tutor") == d.Allowed, $"{key}: {d.Reason} {d.Basis}");
        }
        Check(Decide("active", "owner", A.ExportVault, "none"), R.None, B.Owner);
        Check(Decide("active", "tutor", A.ExportVault, "none"), R.None, B.LegalRepresentative);
        Check(Decide("active", "curator-consented", A.ExportVault, "none"), R.NotPermitted, B.None);
        Assert.Contains("curator", Decide("active", "curator-consented", A.ExportVault, "none").Explanation, StringComparison.Ordinal);
        Check(Decide("active", "operator", A.ExportVault, "none"), R.NotPermitted, B.None);
        Check(Decide("active", "doctor", A.ExportVault, "none"), R.NotPermitted, B.None);
        Check(Decide("active", "social", A.ExportVault, "none"), R.NotPermitted, B.None);
        Check(Decide("active", "former-parent", A.ExportVault, "none"), R.BasisExpired, B.None);
        var carer = Caller.Patient("vault-carer");
        var delegated = Vaults["active"] with
        {
            CarerDelegations = [new CarerDelegation("cd-1", "vault-carer", CarerActions.Read | CarerActions.Deposit,
                new Consent("vault-owner", Past, ConsentMethod.InApp, new DocumentScope(["11"]), Future))],
        };
        var refused = Evaluator.Decide(delegated, carer, A.ExportVault, null, Now);
        Check(refused, R.OutsideDelegation, B.None);
        Assert.Contains("carer", refused.Explanation, StringComparison.Ordinal);
        Assert.False(Evaluator.Decide(Vaults["pending"], Callers["owner"], A.ExportVault, null, Now).Allowed);
    }

    [Fact]
    public void Reaching_the_person_needs_a_standing_basis_never_break_glass_nor_an_operator()
    {
        string[] reach = ["owner", "parent", "tutor", "curator-consented", "doctor", "treating", "doctor-renewed", "doctor-bio-only", "dentist",
            "podiatrist", "pharmacist", "kine", "educator-grant", "social", "social-attest", "aes", "doctor-referent", "ward-nurse"];
        foreach (var (key, caller) in Callers)
        {
            var d = Evaluator.Decide(Vaults["active"], caller, A.ContactPerson, null, Now);
            Assert.True(reach.Contains(key) == d.Allowed, $"{key}: {d.Reason} {d.Basis}");
        }
        Check(Evaluator.Decide(Vaults["active"], Callers["emergency"], A.ContactPerson, null, Now), R.NotPermitted, B.None);
        Check(Evaluator.Decide(Vaults["active"], Callers["doctor-blocked"], A.ContactPerson, null, Now), R.Blocked, B.None);
        Check(Evaluator.Decide(Vaults["active"], Callers["doctor-referent"], A.ContactPerson, null, Now), R.None, B.Referent);
    }

    [Fact]
    public void A_messaging_block_denies_reaching_the_person_and_nothing_else()
    {
        var doctor = Callers["doctor"];
        var vault = Vaults["active"] with { MessagingBlocks = [new MessagingBlock("rpps:" + doctor.Rpps, Now, "owner")] };
        Check(Evaluator.Decide(vault, doctor, A.ContactPerson, null, Now), R.MessagingBlocked, B.None);
        Assert.True(Evaluator.Decide(vault, doctor, A.ReadVault, null, Now).Allowed);
        Assert.True(Evaluator.Decide(vault, Callers["owner"], A.ContactPerson, null, Now).Allowed);
        var system = Caller.Establishment("750000001", "client-1");
        var blockedSystem = vault with { MessagingBlocks = [new MessagingBlock("finess:750000001", Now, "owner")] };
        Assert.Equal(R.MessagingBlocked, Evaluator.Decide(blockedSystem, system, A.ContactPerson, null, Now).Reason);
    }

    [Fact]
    public void The_agenda_is_managed_by_the_person_representatives_and_referents_and_seen_by_whoever_may_reach_the_person()
    {
        string[] manage = ["owner", "parent", "tutor", "curator-consented", "doctor-referent", "social", "social-attest", "aes"];
        foreach (var (key, caller) in Callers)
        {
            var participate = Evaluator.DecideAgenda(Vaults["active"], caller, AgendaUse.Participate, Now);
            Assert.Equal(Evaluator.Decide(Vaults["active"], caller, A.ContactPerson, null, Now).Allowed, participate.Allowed);
            var manages = Evaluator.DecideAgenda(Vaults["active"], caller, AgendaUse.Manage, Now);
            Assert.True(manage.Contains(key) == manages.Allowed, $"{key}: {manages.Reason} {manages.Basis}");
        }
        Check(Evaluator.DecideAgenda(Vaults["active"], Callers["doctor"], AgendaUse.Manage, Now), R.NotPermitted, B.None);
        Check(Evaluator.DecideAgenda(Vaults["active"], Callers["doctor-blocked"], AgendaUse.Participate, Now), R.Blocked, B.None);
        Check(Evaluator.DecideAgenda(Vaults["active"], Callers["operator"], AgendaUse.Participate, Now), R.NotPermitted, B.None);
    }

    [Fact]
    public void Unknown_actions_and_statuses_are_denied()
    {
        Check(Evaluator.Decide(Vaults["active"], Callers["owner"], (A)99, null, Now), R.NotPermitted, B.None);
        Check(Evaluator.Decide(Vaults["active"], Callers["doctor"], (A)99, Docs["letter"], Now), R.NotPermitted, B.None);
        Check(Evaluator.Decide(Vault((VaultStatus)42), Callers["owner"], A.ReadVault, null, Now), R.VaultNotActive, B.None);
        Check(Evaluator.Decide(Vaults["active"], new Caller((CallerKind)9, "who"), A.ReadVault, null, Now), R.NotPermitted, B.None);
    }

    [Fact]
    public void Time_is_the_given_now_at_the_edges()
    {
        var grant = Vaults["active"].Grants.Single(g => g.Grantee == Id("doctor-expired"));
        var atExpiry = Evaluator.Decide(Vaults["active"], Callers["doctor-expired"], A.ReadVault, null, grant.ExpiresAt!.Value);
        var justBefore = Evaluator.Decide(Vaults["active"], Callers["doctor-expired"], A.ReadVault, null, grant.ExpiresAt.Value.AddTicks(-1));
        Check(atExpiry, R.BasisExpired, B.None);
        Check(justBefore, R.None, B.Grant);

        var session = Vaults["active"].BreakGlassSessions.Single(s => s.Rpps == Id("emergency"));
        Check(Evaluator.Decide(Vaults["active"], Callers["emergency"], A.ReadDocument, Docs["summary"], session.ExpiresAt), R.BasisExpired, B.None);
        Check(Evaluator.Decide(Vaults["active"], Callers["emergency"], A.ReadDocument, Docs["summary"], session.StartedAt.AddTicks(-1)), R.NoBasis, B.None);
    }

    [Fact]
    public void Curator_consent_in_the_future_is_not_consent_yet()
    {
        var vault = Vaults["active"] with
        {
            Representatives = [new LegalRepresentative("vault-curator", RepresentationKind.Curator, LongAgo, null, "ops", PersonConsentedAt: Future)],
        };
        Check(Evaluator.Decide(vault, Callers["curator"], A.ReadVault, null, Now), R.ConsentRequired, B.None);
        Check(Evaluator.Decide(vault, Callers["curator"], A.ReadVault, null, Future), R.None, B.LegalRepresentative);
    }

    [Fact]
    public void The_widest_active_representation_counts()
    {
        var vault = Vaults["active"] with
        {
            Representatives =
            [
                new LegalRepresentative("vault-x", RepresentationKind.Curator, LongAgo, null, "ops"),
                new LegalRepresentative("vault-x", RepresentationKind.Tutor, LongAgo, null, "ops"),
            ],
        };
        Check(Evaluator.Decide(vault, Caller.Patient("vault-x"), A.ManageAccess, null, Now), R.None, B.LegalRepresentative);
    }

    [Fact]
    public void Decisions_on_the_hot_path_are_shared_instances()
    {
        var a = Decide("active", "doctor", A.ReadDocument, "letter");
        var b = Decide("active", "kine", A.ReadDocument, "bio");
        Assert.Same(a, b);
        Assert.Same(Decide("active", "ward-nurse", A.ReadDocument, "letter"), Decide("active", "ward-nurse", A.ReadDocument, "bio"));
        Assert.Same(Decide("active", "doctor", A.ReadDocument, "masked"), Decide("active", "social", A.ReadDocument, "masked-social-report"));
    }

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Throws<ArgumentNullException>(() => new AccessEvaluator(null!));
        Assert.Throws<ArgumentNullException>(() => Evaluator.Decide(null!, Callers["owner"], A.ReadVault, null, Now));
        Assert.Throws<ArgumentNullException>(() => Evaluator.Decide(Vaults["active"], null!, A.ReadVault, null, Now));
    }

    // ---- Share links: the person, a parent or a tutor; nobody else ----

    [Theory]
    [InlineData("active", "owner", R.None, B.Owner)]
    [InlineData("active", "parent", R.None, B.LegalRepresentative)]
    [InlineData("active", "tutor", R.None, B.LegalRepresentative)]
    [InlineData("active", "curator", R.NotPermitted, B.None)]
    [InlineData("active", "curator-consented", R.NotPermitted, B.None)]
    [InlineData("active", "stranger", R.NotPermitted, B.None)]
    [InlineData("active", "former-parent", R.BasisExpired, B.None)]
    [InlineData("active", "doctor", R.NotPermitted, B.None)]
    [InlineData("active", "social", R.NotPermitted, B.None)]
    [InlineData("active", "operator", R.NotPermitted, B.None)]
    [InlineData("active", "anonymous", R.NotAuthenticated, B.None)]
    [InlineData("pending", "owner", R.VaultNotActive, B.None)]
    [InlineData("closed", "owner", R.VaultNotActive, B.None)]
    public void Sharing_documents_outside_Coffre_is_for_the_person_a_parent_or_a_tutor(string vault, string caller, R reason, B basis)
    {
        var decision = Decide(vault, caller, A.ShareDocuments, "none");
        Check(decision, reason, basis);
        if (reason == R.NotPermitted)
        {
            Assert.Contains("Only the person, or a parent or tutor", decision.Explanation, StringComparison.Ordinal);
        }
    }
}

public sealed class DirectoryAndOperatorRoleTests
{
    private static readonly AccessEvaluator Evaluator = new(HabilitationMatrix.Default);

    private static VaultAccessState Vault(string rpps) => new()
    {
        VaultId = "v-0000000000000000000a",
        Status = VaultStatus.Active,
        Grants = [new Grant("g-1", GranteeKind.Professional, rpps, DocumentScope.All, DateTimeOffset.UnixEpoch, null, "owner")],
    };

    [Theory]
    [InlineData(DirectoryStanding.Suspended, DenialReason.Suspended)]
    [InlineData(DirectoryStanding.Unregistered, DenialReason.NotRegistered)]
    [InlineData(DirectoryStanding.Unverified, DenialReason.NotRegistered)]
    public void A_professional_not_active_in_the_directory_is_refused_whatever_the_basis(DirectoryStanding standing, DenialReason reason)
    {
        var active = Caller.Professional("10000000005", "10");
        var vault = Vault(active.Rpps!);
        Assert.True(Evaluator.Decide(vault, active, VaultAction.ReadVault, null, DateTimeOffset.UtcNow).Allowed);
        var decision = Evaluator.Decide(vault, active with { Standing = standing }, VaultAction.ReadVault, null, DateTimeOffset.UtcNow);
        Assert.False(decision.Allowed);
        Assert.Equal(reason, decision.Reason);
    }

    [Theory]
    [InlineData(OperatorRoles.Support, OperatorAction.VaultSupport, true)]
    [InlineData(OperatorRoles.Support, OperatorAction.Statistics, true)]
    [InlineData(OperatorRoles.Support, OperatorAction.Directory, false)]
    [InlineData(OperatorRoles.Support, OperatorAction.Opposition, false)]
    [InlineData(OperatorRoles.Rollout, OperatorAction.Opposition, true)]
    [InlineData(OperatorRoles.Rollout, OperatorAction.Campaigns, true)]
    [InlineData(OperatorRoles.Rollout, OperatorAction.VaultSupport, false)]
    [InlineData(OperatorRoles.DirectoryAdmin, OperatorAction.Directory, true)]
    [InlineData(OperatorRoles.DirectoryAdmin, OperatorAction.VaultSupport, false)]
    [InlineData(OperatorRoles.None, OperatorAction.Statistics, false)]
    public void Each_operator_action_needs_its_role(OperatorRoles roles, OperatorAction action, bool allowed)
    {
        var decision = AccessEvaluator.DecideOperator(Caller.Operator("op", roles), action);
        Assert.Equal(allowed, decision.Allowed);
        Assert.Equal(allowed ? DenialReason.None : DenialReason.OperatorRoleMissing, decision.Reason);
    }

    // ---- Decisions outside a vault: NIR look-up, directory records, staff registration ----

    [Fact]
    public void NIR_look_up_is_for_support_operators_and_professionals_in_good_standing()
    {
        Assert.True(AccessEvaluator.DecideNirLookup(Caller.Operator("op", OperatorRoles.Support)).Allowed);
        Assert.Equal(DenialReason.OperatorRoleMissing, AccessEvaluator.DecideNirLookup(Caller.Operator("op", OperatorRoles.Rollout)).Reason);
        Assert.True(AccessEvaluator.DecideNirLookup(Caller.Professional("10000000009", "10")).Allowed);
        Assert.Equal(DenialReason.Suspended, AccessEvaluator.DecideNirLookup(Caller.Professional("10000000009", "10") with { Standing = DirectoryStanding.Suspended }).Reason);
        Assert.Equal(DenialReason.NotPermitted, AccessEvaluator.DecideNirLookup(Caller.Patient("v-0000000000000000000a")).Reason);
        Assert.Equal(DenialReason.NotAuthenticated, AccessEvaluator.DecideNirLookup(Caller.Anonymous).Reason);
    }

    [Fact]
    public void The_directory_is_searched_by_every_signed_in_caller_and_only_operators_see_suspended_professionals()
    {
        var operatorWithoutRoles = Caller.Operator("op", OperatorRoles.None);
        Assert.True(AccessEvaluator.DecideDirectorySearch(operatorWithoutRoles).Allowed);
        Assert.True(AccessEvaluator.DirectorySearchShowsSuspended(operatorWithoutRoles));
        Assert.True(AccessEvaluator.DecideDirectorySearch(Caller.Patient("v-0000000000000000000a")).Allowed);
        Assert.False(AccessEvaluator.DirectorySearchShowsSuspended(Caller.Patient("v-0000000000000000000a")));
        Assert.True(AccessEvaluator.DecideDirectorySearch(Caller.Professional("10000000009", "10")).Allowed);
        Assert.False(AccessEvaluator.DirectorySearchShowsSuspended(Caller.Professional("10000000009", "10")));
        Assert.Equal(DenialReason.Suspended, AccessEvaluator.DecideDirectorySearch(Caller.Professional("10000000009", "10") with { Standing = DirectoryStanding.Suspended }).Reason);
        Assert.True(AccessEvaluator.DecideDirectorySearch(Caller.Establishment("750001232", "client-1")).Allowed);
        Assert.False(AccessEvaluator.DirectorySearchShowsSuspended(Caller.Establishment("750001232", "client-1")));
        Assert.Equal(DenialReason.NotAuthenticated, AccessEvaluator.DecideDirectorySearch(Caller.Anonymous).Reason);
    }

    [Fact]
    public void A_directory_record_is_read_by_directory_admins_and_its_professional_only()
    {
        Assert.True(AccessEvaluator.DecideDirectoryRecord(Caller.Operator("op", OperatorRoles.DirectoryAdmin), "10000000009").Allowed);
        Assert.Equal(DenialReason.OperatorRoleMissing, AccessEvaluator.DecideDirectoryRecord(Caller.Operator("op", OperatorRoles.Support), "10000000009").Reason);
        Assert.Equal(LegalBasis.Owner, AccessEvaluator.DecideDirectoryRecord(Caller.Professional("10000000009", "10"), "10000000009").Basis);
        Assert.Equal(DenialReason.NotPermitted, AccessEvaluator.DecideDirectoryRecord(Caller.Professional("10000000017", "10"), "10000000009").Reason);
        Assert.Equal(DenialReason.NotAuthenticated, AccessEvaluator.DecideDirectoryRecord(Caller.Anonymous, "10000000009").Reason);
    }

    [Fact]
    public void Staff_are_registered_by_directory_admins_or_an_admin_member_acting_for_the_establishment()
    {
        const string finess = "750001232";
        var member = Caller.Professional("10000000009", "SOC-AS", finess);
        Assert.True(AccessEvaluator.DecideStaffRegistration(Caller.Operator("op", OperatorRoles.DirectoryAdmin), finess, adminOfEstablishment: false).Allowed);
        Assert.True(AccessEvaluator.DecideStaffRegistration(member, finess, adminOfEstablishment: true).Allowed);
        Assert.Equal(DenialReason.NotPermitted, AccessEvaluator.DecideStaffRegistration(member, finess, adminOfEstablishment: false).Reason);
        Assert.Equal(DenialReason.NotPermitted, AccessEvaluator.DecideStaffRegistration(member, "750001240", adminOfEstablishment: true).Reason);
        Assert.Equal(DenialReason.Suspended, AccessEvaluator.DecideStaffRegistration(member with { Standing = DirectoryStanding.Suspended }, finess, adminOfEstablishment: true).Reason);
    }

    [Fact]
    public void A_vault_operator_action_without_support_is_refused_by_the_vault_evaluator()
    {
        var vault = new VaultAccessState { VaultId = "v-0000000000000000000a", Status = VaultStatus.Active };
        Assert.True(Evaluator.Decide(vault, Caller.Operator("op", OperatorRoles.Support), VaultAction.ManageLifecycle, null, DateTimeOffset.UtcNow).Allowed);
        var refused = Evaluator.Decide(vault, Caller.Operator("op", OperatorRoles.Rollout | OperatorRoles.DirectoryAdmin), VaultAction.ManageLifecycle, null, DateTimeOffset.UtcNow);
        Assert.Equal(DenialReason.OperatorRoleMissing, refused.Reason);
    }

    [Fact]
    public void Role_names_round_trip_and_unknown_names_grant_nothing()
    {
        Assert.Equal(OperatorRoles.All, OperatorRoleNames.Parse("support, rollout directory-admin"));
        Assert.Equal(OperatorRoles.None, OperatorRoleNames.Parse("admin superuser"));
        Assert.Equal("support directory-admin", OperatorRoleNames.Format(OperatorRoles.Support | OperatorRoles.DirectoryAdmin));
    }

    [Fact]
    public void Coffre_identifiers_have_their_own_range_and_check_digit()
    {
        for (var i = 0; i < 100; i++)
        {
            var id = Coffre.Domain.Identifiers.CoffreProfessionalId.New();
            Assert.Matches("^99[0-9]{9}$", id);
            Assert.True(Coffre.Domain.Identifiers.Rpps.IsValid(id));
            Assert.Equal(Coffre.Domain.Identifiers.ProfessionalIdKind.Coffre, Coffre.Domain.Identifiers.Rpps.KindOf(id));
        }
        Assert.False(Coffre.Domain.Identifiers.CoffreProfessionalId.IsValid("10000000005"));
    }
}
