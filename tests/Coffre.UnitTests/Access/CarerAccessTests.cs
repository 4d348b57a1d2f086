using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Xunit;
using A = Coffre.Domain.Access.VaultAction;
using B = Coffre.Domain.Access.LegalBasis;
using R = Coffre.Domain.Access.DenialReason;

namespace Coffre.UnitTests.Access;

/// <summary>
/// A carer (aidant) acts only within an active delegation: each action × document class × the delegation's state, and
/// the break-glass review rules (who sees and flags, who resolves, who lists an establishment's sessions).
/// </summary>
public sealed class CarerAccessTests
{
    private const string Owner = "v-owner";
    private const string CarerVault = "v-carer";
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly AccessEvaluator Evaluator = new(HabilitationMatrix.Default);
    private static readonly Caller Carer = Caller.Patient(CarerVault);

    public enum State { Active, Ended, Expired, None }

    private static CarerDelegation Delegation(CarerActions actions, State state, params string[] classes) => new(
        "cd-1", CarerVault, actions,
        new Consent(Owner, Now.AddDays(-10), ConsentMethod.InApp, new DocumentScope(classes),
            state == State.Expired ? Now.AddMinutes(-1) : Now.AddDays(30)),
        state == State.Ended ? Now.AddHours(-1) : null, state == State.Ended ? Owner : null, "my daughter");

    private static VaultAccessState Vault(CarerActions actions, State state = State.Active, VaultStatus status = VaultStatus.Active, params string[] classes) => new()
    {
        VaultId = Owner,
        Status = status,
        CarerDelegations = state == State.None ? [] : [Delegation(actions, state, classes.Length == 0 ? ["10", "52"] : classes)],
    };

    private static DocumentFacts Doc(string cls, bool isPrivate = false, bool hiddenFromPatient = false, bool hiddenFromRepresentatives = false) =>
        new("d-" + cls, cls, cls == "10" ? "11490-0" : "28653-4", new Visibility(false, hiddenFromPatient, hiddenFromRepresentatives), isPrivate,
            new Author(AuthorKind.Professional, "10000000000"));

    private const CarerActions All = CarerActions.Read | CarerActions.Deposit | CarerActions.ManageAppointments;

    public static TheoryData<CarerActions, State, A, string?, R, B> Table => new()
    {
        // action × scope × expiry
        { All, State.Active, A.ReadVault, null, R.None, B.Carer },
        { CarerActions.Deposit, State.Active, A.ReadVault, null, R.None, B.Carer },
        { CarerActions.Read, State.Active, A.ListDocuments, null, R.None, B.Carer },
        { CarerActions.Deposit, State.Active, A.ListDocuments, null, R.OutsideDelegation, B.None },
        { CarerActions.Read, State.Active, A.ReadDocument, "10", R.None, B.Carer },
        { CarerActions.Read, State.Active, A.ListDocuments, "52", R.None, B.Carer },
        { CarerActions.Read, State.Active, A.ReadDocument, "11", R.OutsideScope, B.None },
        { CarerActions.Deposit, State.Active, A.ReadDocument, "10", R.OutsideDelegation, B.None },
        { CarerActions.Deposit, State.Active, A.CreateDocument, "10", R.None, B.Carer },
        { CarerActions.Deposit, State.Active, A.CreateDocument, "11", R.OutsideScope, B.None },
        { CarerActions.Read, State.Active, A.CreateDocument, "10", R.OutsideDelegation, B.None },
        { All, State.Ended, A.ReadVault, null, R.BasisExpired, B.None },
        { All, State.Ended, A.ReadDocument, "10", R.BasisExpired, B.None },
        { All, State.Expired, A.ReadVault, null, R.BasisExpired, B.None },
        { All, State.Expired, A.CreateDocument, "10", R.BasisExpired, B.None },
        { All, State.None, A.ReadVault, null, R.NotPermitted, B.None },
        // never the person's own powers
        { All, State.Active, A.ReadHistory, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.VerifyHistory, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.ManageAccess, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.ManageReferents, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.ManageCarers, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.ShareDocuments, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.ExportVault, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.ReviewBreakGlass, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.ContactPerson, null, R.OutsideDelegation, B.None },
        { All, State.Active, A.DeleteDocument, "10", R.OutsideDelegation, B.None },
        { All, State.Active, A.UpdateDocument, "10", R.OutsideDelegation, B.None },
        { All, State.Active, A.BreakGlass, null, R.NotPermitted, B.None },
        { All, State.Active, A.ManageRepresentatives, null, R.NotPermitted, B.None },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void A_carer_acts_only_within_the_delegation(CarerActions actions, State state, A action, string? docClass, R reason, B basis)
    {
        var decision = Evaluator.Decide(Vault(actions, state), Carer, action, docClass is null ? null : Doc(docClass), Now);
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(basis, decision.Basis);
        Assert.Equal(reason == R.None, decision.Allowed);
        Assert.False(string.IsNullOrWhiteSpace(decision.Explanation));
    }

    [Fact]
    public void Why_names_the_classes_actions_and_end()
    {
        var decision = Evaluator.Decide(Vault(CarerActions.Read | CarerActions.Deposit), Carer, A.ReadDocument, Doc("10"), Now);
        Assert.Equal("You act as this person's carer within their delegation: classes 10, 52, actions READ, DEPOSIT, until 2027-01-02 10:00 UTC.", decision.Explanation);
    }

    [Theory]
    [InlineData(true, false, false, R.Private)]
    [InlineData(false, true, false, R.HiddenFromPatient)]
    [InlineData(false, false, true, R.HiddenFromRepresentatives)]
    public void Never_private_nor_hidden_documents(bool isPrivate, bool hiddenFromPatient, bool hiddenFromRepresentatives, R reason)
    {
        var document = Doc("10", isPrivate, hiddenFromPatient, hiddenFromRepresentatives);
        Assert.Equal(reason, Evaluator.Decide(Vault(All), Carer, A.ReadDocument, document, Now).Reason);
        Assert.Equal(reason, Evaluator.Decide(Vault(All), Carer, A.ListDocuments, document, Now).Reason);
    }

    [Fact]
    public void Not_on_a_closed_vault()
    {
        Assert.Equal(R.VaultNotActive, Evaluator.Decide(Vault(All, status: VaultStatus.Closed), Carer, A.ReadVault, null, Now).Reason);
        Assert.Equal(R.VaultNotActive, Evaluator.Decide(Vault(All, status: VaultStatus.Closed), Carer, A.ReadDocument, Doc("10"), Now).Reason);
    }

    [Theory]
    [InlineData(All, State.Active, AgendaUse.Manage, R.None)]
    [InlineData(All, State.Active, AgendaUse.Participate, R.None)]
    [InlineData(CarerActions.Read, State.Active, AgendaUse.Manage, R.OutsideDelegation)]
    [InlineData(All, State.Ended, AgendaUse.Manage, R.BasisExpired)]
    [InlineData(All, State.Expired, AgendaUse.Participate, R.BasisExpired)]
    [InlineData(All, State.None, AgendaUse.Manage, R.NotPermitted)]
    public void The_agenda_with_manage_appointments_only(CarerActions actions, State state, AgendaUse use, R reason)
    {
        var decision = Evaluator.DecideAgenda(Vault(actions, state), Carer, use, Now);
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(reason == R.None ? B.Carer : B.None, decision.Basis);
    }

    [Fact]
    public void Either_side_ends_a_delegation()
    {
        var vault = Vault(All);
        var delegation = vault.CarerDelegations[0];
        Assert.Equal(B.Carer, Evaluator.DecideEndCarerDelegation(vault, Carer, delegation, Now).Basis);
        Assert.Equal(B.Carer, Evaluator.DecideEndCarerDelegation(Vault(All, State.Expired), Carer, delegation, Now).Basis);
        Assert.Equal(B.Owner, Evaluator.DecideEndCarerDelegation(vault, Caller.Patient(Owner), delegation, Now).Basis);
        var parent = vault with { Representatives = [new LegalRepresentative("v-parent", RepresentationKind.Parent, Now.AddYears(-1), null, "op")] };
        Assert.Equal(B.LegalRepresentative, Evaluator.DecideEndCarerDelegation(parent, Caller.Patient("v-parent"), delegation, Now).Basis);
        Assert.Equal(R.NotPermitted, Evaluator.DecideEndCarerDelegation(vault, Caller.Patient("v-stranger"), delegation, Now).Reason);
        Assert.Equal(R.NotPermitted, Evaluator.DecideEndCarerDelegation(vault, Caller.Professional("10000000000", "10"), delegation, Now).Reason);
    }

    [Fact]
    public void A_representative_stays_a_representative_when_also_a_carer()
    {
        var vault = Vault(CarerActions.Read) with { Representatives = [new LegalRepresentative(CarerVault, RepresentationKind.Parent, Now.AddYears(-1), null, "op")] };
        Assert.Equal(B.LegalRepresentative, Evaluator.Decide(vault, Carer, A.ReadHistory, null, Now).Basis);
    }

    [Fact]
    public void A_delegation_a_representative_issued_ends_with_their_representation()
    {
        var parent = new LegalRepresentative("v-parent", RepresentationKind.Parent, Now.AddYears(-5), null, "op");
        var issued = Vault(All) with
        {
            CarerDelegations = [Vault(All).CarerDelegations[0] with { IssuerVaultId = "v-parent" }],
            Representatives = [parent],
            BirthDate = DateOnly.FromDateTime(Now.UtcDateTime).AddYears(-17),
            IsMinor = true,
        };
        Assert.Equal(B.Carer, Evaluator.Decide(issued, Carer, A.ReadVault, null, Now).Basis);
        Assert.Equal(B.Carer, Evaluator.DecideAgenda(issued, Carer, AgendaUse.Manage, Now).Basis);

        // At the person's majority the parent's authority ends, and what they delegated with it.
        var adult = issued with { BirthDate = DateOnly.FromDateTime(Now.UtcDateTime).AddYears(-18) };
        Assert.Equal(R.BasisExpired, Evaluator.Decide(adult, Carer, A.ReadVault, null, Now).Reason);
        Assert.Equal(R.BasisExpired, Evaluator.DecideAgenda(adult, Carer, AgendaUse.Manage, Now).Reason);
        // A removed representation: the same.
        Assert.Equal(R.BasisExpired, Evaluator.Decide(issued with { Representatives = [] }, Carer, A.ReadDocument, Doc("10"), Now).Reason);
        // The person's own delegation, or one a referent recorded (no issuer vault), stands.
        Assert.Equal(B.Carer, Evaluator.Decide(adult with { CarerDelegations = [issued.CarerDelegations[0] with { IssuerVaultId = Owner }] }, Carer, A.ReadVault, null, Now).Basis);
        Assert.Equal(B.Carer, Evaluator.Decide(adult with { CarerDelegations = [issued.CarerDelegations[0] with { IssuerVaultId = null }] }, Carer, A.ReadVault, null, Now).Basis);
    }

    [Fact]
    public void An_effective_representation_is_active_and_not_a_parents_over_an_adult()
    {
        var born = DateOnly.FromDateTime(Now.UtcDateTime).AddYears(-18);
        var parent = new LegalRepresentative("v-parent", RepresentationKind.Parent, Now.AddYears(-5), null, "op");
        var tutor = new LegalRepresentative("v-tutor", RepresentationKind.Tutor, Now.AddYears(-5), null, "op");
        var adult = new VaultAccessState { VaultId = Owner, Status = VaultStatus.Active, BirthDate = born, Representatives = [parent, tutor] };
        Assert.False(AccessEvaluator.IsEffectiveRepresentative(adult, "v-parent", Now));
        Assert.True(AccessEvaluator.IsEffectiveRepresentative(adult, "v-tutor", Now));
        Assert.True(AccessEvaluator.IsEffectiveRepresentative(adult with { BirthDate = born.AddDays(1) }, "v-parent", Now));
        Assert.False(AccessEvaluator.IsEffectiveRepresentative(adult with { Representatives = [tutor with { Until = Now }] }, "v-tutor", Now));
        Assert.False(AccessEvaluator.IsEffectiveRepresentative(adult, null, Now));

        // A former parent is not refused the carer agenda as a representative: their delegation decides (here none: no role).
        var withCarer = adult with { CarerDelegations = [Vault(All).CarerDelegations[0] with { CarerVaultId = "v-parent" }] };
        Assert.Equal(B.Carer, Evaluator.DecideAgenda(withCarer, Caller.Patient("v-parent"), AgendaUse.Manage, Now).Basis);
    }

    [Fact]
    public void At_most_fifty_settled_delegations_are_kept_the_oldest_dropped()
    {
        var live = Vault(All).CarerDelegations[0] with { Id = "cd-live" };
        var settled = Enumerable.Range(0, 60).Select(i => live with { Id = $"cd-{i:D2}", EndedAt = Now.AddDays(-60 + i), EndedBy = Owner }).ToList();
        var old = live with { Id = "cd-old", EndedAt = Now.AddYears(-2) };
        var kept = CarerRules.KeepSettled([old, .. settled.Take(30), live, .. settled.Skip(30)], Now);
        Assert.Equal(CarerRules.KeptSettledDelegations + 1, kept.Count);
        Assert.Contains(live, kept);
        Assert.DoesNotContain(kept, d => d.Id == "cd-old" || d.Id == "cd-09");
        Assert.Equal("cd-10", kept[0].Id);
        Assert.Equal("cd-59", kept[^1].Id);
    }

    [Fact]
    public void Break_glass_review_on_the_vault()
    {
        var vault = Vault(All);
        Assert.Equal(B.Owner, Evaluator.Decide(vault, Caller.Patient(Owner), A.ReviewBreakGlass, null, Now).Basis);
        Assert.Equal(R.NotPermitted, Evaluator.Decide(vault, Caller.Professional("10000000000", "10"), A.ReviewBreakGlass, null, Now).Reason);
        Assert.Equal(B.Operator, Evaluator.Decide(vault, Caller.Operator("op-1", OperatorRoles.Support), A.ReviewBreakGlass, null, Now).Basis);
        Assert.Equal(R.OperatorRoleMissing, Evaluator.Decide(vault, Caller.Operator("op-1", OperatorRoles.Rollout), A.ReviewBreakGlass, null, Now).Reason);
        // Flagging: the person, never an operator; resolving: operators only, never the person who flagged.
        Assert.Equal(B.Owner, Evaluator.DecideFlagBreakGlass(vault, Caller.Patient(Owner), Now).Basis);
        Assert.Equal(R.NotPermitted, Evaluator.DecideFlagBreakGlass(vault, Caller.Operator("op-1", OperatorRoles.Support), Now).Reason);
        Assert.Equal(R.OutsideDelegation, Evaluator.DecideFlagBreakGlass(vault, Carer, Now).Reason);
        Assert.Equal(B.Operator, Evaluator.DecideResolveBreakGlassReview(vault, Caller.Operator("op-1", OperatorRoles.Support), Now).Basis);
        Assert.Equal(R.NotPermitted, Evaluator.DecideResolveBreakGlassReview(vault, Caller.Patient(Owner), Now).Reason);
        Assert.Equal(R.NotPermitted, Evaluator.DecideResolveBreakGlassReview(vault, Carer, Now).Reason);
    }

    [Theory]
    [InlineData("10", "750000001", true, R.None)]
    [InlineData("10", "750000001", false, R.NotPermitted)]
    [InlineData("60", "750000001", true, R.NotPermitted)]
    [InlineData("10", "750000019", true, R.NotPermitted)]
    [InlineData("10", null, true, R.NotPermitted)]
    public void An_establishments_sessions_are_listed_by_its_referent_physician(string profession, string? actingFor, bool admin, R reason)
    {
        var decision = AccessEvaluator.DecideBreakGlassListing(Caller.Professional("10000000000", profession, actingFor), "750000001", admin);
        Assert.Equal(reason, decision.Reason);
    }

    [Fact]
    public void Support_operators_list_an_establishments_sessions_too()
    {
        Assert.True(AccessEvaluator.DecideBreakGlassListing(Caller.Operator("op-1", OperatorRoles.Support), "750000001", false).Allowed);
        Assert.Equal(R.NotPermitted, AccessEvaluator.DecideBreakGlassListing(Caller.Patient(Owner), "750000001", false).Reason);
    }
}
