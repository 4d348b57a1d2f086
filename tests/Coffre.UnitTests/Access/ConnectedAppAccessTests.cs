using Coffre.Domain.Access;
using Coffre.Domain.Apps;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Coffre.Domain.Vaults;
using Xunit;
using A = Coffre.Domain.Access.VaultAction;
using B = Coffre.Domain.Access.LegalBasis;
using R = Coffre.Domain.Access.DenialReason;

namespace Coffre.UnitTests.Access;

/// <summary>
/// A connected app acts only on the vault of its token, only while the catalogue says it is active, only through a live
/// connection in the vault's own state, and only within the scopes recorded there (never its token's): each branch.
/// </summary>
public sealed class ConnectedAppAccessTests
{
    private const string Owner = "v-owner";
    private const string AppId = "app-0123456789";
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly AccessEvaluator Evaluator = new(HabilitationMatrix.Default);

    /// <summary>Every scope of the vocabulary: what the catalogue declares for the app unless a test narrows it.</summary>
    private static readonly AppScope[] Declared = [.. AppScopeVocabulary.All(HabilitationMatrix.Default.ClassCodes.Keys).Select(s => AppScope.TryParse(s)!)];

    private static Caller App(DirectoryStanding standing = DirectoryStanding.Active, string vault = Owner, string app = AppId, AppScope[]? declared = null) =>
        Caller.App(vault, app, standing, declared ?? Declared);

    private static readonly AppScope[] Consented =
    [
        AppScope.TryParse("documents.read:11")!, AppScope.TryParse("documents.write:52")!, AppScope.TryParse("profile.read:allergies")!,
        AppScope.TryParse("profile.write:measurements")!, AppScope.TryParse("agenda.read")!,
    ];

    public enum Link { Live, Disconnected, None, OtherApp }

    private static VaultAccessState Vault(Link link = Link.Live, VaultStatus status = VaultStatus.Active, params AppScope[] scopes) => new()
    {
        VaultId = Owner,
        Status = status,
        AppConnections = link switch
        {
            Link.Live => [new AppConnection(AppId, scopes.Length == 0 ? Consented : scopes, Now.AddDays(-1), Owner)],
            Link.Disconnected => [new AppConnection(AppId, Consented, Now.AddDays(-2), Owner, Now.AddDays(-1), Owner)],
            Link.OtherApp => [new AppConnection("app-abcdefghjk", Consented, Now.AddDays(-1), Owner)],
            _ => [],
        },
    };

    private static DocumentFacts Doc(string cls, Visibility? visibility = null, bool isPrivate = false) =>
        new("d-" + cls, cls, cls == "11" ? "34133-9" : "28653-4", visibility ?? Visibility.Normal, isPrivate, new Author(AuthorKind.Professional, "10000000000"));

    private static DocumentFacts Profile(ProfileSection section, Visibility? visibility = null) =>
        new ProfileEntry("pe-1", section, new Author(AuthorKind.Person, Owner), Now, "carnet", visibility ?? Visibility.Normal).Facts;

    [Theory]
    [InlineData(A.ReadVault, R.None)]
    [InlineData(A.ListDocuments, R.None)]
    [InlineData(A.ReadHistory, R.NotPermitted)]
    [InlineData(A.VerifyHistory, R.NotPermitted)]
    [InlineData(A.ManageAccess, R.NotPermitted)]
    [InlineData(A.ManageCarers, R.NotPermitted)]
    [InlineData(A.ShareDocuments, R.NotPermitted)]
    [InlineData(A.ExportVault, R.NotPermitted)]
    [InlineData(A.ContactPerson, R.NotPermitted)]
    [InlineData(A.BreakGlass, R.NotPermitted)]
    [InlineData(A.ReviewBreakGlass, R.NotPermitted)]
    [InlineData(A.ManageRepresentatives, R.NotPermitted)]
    [InlineData(A.ManageReferents, R.NotPermitted)]
    [InlineData(A.ManageLifecycle, R.NotPermitted)]
    [InlineData(A.ManageConnectedApps, R.NotPermitted)]
    [InlineData(A.DeleteDocument, R.NotPermitted)]
    [InlineData(A.UpdateDocument, R.NotPermitted)]
    public void Vault_level_actions(A action, R reason)
    {
        var decision = Evaluator.Decide(Vault(), App(), action, null, Now);
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(reason == R.None ? B.ConnectedApp : B.None, decision.Basis);
        if (decision.Allowed)
        {
            Assert.Contains(AppId, decision.Explanation);
            Assert.Contains("documents.read:11", decision.Explanation);
        }
    }

    [Theory]
    [InlineData(A.ReadDocument, "11", R.None)]
    [InlineData(A.ListDocuments, "11", R.None)]
    [InlineData(A.ReadDocument, "52", R.OutsideAppConsent)]
    [InlineData(A.ReadDocument, "10", R.OutsideAppConsent)]
    [InlineData(A.CreateDocument, "52", R.None)]
    [InlineData(A.CreateDocument, "11", R.OutsideAppConsent)]
    public void Documents_within_the_consented_classes_only(A action, string cls, R reason)
    {
        var decision = Evaluator.Decide(Vault(), App(), action, Doc(cls), Now);
        Assert.Equal(reason, decision.Reason);
        if (decision.Allowed)
        {
            Assert.Equal(B.ConnectedApp, decision.Basis);
            Assert.Contains((action == A.CreateDocument ? "documents.write:" : "documents.read:") + cls, decision.Explanation);
        }
    }

    public static TheoryData<Visibility, bool> Masked => new()
    {
        { new Visibility(MaskedFromProfessionals: true), false },
        { new Visibility(InvisibleToPatient: true), false },
        { new Visibility(InvisibleToRepresentatives: true), false },
        { Visibility.Normal, true },
    };

    [Theory]
    [MemberData(nameof(Masked))]
    public void Never_a_private_or_masked_document_whatever_the_scopes(Visibility visibility, bool isPrivate)
    {
        foreach (var action in new[] { A.ReadDocument, A.ListDocuments })
        {
            Assert.Equal(R.MaskedFromApps, Evaluator.Decide(Vault(), App(), action, Doc("11", visibility, isPrivate), Now).Reason);
        }
        Assert.Equal(R.MaskedFromApps, Evaluator.Decide(Vault(), App(), A.CreateDocument, Doc("52", visibility, isPrivate), Now).Reason);
    }

    [Fact]
    public void A_deleted_document_is_deleted()
    {
        Assert.Equal(R.DocumentDeleted, Evaluator.Decide(Vault(), App(), A.ReadDocument, Doc("11") with { Deleted = true }, Now).Reason);
    }

    [Theory]
    [InlineData(ProfileSection.Allergies, A.ReadDocument, R.None, "profile.read:allergies")]
    [InlineData(ProfileSection.Allergies, A.ListDocuments, R.None, "profile.read:allergies")]
    [InlineData(ProfileSection.Treatments, A.ReadDocument, R.OutsideAppConsent, null)]
    [InlineData(ProfileSection.Allergies, A.CreateDocument, R.OutsideAppConsent, null)]
    [InlineData(ProfileSection.Measurements, A.CreateDocument, R.None, "profile.write:measurements")]
    [InlineData(ProfileSection.Measurements, A.ReadDocument, R.OutsideAppConsent, null)]
    public void Profile_entries_by_section_scope_not_by_their_class(ProfileSection section, A action, R reason, string? used)
    {
        // A profile entry carries class 11, which the app may read as documents: the section's scope decides, not the class.
        Assert.Equal(ProfileSections.TypeCode(section), Profile(section).TypeCode);
        var decision = Evaluator.Decide(Vault(), App(), action, Profile(section), Now);
        Assert.Equal(reason, decision.Reason);
        if (used is not null)
        {
            Assert.Contains(used, decision.Explanation);
        }
    }

    [Fact]
    public void A_hidden_profile_entry_is_never_an_apps()
    {
        var hidden = Profile(ProfileSection.Allergies, new Visibility(MaskedFromProfessionals: true));
        Assert.Equal(R.MaskedFromApps, Evaluator.Decide(Vault(), App(), A.ReadDocument, hidden, Now).Reason);
    }

    [Theory]
    [InlineData(DirectoryStanding.Suspended, R.AppSuspended)]
    [InlineData(DirectoryStanding.Unregistered, R.NotRegistered)]
    [InlineData(DirectoryStanding.Unverified, R.NotRegistered)]
    public void The_catalogue_standing_first(DirectoryStanding standing, R reason)
    {
        Assert.Equal(reason, Evaluator.Decide(Vault(), App(standing), A.ReadVault, null, Now).Reason);
        Assert.Equal(reason, Evaluator.Decide(Vault(), App(standing), A.ReadDocument, Doc("11"), Now).Reason);
    }

    [Theory]
    [InlineData(Link.None, R.NoBasis)]
    [InlineData(Link.OtherApp, R.NoBasis)]
    [InlineData(Link.Disconnected, R.BasisExpired)]
    public void Only_through_a_live_connection_of_this_app(Link link, R reason)
    {
        Assert.Equal(reason, Evaluator.Decide(Vault(link), App(), A.ReadVault, null, Now).Reason);
        Assert.Equal(reason, Evaluator.Decide(Vault(link), App(), A.ReadDocument, Doc("11"), Now).Reason);
    }

    [Fact]
    public void Only_on_the_vault_of_its_token()
    {
        Assert.Equal(R.NotPermitted, Evaluator.Decide(Vault(), App(vault: "v-other"), A.ReadVault, null, Now).Reason);
    }

    [Theory]
    [InlineData(VaultStatus.Pending, R.VaultNotActive)]
    [InlineData(VaultStatus.Closed, R.VaultNotActive)]
    public void Only_on_an_active_vault(VaultStatus status, R reason)
    {
        Assert.Equal(reason, Evaluator.Decide(Vault(status: status), App(), A.ReadVault, null, Now).Reason);
    }

    [Fact]
    public void An_operator_narrowing_the_catalogue_narrows_existing_connections()
    {
        // The person consented to documents.read:11 and agenda.read; the catalogue now declares agenda.read only.
        var narrowed = App(declared: [AppScope.TryParse("agenda.read")!, AppScope.TryParse("documents.read:52")!]);
        Assert.Equal(R.OutsideAppConsent, Evaluator.Decide(Vault(), narrowed, A.ReadDocument, Doc("11"), Now).Reason);
        // Declared now but never consented: still refused.
        Assert.Equal(R.OutsideAppConsent, Evaluator.Decide(Vault(), narrowed, A.ReadDocument, Doc("52"), Now).Reason);
        var agenda = Evaluator.DecideAgenda(Vault(), narrowed, AgendaUse.Read, Now);
        Assert.True(agenda.Allowed);
        Assert.DoesNotContain("documents.read:11", agenda.Explanation);
        Assert.Equal(R.None, Evaluator.Decide(Vault(), App(), A.ReadDocument, Doc("11"), Now).Reason);
        // Catalogue scopes unknown (never resolved): nothing.
        Assert.Equal(R.OutsideAppConsent, Evaluator.Decide(Vault(), Caller.App(Owner, AppId, DirectoryStanding.Active), A.ReadDocument, Doc("11"), Now).Reason);
        Assert.Equal(R.OutsideAppConsent, Evaluator.DecideAgenda(Vault(), Caller.App(Owner, AppId, DirectoryStanding.Active), AgendaUse.Read, Now).Reason);
    }

    [Fact]
    public void Listing_needs_a_read_scope()
    {
        var writeOnly = Vault(Link.Live, VaultStatus.Active, AppScope.TryParse("documents.write:11")!);
        Assert.Equal(R.OutsideAppConsent, Evaluator.Decide(writeOnly, App(), A.ListDocuments, null, Now).Reason);
    }

    [Theory]
    [InlineData("agenda.read", AgendaUse.Read, R.None)]
    [InlineData("agenda.read", AgendaUse.Participate, R.OutsideAppConsent)]
    [InlineData("agenda.read", AgendaUse.Manage, R.OutsideAppConsent)]
    [InlineData("agenda.write", AgendaUse.Read, R.None)]
    [InlineData("agenda.write", AgendaUse.Participate, R.None)]
    [InlineData("agenda.write", AgendaUse.Manage, R.None)]
    [InlineData("documents.read:11", AgendaUse.Read, R.OutsideAppConsent)]
    public void The_agenda_with_its_scopes(string scope, AgendaUse use, R reason)
    {
        var decision = Evaluator.DecideAgenda(Vault(Link.Live, VaultStatus.Active, AppScope.TryParse(scope)!), App(), use, Now);
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(reason == R.None ? B.ConnectedApp : B.None, decision.Basis);
        Assert.Equal(R.AppSuspended, Evaluator.DecideAgenda(Vault(), App(DirectoryStanding.Suspended), use, Now).Reason);
    }

    [Fact]
    public void Capabilities_list_what_the_app_may_do()
    {
        var capabilities = Evaluator.Capabilities(Vault(), App(), Now);
        Assert.Equal([A.ReadVault, A.ListDocuments, A.CreateDocument], capabilities);
    }

    [Fact]
    public void Connecting_is_the_persons_own_act()
    {
        var vault = Vault(Link.None) with { Representatives = [new LegalRepresentative("v-parent", RepresentationKind.Parent, Now.AddYears(-1), null, "op")] };
        Assert.Equal(B.Owner, Evaluator.DecideConnectApp(vault, Caller.Patient(Owner), Now).Basis);
        Assert.Equal(R.NotPermitted, Evaluator.DecideConnectApp(vault, Caller.Patient("v-parent"), Now).Reason);
        Assert.Equal(B.LegalRepresentative, Evaluator.Decide(vault, Caller.Patient("v-parent"), A.ManageConnectedApps, null, Now).Basis);
        Assert.Equal(R.NotPermitted, Evaluator.DecideConnectApp(Vault(), App(), Now).Reason);
        Assert.False(Evaluator.DecideConnectApp(vault, Caller.Patient("v-stranger"), Now).Allowed);
    }

    [Fact]
    public void The_catalogue_is_for_anyone_signed_in()
    {
        Assert.True(AccessEvaluator.DecideAppCatalogue(Caller.Patient(Owner)).Allowed);
        Assert.Equal(R.NotAuthenticated, AccessEvaluator.DecideAppCatalogue(Caller.Anonymous).Reason);
    }

    [Theory]
    [InlineData("documents.read:11", true)]
    [InlineData("profile.read:allergies", true)]
    [InlineData("agenda.write", true)]
    [InlineData("documents.read:", false)]
    [InlineData("history.read", false)]
    public void Scope_vocabulary(string name, bool known)
    {
        Assert.Equal(known, AppScope.TryParse(name) is not null);
        Assert.Contains("agenda.read", AppScopeVocabulary.All(HabilitationMatrix.Default.ClassCodes.Keys));
        Assert.Contains("documents.read:11", AppScopeVocabulary.All(HabilitationMatrix.Default.ClassCodes.Keys));
    }
}
