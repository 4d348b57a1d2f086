using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Apps;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Agenda;
using Coffre.Grains.Apps;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Schema;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// Connected apps on the in-process cluster: the catalogue (register, bounds, suspend), the person connects an app with
/// its scopes, the app reads within them only, the person disconnects it and it is refused at once, with notices and
/// the access history naming the app.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ConnectedAppGrainTests(ClusterFixture fixture)
{
    private static readonly Caller DirectoryAdmin = Caller.Operator("op-apps", OperatorRoles.DirectoryAdmin);

    private IAppCatalogueGrain Catalogue => fixture.Grains.GetGrain<IAppCatalogueGrain>(GrainNames.Keys.AppCatalogue);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private async Task<(string VaultId, IVaultGrain Vault)> OpenVaultAsync()
    {
        var vaultId = Ids.NewVaultId();
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(Caller.Professional(NewRpps(), "SOC-AS"), new OpenVault(new IdentityTraits("Martin", "Paule", new DateOnly(1944, 3, 2), Sex.Female),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, DateTimeOffset.UtcNow.AddYears(1), "form 2026-001")));
        return (vaultId, vault);
    }

    private static async Task<DocumentEntry> DepositAsync(IVaultGrain vault, Caller author, string classCode, string typeCode, Visibility? visibility = null)
    {
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray()));
        var document = new NewDocument($"{typeCode} document", classCode, typeCode, "application/pdf", 10, sha) { Visibility = visibility };
        var permit = await vault.AuthorizeUploadAsync(author, document);
        return await vault.AddDocumentAsync(author, document, permit.ContentKey, 10, sha);
    }

    private Task<CatalogueApp> RegisterAsync(params string[] scopes) => Catalogue.RegisterAsync(DirectoryAdmin,
        new AppRegistration("Mon suivi", "Éditeur SAS", "CERT-" + Guid.NewGuid().ToString("N")[..12], scopes, ["https://app.example.fr/callback"]));

    [Fact]
    public async Task Connect_read_within_scopes_disconnect_refused_at_once()
    {
        var (vaultId, vault) = await OpenVaultAsync();
        var owner = Caller.Patient(vaultId);
        var synthesis = await DepositAsync(vault, owner, "11", "34133-9");
        var social = await DepositAsync(vault, owner, "52", "ATTEST-RESID");
        var masked = await DepositAsync(vault, owner, "11", "34133-9", new Visibility(MaskedFromProfessionals: true));
        var app = await RegisterAsync("documents.read:11", "documents.read:52", "agenda.read");
        Assert.True(AppRules.IsAppId(app.AppId));

        var apps = fixture.Grains.GetGrain<IVaultAppsGrain>(vaultId);
        var connection = await apps.ConnectAppAsync(owner, app.AppId, ["documents.read:11"]);
        Assert.True(connection.IsActive);
        Assert.Equal(vaultId, connection.ConnectedBy);

        var caller = Caller.App(vaultId, app.AppId, await Catalogue.StandingAsync(app.AppId), app.Scopes);
        Assert.Equal(DirectoryStanding.Active, caller.Standing);
        var read = await vault.GetDocumentAsync(caller, synthesis.Id);
        Assert.Equal(synthesis.Id, read.Id);
        // Declared by the app, but not consented by the person: refused.
        Assert.Equal(DenialReason.OutsideAppConsent, (await Assert.ThrowsAsync<AccessDeniedException>(() => vault.GetDocumentAsync(caller, social.Id))).Code);
        Assert.Equal(DenialReason.MaskedFromApps, (await Assert.ThrowsAsync<AccessDeniedException>(() => vault.GetDocumentAsync(caller, masked.Id))).Code);
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(() => vault.GetAccessHistoryAsync(caller, null, 10))).Code);
        var listed = await vault.ListDocumentsAsync(caller, new DocumentQuery(First: 50));
        Assert.Equal([synthesis.Id], listed.Items.Select(d => d.Id));

        // The history names the app as the actor.
        var history = await vault.GetAccessHistoryAsync(owner, null, 50);
        Assert.Contains(history.Items, e => e.Event.ActorKind == CallerKind.App && e.Event.ActorId == "app:" + app.AppId && e.Event.Allowed
            && e.Event.Basis == LegalBasis.ConnectedApp);

        var ended = await apps.DisconnectAppAsync(owner, app.AppId);
        Assert.NotNull(ended.DisconnectedAt);
        Assert.Equal(DenialReason.BasisExpired, (await Assert.ThrowsAsync<AccessDeniedException>(() => vault.GetDocumentAsync(caller, synthesis.Id))).Code);
        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<ValidationFailedException>(() => apps.DisconnectAppAsync(owner, app.AppId))).Code);

        var notices = await vault.GetNotificationsAsync(owner, 20);
        Assert.Equal("documents.read:11", Assert.IsType<AppConnectedNotice>(Assert.Single(notices, n => n.Kind == NotificationKind.AppConnected).Payload).Scopes);
        Assert.Equal(vaultId, Assert.IsType<AppDisconnectedNotice>(Assert.Single(notices, n => n.Kind == NotificationKind.AppDisconnected).Payload).DisconnectedBy);

        // Reconnecting adds a new live connection; the ended one stays for the record.
        await apps.ConnectAppAsync(owner, app.AppId, ["documents.read:52"]);
        Assert.Equal(social.Id, (await vault.GetDocumentAsync(caller, social.Id)).Id);
        Assert.Equal(DenialReason.OutsideAppConsent, (await Assert.ThrowsAsync<AccessDeniedException>(() => vault.GetDocumentAsync(caller, synthesis.Id))).Code);
        var view = await vault.GetAsync(owner);
        Assert.Equal(2, view.Access!.AppConnections.Count(c => c.AppId == app.AppId));
    }

    [Fact]
    public async Task Only_declared_scopes_of_an_active_app_and_only_by_the_person()
    {
        var (vaultId, _) = await OpenVaultAsync();
        var owner = Caller.Patient(vaultId);
        var app = await RegisterAsync("documents.read:11");
        var apps = fixture.Grains.GetGrain<IVaultAppsGrain>(vaultId);
        Assert.Equal("scopes", (await Assert.ThrowsAsync<ValidationFailedException>(() => apps.ConnectAppAsync(owner, app.AppId, ["documents.read:52"]))).Field);
        Assert.Equal(DenialReason.NotPermitted, (await Assert.ThrowsAsync<AccessDeniedException>(() => apps.ConnectAppAsync(Caller.Patient(Ids.NewVaultId()), app.AppId, ["documents.read:11"]))).Code);

        await Catalogue.SuspendAsync(DirectoryAdmin, app.AppId, "certification withdrawn");
        Assert.Equal(DirectoryStanding.Suspended, await Catalogue.StandingAsync(app.AppId));
        Assert.Equal("appId", (await Assert.ThrowsAsync<ValidationFailedException>(() => apps.ConnectAppAsync(owner, app.AppId, ["documents.read:11"]))).Field);
        Assert.Equal(ErrorCodes.Conflict, (await Assert.ThrowsAsync<ValidationFailedException>(() => Catalogue.SuspendAsync(DirectoryAdmin, app.AppId, "again"))).Code);
        await Catalogue.ReinstateAsync(DirectoryAdmin, app.AppId);
        Assert.True((await apps.ConnectAppAsync(owner, app.AppId, ["documents.read:11"])).IsActive);
        Assert.Equal(DirectoryStanding.Unregistered, await Catalogue.StandingAsync("app-zzzzzzzzzz"));
    }

    [Theory]
    [InlineData("documents.read:99", "scopes")]
    [InlineData("history.read", "scopes")]
    [InlineData(null, "redirectUris")]
    public async Task The_catalogue_refuses_bad_entries_naming_the_field(string? scope, string field)
    {
        var registration = new AppRegistration("Mon suivi", "Éditeur", "CERT-" + Guid.NewGuid().ToString("N")[..12],
            scope is null ? ["agenda.read"] : [scope], scope is null ? ["http://app.example.fr/callback"] : ["https://app.example.fr/cb"]);
        Assert.Equal(field, (await Assert.ThrowsAsync<ValidationFailedException>(() => Catalogue.RegisterAsync(DirectoryAdmin, registration))).Field);
        Assert.Equal(DenialReason.OperatorRoleMissing, (await Assert.ThrowsAsync<AccessDeniedException>(() =>
            Catalogue.RegisterAsync(Caller.Operator("op-support", OperatorRoles.Support), registration))).Code);
    }

    [Fact]
    public async Task Loopback_http_redirects_are_allowed_and_people_see_active_apps_only()
    {
        var app = await Catalogue.RegisterAsync(DirectoryAdmin, new AppRegistration("Zeta appli", "Éditeur", "CERT-" + Guid.NewGuid().ToString("N")[..12],
            ["agenda.read"], ["http://127.0.0.1:8123/callback"]));
        await Catalogue.SuspendAsync(DirectoryAdmin, app.AppId, "test");
        var person = Caller.Patient(Ids.NewVaultId());
        var seen = new List<CatalogueApp>();
        string? after = null;
        CatalogueAppPage page;
        do
        {
            page = await Catalogue.ListAsync(person, 50, after);
            seen.AddRange(page.Apps);
            after = page.Apps.Count > 0 ? page.Apps[^1].AppId : null;
        }
        while (page.HasNextPage);
        Assert.DoesNotContain(seen, a => a.AppId == app.AppId);
        Assert.All(seen, a => Assert.Equal(AppStatus.Active, a.Status));
        Assert.Equal(DenialReason.NotAuthenticated, (await Assert.ThrowsAsync<AccessDeniedException>(() => Catalogue.ListAsync(Caller.Anonymous, 10, null))).Code);
    }

    [Fact]
    public async Task An_app_with_agenda_write_manages_appointments_agenda_read_only_reads_and_neither_sees_the_identity()
    {
        var (vaultId, vault) = await OpenVaultAsync();
        var owner = Caller.Patient(vaultId);
        var writer = await RegisterAsync("agenda.write");
        var reader = await RegisterAsync("agenda.read");
        var apps = fixture.Grains.GetGrain<IVaultAppsGrain>(vaultId);
        await apps.ConnectAppAsync(owner, writer.AppId, ["agenda.write"]);
        await apps.ConnectAppAsync(owner, reader.AppId, ["agenda.read"]);
        var writing = Caller.App(vaultId, writer.AppId, DirectoryStanding.Active, writer.Scopes);
        var reading = Caller.App(vaultId, reader.AppId, DirectoryStanding.Active, reader.Scopes);
        var agenda = fixture.Grains.GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(vaultId));
        var start = DateTimeOffset.UtcNow.AddDays(3);
        var slot = new NewAppointment("Kinésithérapie", start, start.AddHours(1));

        var created = await agenda.CreateAsync(writing, slot);
        var change = Assert.Single(created.History);
        Assert.Equal(new AppointmentActor(AppointmentActorKind.App, writer.AppId), change.Actor);
        var cancelled = await agenda.CancelAsync(writing, created.Id);
        Assert.Equal(AppointmentStatus.Cancelled, cancelled.Status);
        Assert.Equal(AppointmentActorKind.App, cancelled.History[^1].Actor.Kind);
        // Not the person's side: the person is told.
        Assert.Contains(await vault.GetNotificationsAsync(owner, 20), n => n.Kind == NotificationKind.AppointmentChanged);

        Assert.Equal(DenialReason.OutsideAppConsent, (await Assert.ThrowsAsync<AccessDeniedException>(() => agenda.CreateAsync(reading, slot))).Code);
        Assert.Equal(DenialReason.OutsideAppConsent, (await Assert.ThrowsAsync<AccessDeniedException>(() => agenda.CancelAsync(reading, created.Id))).Code);
        Assert.Single((await agenda.ListAsync(reading, new AgendaQuery(start.AddDays(-1), start.AddDays(1)))).Items);
        // Prevention dates are part of agenda.read (the person was born in 1944: there are some).
        Assert.NotEmpty(await agenda.PreventionItemsAsync(reading));

        // The vault's summary, never the identity.
        var seen = await vault.GetAsync(reading);
        Assert.Equal(LegalBasis.ConnectedApp, seen.Basis);
        Assert.Null(seen.Identity);
        Assert.NotNull((await vault.GetAsync(owner)).Identity);
    }

    [Fact]
    public async Task A_revocation_that_failed_is_completed_by_a_retry()
    {
        var (vaultId, _) = await OpenVaultAsync();
        var owner = Caller.Patient(vaultId);
        var app = await RegisterAsync("documents.read:11");
        var apps = fixture.Grains.GetGrain<IVaultAppsGrain>(vaultId);
        await apps.ConnectAppAsync(owner, app.AppId, ["documents.read:11"]);
        var revocations = 0;
        Task<long> FailingOnce() => ++revocations == 1 ? throw new TimeoutException("the provider's store did not answer") : Task.FromResult(1L);

        // The disconnection is written, the revocation fails; the retry is NOT_FOUND but revokes.
        await Assert.ThrowsAsync<TimeoutException>(() => AppRevocation.ThenRevokeAsync(() => apps.DisconnectAppAsync(owner, app.AppId), FailingOnce, ErrorCodes.NotFound));
        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<ValidationFailedException>(() =>
            AppRevocation.ThenRevokeAsync(() => apps.DisconnectAppAsync(owner, app.AppId), FailingOnce, ErrorCodes.NotFound))).Code);
        Assert.Equal(2, revocations);
        // A caller who is refused revokes nothing.
        await Assert.ThrowsAsync<AccessDeniedException>(() =>
            AppRevocation.ThenRevokeAsync(() => apps.DisconnectAppAsync(Caller.Patient(Ids.NewVaultId()), app.AppId), FailingOnce, ErrorCodes.NotFound));
        Assert.Equal(2, revocations);

        revocations = 0;
        await Assert.ThrowsAsync<TimeoutException>(() => AppRevocation.ThenRevokeAsync(() => Catalogue.SuspendAsync(DirectoryAdmin, app.AppId, "withdrawn"), FailingOnce, ErrorCodes.Conflict));
        Assert.Equal(ErrorCodes.Conflict, (await Assert.ThrowsAsync<ValidationFailedException>(() =>
            AppRevocation.ThenRevokeAsync(() => Catalogue.SuspendAsync(DirectoryAdmin, app.AppId, "withdrawn"), FailingOnce, ErrorCodes.Conflict))).Code);
        Assert.Equal(2, revocations);
    }

    [Fact]
    public async Task Only_directory_admins_see_suspended_apps()
    {
        var app = await RegisterAsync("agenda.read");
        await Catalogue.SuspendAsync(DirectoryAdmin, app.AppId, "test");
        Assert.Contains(await AllAsync(DirectoryAdmin), a => a.AppId == app.AppId);
        var support = await AllAsync(Caller.Operator("op-support", OperatorRoles.Support | OperatorRoles.Rollout));
        Assert.DoesNotContain(support, a => a.AppId == app.AppId);
        Assert.All(support, a => Assert.Equal(AppStatus.Active, a.Status));
        Assert.True(AccessEvaluator.AdministersApps(DirectoryAdmin));
        Assert.False(AccessEvaluator.AdministersApps(Caller.Operator("op-support", OperatorRoles.Support)));
        Assert.False(AccessEvaluator.AdministersApps(Caller.Patient(Ids.NewVaultId())));
    }

    [Fact]
    public async Task The_history_never_holds_text_that_is_no_app_id()
    {
        var (vaultId, vault) = await OpenVaultAsync();
        var owner = Caller.Patient(vaultId);
        var apps = fixture.Grains.GetGrain<IVaultAppsGrain>(vaultId);
        const string Junk = "Jean Dupont 1 44 03 75 123 456 78";
        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<ValidationFailedException>(() => apps.DisconnectAppAsync(owner, Junk))).Code);
        var history = await vault.GetAccessHistoryAsync(owner, null, 50);
        Assert.Contains(history.Items, e => e.Event.Operation == "app.disconnect" && e.Event.Target == "app:invalid");
        Assert.DoesNotContain(history.Items, e => e.Event.Target.Contains("Dupont", StringComparison.Ordinal));
    }

    [Fact]
    public async Task What_an_app_deposits_is_authored_by_the_app()
    {
        var (vaultId, vault) = await OpenVaultAsync();
        var app = await RegisterAsync("documents.write:11");
        await fixture.Grains.GetGrain<IVaultAppsGrain>(vaultId).ConnectAppAsync(Caller.Patient(vaultId), app.AppId, ["documents.write:11"]);
        var deposited = await DepositAsync(vault, Caller.App(vaultId, app.AppId, DirectoryStanding.Active, app.Scopes), "11", "34133-9");
        Assert.Equal(new Author(AuthorKind.App, "app:" + app.AppId), deposited.Author);
    }

    private async Task<List<CatalogueApp>> AllAsync(Caller caller)
    {
        var seen = new List<CatalogueApp>();
        string? after = null;
        CatalogueAppPage page;
        do
        {
            page = await Catalogue.ListAsync(caller, 50, after);
            seen.AddRange(page.Apps);
            after = page.Apps.Count > 0 ? page.Apps[^1].AppId : null;
        }
        while (page.HasNextPage);
        return seen;
    }
}
