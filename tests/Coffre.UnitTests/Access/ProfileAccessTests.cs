using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Coffre.Domain.Vaults;
using Xunit;
using A = Coffre.Domain.Access.VaultAction;
using B = Coffre.Domain.Access.LegalBasis;
using R = Coffre.Domain.Access.DenialReason;
using S = Coffre.Domain.Profile.ProfileSection;

namespace Coffre.UnitTests.Access;

/// <summary>
/// The medical profile through the one evaluator: each entry is a document of its section's type (PROFILE-*, class 11).
/// Per profession × section (an independent restatement of the matrix's profile rules), masking, representatives, carers,
/// break-glass, establishments' systems, closed vaults, and the removal rule.
/// </summary>
public sealed class ProfileAccessTests
{
    private const string Owner = "v-owner";
    private const string Parent = "v-parent";
    private const string Curator = "v-curator";
    private const string CarerVault = "v-carer";
    private const string Finess = "750012347";
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly AccessEvaluator Evaluator = new(HabilitationMatrix.Default);

    /// <summary>One RPPS per profession of the matrix (its position in the file).</summary>
    private static string Rpps(string profession) =>
        "1000000" + HabilitationMatrix.Default.Professions.ToList().FindIndex(p => p.Code == profession).ToString("D4");

    private static Caller Pro(string profession, string? finess = null) => Caller.Professional(Rpps(profession), profession, finess);

    /// <summary>Every profession of the matrix holds an active grant on the whole vault.</summary>
    private static VaultAccessState Vault(VaultStatus status = VaultStatus.Active, bool treating = false, params Grant[] extra) => new()
    {
        VaultId = Owner,
        Status = status,
        Grants = [.. HabilitationMatrix.Default.Professions.Select(p =>
            new Grant("g-" + p.Code, GranteeKind.Professional, Rpps(p.Code), DocumentScope.All, Now.AddDays(-1), null, Owner, TreatingPhysician: treating && p.Code == "10")),
            .. extra],
        Representatives =
        [
            new LegalRepresentative(Parent, RepresentationKind.Parent, Now.AddYears(-1), null, "op"),
            new LegalRepresentative(Curator, RepresentationKind.Curator, Now.AddYears(-1), null, "op", Now.AddDays(-5)),
        ],
    };

    private static DocumentFacts Entry(S section, bool hidden = false, Author? author = null) =>
        new ProfileEntry("pe-1", section, author ?? new Author(AuthorKind.Person, Owner), Now.AddDays(-1), null, new Visibility(hidden)).Facts;

    // ---- An independent restatement: who records and who reads each section. ----

    private static bool ExpectedCreate(string profession, S section) => profession switch
    {
        "10" or "50" => true,
        "21" => section is not S.Conditions,
        "60" => section is S.Vaccinations or S.Measurements or S.Allergies,
        "40" => section is S.Treatments or S.Allergies,
        "70" or "80" => section is S.Measurements,
        "MS-AS" => section is S.Measurements,
        _ => false,
    };

    private static bool ExpectedRead(string profession, S section) => profession switch
    {
        "10" or "21" or "40" or "50" or "60" or "70" or "80" => true,
        "MS-AS" => section is S.Allergies or S.Measurements,
        "MS-AES" => section is S.Allergies,
        _ => false,
    };

    public static TheoryData<string, S> ProfessionBySection()
    {
        var data = new TheoryData<string, S>();
        foreach (var profession in HabilitationMatrix.Default.Professions)
        {
            foreach (var section in ProfileSections.All)
            {
                data.Add(profession.Code, section);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ProfessionBySection))]
    public void A_professional_with_a_grant_records_and_reads_what_the_matrix_lets_their_profession(string profession, S section)
    {
        var caller = Pro(profession);
        var create = Evaluator.Decide(Vault(), caller, A.CreateDocument, Entry(section), Now);
        Assert.Equal(ExpectedCreate(profession, section), create.Allowed);
        if (!create.Allowed)
        {
            Assert.Equal(R.ProfessionNotHabilitated, create.Reason);
        }
        var read = Evaluator.Decide(Vault(), caller, A.ReadDocument, Entry(section), Now);
        Assert.Equal(ExpectedRead(profession, section), read.Allowed);
        Assert.Equal(read.Allowed ? B.Grant : B.None, read.Basis);
        // Listing asks the same per entry.
        Assert.Equal(read.Allowed, Evaluator.Decide(Vault(), caller, A.ListDocuments, Entry(section), Now).Allowed);
    }

    [Fact]
    public void Social_workers_see_no_section_even_as_referents()
    {
        foreach (var profession in new[] { "SOC-AS", "SOC-ES", "SOC-CESF" })
        {
            foreach (var section in ProfileSections.All)
            {
                var d = Evaluator.Decide(Vault(), Pro(profession), A.ReadDocument, Entry(section), Now);
                Assert.Equal(R.ProfessionNotHabilitated, d.Reason);
            }
        }
    }

    [Fact]
    public void Without_a_basis_nobody_reads_and_a_grant_limited_to_another_class_does_not_open_the_profile()
    {
        var stranger = Caller.Professional("19999999999", "10");
        Assert.Equal(R.NoBasis, Evaluator.Decide(Vault(), stranger, A.ReadDocument, Entry(S.Allergies), Now).Reason);
        var narrow = new Grant("g-narrow", GranteeKind.Professional, "10000000017", new DocumentScope(["10"]), Now.AddDays(-1), null, Owner);
        var limited = Caller.Professional("10000000017", "10");
        Assert.Equal(R.OutsideScope, Evaluator.Decide(Vault(extra: narrow), limited, A.ReadDocument, Entry(S.Allergies), Now).Reason);
        // A grant naming only the allergies section opens that section alone.
        var allergies = new Grant("g-allergies", GranteeKind.Professional, "10000000017", new DocumentScope(null, ["PROFILE-ALLERGIES"]), Now.AddDays(-1), null, Owner);
        Assert.True(Evaluator.Decide(Vault(extra: allergies), limited, A.ReadDocument, Entry(S.Allergies), Now).Allowed);
        Assert.Equal(R.OutsideScope, Evaluator.Decide(Vault(extra: allergies), limited, A.ReadDocument, Entry(S.Treatments), Now).Reason);
    }

    [Fact]
    public void A_hidden_entry_is_denied_to_professionals_except_its_author_and_a_treating_physician()
    {
        var nurse = Pro("60");
        var hidden = Entry(S.Allergies, hidden: true);
        Assert.Equal(R.MaskedFromProfessionals, Evaluator.Decide(Vault(), nurse, A.ReadDocument, hidden, Now).Reason);
        Assert.Equal(R.MaskedFromProfessionals, Evaluator.Decide(Vault(), Pro("10"), A.ReadDocument, hidden, Now).Reason);
        // Its author still sees it.
        var byNurse = Entry(S.Allergies, hidden: true, new Author(AuthorKind.Professional, nurse.Rpps!));
        var own = Evaluator.Decide(Vault(), nurse, A.ReadDocument, byNurse, Now);
        Assert.True(own.Allowed);
        Assert.Equal(B.Author, own.Basis);
        // The treating physician the person granted as such.
        Assert.True(Evaluator.Decide(Vault(treating: true), Pro("10"), A.ReadDocument, hidden, Now).Allowed);
        // An establishment's system with a grant: never a hidden entry.
        var system = Caller.Establishment(Finess, "his-1");
        var grant = new Grant("g-est", GranteeKind.Establishment, Finess, DocumentScope.All, Now.AddDays(-1), null, Owner);
        Assert.True(Evaluator.Decide(Vault(extra: grant), system, A.ReadDocument, Entry(S.Allergies), Now).Allowed);
        Assert.Equal(R.MaskedFromProfessionals, Evaluator.Decide(Vault(extra: grant), system, A.ReadDocument, hidden, Now).Reason);
    }

    [Fact]
    public void The_person_and_parents_see_and_hide_entries_curators_read_and_add_but_do_not_hide()
    {
        var hidden = Entry(S.Conditions, hidden: true);
        foreach (var person in new[] { Caller.Patient(Owner), Caller.Patient(Parent) })
        {
            Assert.True(Evaluator.Decide(Vault(), person, A.ReadDocument, hidden, Now).Allowed);
            Assert.True(Evaluator.Decide(Vault(), person, A.ManageAccess, hidden, Now).Allowed);
            Assert.True(Evaluator.Decide(Vault(), person, A.CreateDocument, Entry(S.Conditions), Now).Allowed);
        }
        var curator = Caller.Patient(Curator);
        Assert.True(Evaluator.Decide(Vault(), curator, A.ReadDocument, hidden, Now).Allowed);
        Assert.True(Evaluator.Decide(Vault(), curator, A.CreateDocument, Entry(S.Measurements), Now).Allowed);
        Assert.Equal(R.NotPermitted, Evaluator.Decide(Vault(), curator, A.ManageAccess, hidden, Now).Reason);
        // Professionals never hide (masking is the person's).
        Assert.Equal(R.NotPermitted, Evaluator.Decide(Vault(), Pro("10"), A.ManageAccess, Entry(S.Conditions), Now).Reason);
    }

    [Theory]
    [InlineData(CarerActions.Deposit, "11", A.CreateDocument, true, R.None)]
    [InlineData(CarerActions.Deposit, "10", A.CreateDocument, false, R.OutsideScope)]
    [InlineData(CarerActions.Read, "11", A.CreateDocument, false, R.OutsideDelegation)]
    [InlineData(CarerActions.Read, "11", A.ReadDocument, true, R.None)]
    [InlineData(CarerActions.Deposit, "11", A.ReadDocument, false, R.OutsideDelegation)]
    [InlineData(CarerActions.Read | CarerActions.Deposit, "11", A.ManageAccess, false, R.OutsideDelegation)]
    public void A_carer_acts_on_the_profile_within_their_delegation(CarerActions actions, string classCode, A action, bool allowed, R reason)
    {
        var vault = Vault() with
        {
            CarerDelegations =
            [
                new CarerDelegation("cd-1", CarerVault, actions, new Consent(Owner, Now.AddDays(-10), ConsentMethod.InApp, new DocumentScope([classCode]), Now.AddDays(30)),
                    null, null, "my son"),
            ],
        };
        var d = Evaluator.Decide(vault, Caller.Patient(CarerVault), action, Entry(S.Measurements), Now);
        Assert.Equal(allowed, d.Allowed);
        Assert.Equal(reason, d.Reason);
        if (allowed)
        {
            Assert.Equal(B.Carer, d.Basis);
        }
    }

    [Theory]
    [InlineData(S.Allergies, true)]
    [InlineData(S.Treatments, true)]
    [InlineData(S.Conditions, true)]
    [InlineData(S.Vaccinations, true)]
    [InlineData(S.Measurements, false)]
    public void Break_glass_opens_the_emergency_sections_only_and_never_adds(S section, bool opens)
    {
        var emergency = Caller.Professional("10000000025", "10");
        var vault = new VaultAccessState
        {
            VaultId = Owner,
            Status = VaultStatus.Active,
            BreakGlassSessions = [new BreakGlassSession(emergency.Rpps!, "unconscious", Now.AddMinutes(-5), Now.AddMinutes(55))],
        };
        var read = Evaluator.Decide(vault, emergency, A.ReadDocument, Entry(section), Now);
        Assert.Equal(opens, read.Allowed);
        Assert.Equal(opens ? R.None : R.OutsideEmergencyScope, read.Reason);
        Assert.Equal(R.NotPermitted, Evaluator.Decide(vault, emergency, A.CreateDocument, Entry(section), Now).Reason);
        // A hidden entry stays hidden in an emergency.
        Assert.False(Evaluator.Decide(vault, emergency, A.ReadDocument, Entry(section, hidden: true), Now).Allowed);
    }

    [Fact]
    public void A_closed_vault_takes_no_profile_call()
    {
        var closed = Vault(VaultStatus.Closed);
        Assert.Equal(R.VaultNotActive, Evaluator.Decide(closed, Caller.Patient(Owner), A.CreateDocument, Entry(S.Allergies), Now).Reason);
        Assert.Equal(R.VaultNotActive, Evaluator.Decide(closed, Pro("10"), A.ListDocuments, null, Now).Reason);
        Assert.Equal(R.VaultNotActive, Evaluator.DecideProfileRemoval(closed, Caller.Patient(Owner), Entry(S.Allergies), Now).Reason);
    }

    [Fact]
    public void An_entry_is_removed_by_its_author_or_the_person()
    {
        var doctor = Pro("10");
        var byDoctor = Entry(S.Treatments, author: new Author(AuthorKind.Professional, doctor.Rpps!));
        var removal = Evaluator.DecideProfileRemoval(Vault(), doctor, byDoctor, Now);
        Assert.True(removal.Allowed);
        Assert.Equal(B.Author, removal.Basis);
        // Another professional with a grant: not theirs.
        Assert.Equal(R.NotEntryAuthor, Evaluator.DecideProfileRemoval(Vault(), Pro("50"), byDoctor, Now).Reason);
        // The person, and a parent, remove any entry; a curator does not.
        Assert.True(Evaluator.DecideProfileRemoval(Vault(), Caller.Patient(Owner), byDoctor, Now).Allowed);
        Assert.True(Evaluator.DecideProfileRemoval(Vault(), Caller.Patient(Parent), byDoctor, Now).Allowed);
        Assert.Equal(R.NotPermitted, Evaluator.DecideProfileRemoval(Vault(), Caller.Patient(Curator), byDoctor, Now).Reason);
        // A blocked author is blocked first.
        var blocked = Vault() with { Blocks = [new Block(doctor.Rpps!, Now.AddHours(-1), Owner)] };
        Assert.Equal(R.Blocked, Evaluator.DecideProfileRemoval(blocked, doctor, byDoctor, Now).Reason);
        // An establishment's system removes what its system recorded, under its grant.
        var system = Caller.Establishment(Finess, "his-1");
        var grant = new Grant("g-est", GranteeKind.Establishment, Finess, DocumentScope.All, Now.AddDays(-1), null, Owner);
        var bySystem = Entry(S.Measurements, author: new Author(AuthorKind.System, system.Subject, Finess));
        Assert.True(Evaluator.DecideProfileRemoval(Vault(extra: grant), system, bySystem, Now).Allowed);
        Assert.Equal(R.NotEntryAuthor, Evaluator.DecideProfileRemoval(Vault(extra: grant), system, byDoctor, Now).Reason);
        Assert.Equal(R.NoBasis, Evaluator.DecideProfileRemoval(Vault(), system, bySystem, Now).Reason);
        // Its own entry the person hid stays removable by it (authorship before masking); another's hidden one is not.
        var hidden = new Visibility(MaskedFromProfessionals: true);
        Assert.True(Evaluator.DecideProfileRemoval(Vault(extra: grant), system, bySystem with { Visibility = hidden }, Now).Allowed);
        Assert.Equal(R.NoBasis, Evaluator.DecideProfileRemoval(Vault(), system, bySystem with { Visibility = hidden }, Now).Reason);
        Assert.False(Evaluator.DecideProfileRemoval(Vault(extra: grant), system, byDoctor with { Visibility = hidden }, Now).Allowed);
    }
}
