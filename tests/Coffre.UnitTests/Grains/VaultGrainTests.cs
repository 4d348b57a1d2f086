using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>The vault grain in an in-process cluster: decisions, audit, notifications and state, end to end below the API.</summary>
[Collection(ClusterCollection.Name)]
public sealed class VaultGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);
    private static readonly Caller Operator = Caller.Operator("op-1");

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private sealed record Scene(IVaultGrain Vault, string VaultId, Caller Owner, Caller SocialWorker, Caller Doctor);

    /// <summary>A social worker opens a vault with recorded consent; a doctor exists with no access yet.</summary>
    private async Task<Scene> OpenAsync()
    {
        var vaultId = Ids.NewVaultId();
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        var view = await vault.OpenAsync(social, new OpenVault(
            new IdentityTraits("Martin", "Paul", new DateOnly(1975, 3, 2), Sex.Male),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001")));
        Assert.Equal(VaultStatus.Active, view.Status);
        return new Scene(vault, vaultId, Caller.Patient(vaultId), social, Caller.Professional(NewRpps(), "10"));
    }

    private static async Task<DocumentEntry> DepositAsync(Scene scene, Caller author, string classCode, string typeCode, Visibility? visibility = null, long size = 100)
    {
        var sha = Sha256Hex.Of(new byte[size]);
        var document = new NewDocument($"{typeCode} document", classCode, typeCode, "application/pdf", size, sha, Visibility: visibility);
        var permit = await scene.Vault.AuthorizeUploadAsync(author, document);
        return await scene.Vault.AddDocumentAsync(author, document, permit.ContentKey, size, sha);
    }

    [Fact]
    public async Task Referent_deposits_and_the_owner_sees_it_with_its_author()
    {
        var scene = await OpenAsync();
        var entry = await DepositAsync(scene, scene.SocialWorker, "52", "ATTEST-DROITS-AM");

        var page = await scene.Vault.ListDocumentsAsync(scene.Owner, new DocumentQuery());
        var listed = Assert.Single(page.Items);
        Assert.Equal(entry.Id, listed.Id);
        Assert.Equal(AuthorKind.Referent, listed.Author.Kind);
        Assert.Equal(scene.SocialWorker.Rpps, listed.Author.Id);
        Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 10), n => n.Kind == NotificationKind.NewDocument && n.Payload is NewDocumentNotice);
    }

    [Fact]
    public async Task Doctor_without_basis_is_denied_and_the_denial_is_in_the_history()
    {
        var scene = await OpenAsync();
        await DepositAsync(scene, scene.SocialWorker, "52", "ATTEST-DROITS-AM");

        var denied = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.ListDocumentsAsync(scene.Doctor, new DocumentQuery()));
        Assert.Equal(DenialReason.NoBasis, denied.Code);

        var history = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 50);
        Assert.Contains(history.Items, e => e.Event.ActorId == scene.Doctor.Rpps && !e.Event.Allowed && e.Event.Reason == DenialReason.NoBasis);
    }

    [Fact]
    public async Task Grant_scoped_to_a_class_opens_that_class_only_and_first_access_notifies_once()
    {
        var scene = await OpenAsync();
        var biology = await DepositAsync(scene, scene.Owner, "10", "11502-2");
        var imaging = await DepositAsync(scene, scene.Owner, "31", "18748-4");
        await scene.Vault.GrantAccessAsync(scene.Owner, new GrantRequest(GranteeKind.Professional, scene.Doctor.Rpps!, new DocumentScope(ClassCodes: ["10"]), NextYear));

        var seen = await scene.Vault.ListDocumentsAsync(scene.Doctor, new DocumentQuery());
        Assert.Equal([biology.Id], seen.Items.Select(d => d.Id));
        await scene.Vault.GetDocumentAsync(scene.Doctor, biology.Id);
        var outside = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetDocumentAsync(scene.Doctor, imaging.Id));
        Assert.Equal(DenialReason.OutsideScope, outside.Code);

        var notifications = await scene.Vault.GetNotificationsAsync(scene.Owner, 20);
        Assert.Single(notifications, n => n.Kind == NotificationKind.FirstAccess && n.Payload is FirstAccessNotice { Basis: LegalBasis.Grant } notice && notice.Rpps == scene.Doctor.Rpps);
    }

    [Fact]
    public async Task Block_beats_a_grant_and_masking_hides_from_all_but_the_author()
    {
        var scene = await OpenAsync();
        var authored = await DepositAsync(scene, scene.SocialWorker, "52", "28653-4");
        await scene.Vault.UpdateDocumentAsync(scene.Owner, authored.Id, new DocumentChanges(MaskedFromProfessionals: true));
        Assert.Equal(authored.Id, (await scene.Vault.GetDocumentAsync(scene.SocialWorker, authored.Id)).Id);

        var otherSocial = Caller.Professional(NewRpps(), "SOC-ES");
        await scene.Vault.GrantAccessAsync(scene.Owner, new GrantRequest(GranteeKind.Professional, otherSocial.Rpps!, DocumentScope.All, NextYear));
        var masked = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetDocumentAsync(otherSocial, authored.Id));
        Assert.Equal(DenialReason.MaskedFromProfessionals, masked.Code);

        await scene.Vault.BlockProfessionalAsync(scene.Owner, otherSocial.Rpps!);
        var blocked = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.ListDocumentsAsync(otherSocial, new DocumentQuery()));
        Assert.Equal(DenialReason.Blocked, blocked.Code);
    }

    [Fact]
    public async Task Break_glass_needs_a_reason_opens_the_emergency_scope_only_and_notifies()
    {
        var scene = await OpenAsync();
        var summary = await DepositAsync(scene, scene.Owner, "11", "60591-5");
        var imaging = await DepositAsync(scene, scene.Owner, "31", "18748-4");

        var tooShort = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Vault.BreakGlassAsync(scene.Doctor, "urgent"));
        Assert.Equal("reason", tooShort.Field);

        var session = await scene.Vault.BreakGlassAsync(scene.Doctor, "unconscious patient admitted to the emergency room");
        Assert.True(session.ExpiresAt > session.StartedAt);
        Assert.Equal(summary.Id, (await scene.Vault.GetDocumentAsync(scene.Doctor, summary.Id)).Id);
        var outside = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetDocumentAsync(scene.Doctor, imaging.Id));
        Assert.Equal(DenialReason.OutsideEmergencyScope, outside.Code);

        Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 20), n => n.Kind == NotificationKind.BreakGlass && n.Payload is BreakGlassNotice);
        var history = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100);
        Assert.Contains(history.Items, e => e.Event.Basis == LegalBasis.BreakGlass && e.Event.Operation == "document.read");
    }

    [Fact]
    public async Task Lifting_invisibility_to_representatives_cannot_be_undone()
    {
        var scene = await OpenAsync();
        var document = await DepositAsync(scene, scene.Owner, "10", "11490-0", new Visibility(InvisibleToRepresentatives: true));
        await scene.Vault.UpdateDocumentAsync(scene.Owner, document.Id, new DocumentChanges(InvisibleToRepresentatives: false));

        var again = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            scene.Vault.UpdateDocumentAsync(scene.Owner, document.Id, new DocumentChanges(InvisibleToRepresentatives: true)));
        Assert.Equal("invisibleToRepresentatives", again.Field);
    }

    [Fact]
    public async Task Quota_and_type_rules_refuse_a_deposit_before_anything_is_recorded()
    {
        var scene = await OpenAsync();
        var huge = new NewDocument("scan", "90", "DOCPAT01", "application/pdf", 700L * 1024 * 1024, Sha256Hex.Of([1]));
        var size = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Vault.AuthorizeUploadAsync(scene.Owner, huge));
        Assert.Equal("size", size.Field);

        var wrongType = huge with { Size = 10, ContentType = "application/x-msdownload" };
        Assert.Equal("contentType", (await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Vault.AuthorizeUploadAsync(scene.Owner, wrongType))).Field);

        var wrongClass = huge with { Size = 10, ClassCode = "31" };
        Assert.Equal("classCode", (await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Vault.AuthorizeUploadAsync(scene.Owner, wrongClass))).Field);
        Assert.Equal(0, (await scene.Vault.GetAsync(scene.Owner)).DocumentCount);
    }

    [Fact]
    public async Task Operators_manage_the_lifecycle_but_never_read_documents()
    {
        var scene = await OpenAsync();
        await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        var view = await scene.Vault.GetAsync(Operator);
        Assert.Null(view.Identity);
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.ListDocumentsAsync(Operator, new DocumentQuery()));
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAccessHistoryAsync(Operator, null, 10));
        Assert.Equal(VaultStatus.Closed, (await scene.Vault.CloseAsync(Operator)).Status);
    }

    [Fact]
    public async Task Every_call_lands_in_an_intact_audit_chain()
    {
        var scene = await OpenAsync();
        await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAsync(Caller.Patient(Ids.NewVaultId())));
        var report = await scene.Vault.VerifyAuditChainAsync(scene.Owner);
        Assert.True(report.Intact, report.Problem);
        Assert.True(report.EventsChecked >= 4, $"only {report.EventsChecked} events");
    }

    [Fact]
    public async Task Cursor_pagination_walks_every_visible_document_once()
    {
        var scene = await OpenAsync();
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add((await DepositAsync(scene, scene.Owner, "90", "DOCPAT01")).Id);
        }
        var seen = new List<string>();
        string? after = null;
        do
        {
            var page = await scene.Vault.ListDocumentsAsync(scene.Owner, new DocumentQuery(First: 3, After: after));
            Assert.Equal(7, page.TotalCount);
            seen.AddRange(page.Items.Select(d => d.Id));
            after = page.HasNextPage ? page.Cursors[^1] : null;
        }
        while (after is not null);
        Assert.Equal(ids.OrderBy(x => x), seen.OrderBy(x => x));
    }

    [Fact]
    public async Task Repeated_denials_are_counted_into_aggregates_then_rate_limited()
    {
        var scene = await OpenAsync();
        for (var i = 0; i < 50; i++)
        {
            var denied = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAsync(scene.Doctor));
            Assert.Equal(DenialReason.NoBasis, denied.Code);
        }
        var limited = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Vault.GetAsync(scene.Doctor));
        Assert.Equal(DenialReason.RateLimited, limited.Code);

        var history = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 200);
        var doctor = history.Items.Where(e => e.Event.ActorId == scene.Doctor.Rpps).ToList();
        Assert.Equal(50, doctor.Where(e => e.Event.Reason == DenialReason.NoBasis).Sum(e => e.Event.Count));
        Assert.Equal(1, doctor.Where(e => e.Event.Reason == DenialReason.RateLimited).Sum(e => e.Event.Count));
        Assert.True(doctor.Count <= 3, $"{doctor.Count} events");
        Assert.True((await scene.Vault.VerifyAuditChainAsync(Operator)).Intact);
        // Others are not affected.
        await scene.Vault.GetAsync(scene.Owner);
    }

    [Fact]
    public async Task An_id_that_names_no_vault_answers_not_found()
    {
        var vault = fixture.Grains.GetGrain<IVaultGrain>(Ids.NewVaultId());
        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => vault.GetAsync(Caller.Professional(NewRpps(), "10")));
        Assert.Equal("NOT_FOUND", missing.Code);
        missing = await Assert.ThrowsAsync<ValidationFailedException>(() => vault.GetAccessHistoryAsync(Operator, null, 10));
        Assert.Equal("NOT_FOUND", missing.Code);
    }

    [Fact]
    public async Task A_support_read_of_a_vaults_deliveries_is_decided_and_in_the_persons_history()
    {
        var scene = await OpenAsync();
        var support = fixture.Grains.GetGrain<IDeliverySupportGrain>(0);
        await support.ListAsync(Caller.Operator("op-support", OperatorRoles.Support), null, scene.VaultId, 10, null);
        await Assert.ThrowsAsync<AccessDeniedException>(() => support.ListAsync(Caller.Operator("op-rollout", OperatorRoles.Rollout), null, scene.VaultId, 10, null));
        var history = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100);
        Assert.Contains(history.Items, h => h.Event.Operation == "deliveries.support-read" && h.Event.Allowed);

        // A message id with an empty vault id reads the message; a vault id that is not one is named, not looked up.
        var supportCaller = Caller.Operator("op-support", OperatorRoles.Support);
        var none = await support.ListAsync(supportCaller, Guid.NewGuid(), "", 10, null);
        Assert.Empty(none.Items);
        var notVault = await Assert.ThrowsAsync<ValidationFailedException>(() => support.ListAsync(supportCaller, null, "not-a-vault", 10, null));
        Assert.Equal("vaultId", notVault.Field);
    }

    [Fact]
    public async Task A_parent_needs_a_minor_and_a_tutor_a_court_decision()
    {
        var scene = await OpenAsync();
        var parent = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            scene.Vault.AddRepresentativeAsync(Operator, new RepresentativeRequest(Ids.NewVaultId(), RepresentationKind.Parent, null)));
        Assert.Equal("kind", parent.Field);
        var tutor = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            scene.Vault.AddRepresentativeAsync(Operator, new RepresentativeRequest(Ids.NewVaultId(), RepresentationKind.Tutor, null)));
        Assert.Equal("court", tutor.Field);
        var recorded = await scene.Vault.AddRepresentativeAsync(Operator, new RepresentativeRequest(Ids.NewVaultId(), RepresentationKind.Tutor, null,
            Decision: new CourtDecision("Tribunal judiciaire de Lyon", "RG 25/00042", new DateOnly(2025, 11, 3))));
        Assert.Equal("RG 25/00042", recorded.Decision?.Reference);
        Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 10), n => n.Kind == NotificationKind.RepresentativeAdded && n.Payload is RepresentativeAddedNotice);
    }
}
