using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Sharing;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Sharing;
using Coffre.Grains.Vaults;
using Orleans.TestingHost;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>A clock the share-link tests move forward (system time plus an offset; only ever advanced).</summary>
public sealed class SteppedClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}

/// <summary>
/// One silo of its own for the share-link tests, whose grains tell time by <see cref="Clock"/> (a single silo: no other
/// silo's liveness to misjudge when the clock jumps).
/// </summary>
public sealed class ShareClusterFixture : IAsyncLifetime
{
    public SteppedClock Clock { get; } = new();

    public InProcessTestCluster Cluster { get; }

    private readonly string _folder = ClusterFixture.NewFolder();

    public ShareClusterFixture()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => ClusterFixture.ConfigureSilo(silo, Clock, _folder));
        Cluster = builder.Build();
    }

    public IGrainFactory Grains => Cluster.Client;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        ClusterFixture.DeleteFolder(_folder);
    }
}

[CollectionDefinition(Name)]
public sealed class ShareClusterCollection : ICollectionFixture<ShareClusterFixture>
{
    public const string Name = "share-cluster";
}

/// <summary>
/// Share links end to end below the API: scope (only the link's documents), expiry with the controlled clock, revocation,
/// limited openings, the lock after wrong codes, every opening and download in the person's access history, and a document
/// deleted or hidden after sharing no longer served.
/// </summary>
[Collection(ShareClusterCollection.Name)]
public sealed class ShareLinkGrainTests(ShareClusterFixture fixture)
{
    private sealed record Scene(string VaultId, IVaultGrain Vault, IVaultSharingGrain Sharing, Caller Owner, Caller SocialWorker);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private async Task<Scene> OpenAsync()
    {
        var vaultId = Ids.NewVaultId();
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(social, new OpenVault(new IdentityTraits("Martin", "Paul", new DateOnly(1975, 3, 2), Sex.Male),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, fixture.Clock.GetUtcNow().AddYears(1), "form 2026-001")));
        return new Scene(vaultId, vault, fixture.Grains.GetGrain<IVaultSharingGrain>(vaultId), Caller.Patient(vaultId), social);
    }

    private static async Task<DocumentEntry> DepositAsync(Scene scene, string typeCode = "ATTEST-DROITS-AM", string classCode = "52")
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes("content " + Guid.NewGuid());
        var sha = Sha256Hex.Of(bytes);
        var document = new NewDocument($"{typeCode} document", classCode, typeCode, "application/pdf", bytes.Length, sha);
        var permit = await scene.Vault.AuthorizeUploadAsync(scene.Owner, document);
        return await scene.Vault.AddDocumentAsync(scene.Owner, document, permit.ContentKey, bytes.Length, sha);
    }

    private static Task<CreatedShareLink> ShareAsync(Scene scene, IReadOnlyList<string> documentIds, int maxOpenings = 1, int? validForHours = null) =>
        scene.Sharing.CreateShareLinkAsync(scene.Owner, new NewShareLink(documentIds, null, validForHours, maxOpenings, "for the prefecture"));

    private IShareLinkGrain Link(string linkId) => fixture.Grains.GetGrain<IShareLinkGrain>(GrainNames.Keys.ShareLink(linkId));

    private static async Task<ShareLinkView> StatusAsync(Scene scene, string linkId) =>
        Assert.Single((await scene.Sharing.ListShareLinksAsync(scene.Owner, 50, null)).Items, l => l.LinkId == linkId);

    [Fact]
    public async Task The_code_opens_the_links_documents_only_and_every_opening_and_download_is_in_the_history()
    {
        var scene = await OpenAsync();
        var shared = await DepositAsync(scene);
        var other = await DepositAsync(scene, "ATTEST-RESID");
        var created = await ShareAsync(scene, [shared.Id], maxOpenings: 2);
        Assert.True(ShareLinks.IsLinkId(created.Link.LinkId));
        Assert.Equal(ShareLinkStatus.Active, created.Link.Status);

        var opening = await Link(created.Link.LinkId).OpenAsync(ShareLinks.DisplayCode(created.Code).ToLowerInvariant());
        Assert.NotNull(opening);
        var document = Assert.Single(opening.Documents);
        Assert.Equal((shared.Id, shared.Sha256, shared.Size), (document.DocumentId, document.Sha256, document.Size));
        Assert.Equal(1, opening.OpeningsLeft);

        var entry = await Link(created.Link.LinkId).AuthorizeDownloadAsync(opening.Token, shared.Id);
        Assert.Equal(shared.ContentKey, entry?.ContentKey);
        // Another document of the vault, a made-up one, another token: the same refusal.
        Assert.Null(await Link(created.Link.LinkId).AuthorizeDownloadAsync(opening.Token, other.Id));
        Assert.Null(await Link(created.Link.LinkId).AuthorizeDownloadAsync(opening.Token, "d-999999-zzzzzzzz"));
        Assert.Null(await Link(created.Link.LinkId).AuthorizeDownloadAsync(Convert.ToBase64String(new byte[32]), shared.Id));
        // A link id nobody created: nothing (and no state).
        Assert.Null(await Link(ShareLinks.NewLinkId()).OpenAsync(created.Code));

        var history = (await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100)).Items.Select(i => i.Event).ToList();
        Assert.Contains(history, e => e.Operation == "share.create" && e.Allowed && e.Basis == LegalBasis.Owner);
        var opened = Assert.Single(history, e => e.Operation == "share.opened");
        Assert.Equal((CallerKind.Anonymous, "share:" + created.Link.LinkId, LegalBasis.ShareLink, true), (opened.ActorKind, opened.ActorId, opened.Basis, opened.Allowed));
        var download = Assert.Single(history, e => e.Operation == "share.download");
        Assert.Equal(("document:" + shared.Id, LegalBasis.ShareLink), (download.Target, download.Basis));
        Assert.DoesNotContain(history, e => e.Target.Contains(created.Code, StringComparison.Ordinal));

        var notice = Assert.Single(await scene.Vault.GetNotificationsAsync(scene.Owner, 20), n => n.Kind == NotificationKind.ShareLinkOpened);
        var payload = Assert.IsType<ShareLinkOpenedNotice>(notice.Payload);
        Assert.Equal((created.Link.LinkId, 1), (payload.LinkId, payload.Openings));
        var status = await StatusAsync(scene, created.Link.LinkId);
        Assert.Equal((ShareLinkStatus.Active, 1, 1), (status.Status, status.Openings, status.DocumentIds.Count));
    }

    [Fact]
    public async Task A_link_opens_as_many_times_as_allowed_then_is_used_up_while_the_last_opening_still_downloads()
    {
        var scene = await OpenAsync();
        var shared = await DepositAsync(scene);
        var created = await ShareAsync(scene, [shared.Id], maxOpenings: 1);

        var opening = await Link(created.Link.LinkId).OpenAsync(created.Code);
        Assert.NotNull(opening);
        Assert.Null(await Link(created.Link.LinkId).OpenAsync(created.Code));
        Assert.Equal(ShareLinkStatus.UsedUp, (await StatusAsync(scene, created.Link.LinkId)).Status);
        Assert.NotNull(await Link(created.Link.LinkId).AuthorizeDownloadAsync(opening.Token, shared.Id));
    }

    [Fact]
    public async Task A_link_expires_and_an_opening_token_lasts_fifteen_minutes()
    {
        var scene = await OpenAsync();
        var shared = await DepositAsync(scene);
        var created = await ShareAsync(scene, [shared.Id], maxOpenings: 3, validForHours: 2);

        var opening = await Link(created.Link.LinkId).OpenAsync(created.Code);
        Assert.NotNull(opening);
        fixture.Clock.Advance(ShareLinks.OpeningTokenLifetime + TimeSpan.FromSeconds(1));
        Assert.Null(await Link(created.Link.LinkId).AuthorizeDownloadAsync(opening.Token, shared.Id));
        Assert.NotNull(await Link(created.Link.LinkId).OpenAsync(created.Code));

        fixture.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Null(await Link(created.Link.LinkId).OpenAsync(created.Code));
        var status = await StatusAsync(scene, created.Link.LinkId);
        Assert.Equal((ShareLinkStatus.Expired, 2), (status.Status, status.Openings));
    }

    [Fact]
    public async Task Revoking_stops_the_next_opening_and_download_at_once()
    {
        var scene = await OpenAsync();
        var shared = await DepositAsync(scene);
        var created = await ShareAsync(scene, [shared.Id], maxOpenings: 5);
        var opening = await Link(created.Link.LinkId).OpenAsync(created.Code);
        Assert.NotNull(opening);

        var revoked = await scene.Sharing.RevokeShareLinkAsync(scene.Owner, created.Link.LinkId);
        Assert.Equal(ShareLinkStatus.Revoked, revoked.Status);
        Assert.Null(await Link(created.Link.LinkId).AuthorizeDownloadAsync(opening.Token, shared.Id));
        Assert.Null(await Link(created.Link.LinkId).OpenAsync(created.Code));
        Assert.Contains((await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 50)).Items, i => i.Event.Operation == "share.revoke" && i.Event.Allowed);
        var unknown = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Sharing.RevokeShareLinkAsync(scene.Owner, ShareLinks.NewLinkId()));
        Assert.Equal(("linkId", ErrorCodes.NotFound), (unknown.Field, unknown.Code));
    }

    [Fact]
    public async Task Five_wrong_codes_lock_the_link_for_good_and_the_person_is_told()
    {
        var scene = await OpenAsync();
        var shared = await DepositAsync(scene);
        var created = await ShareAsync(scene, [shared.Id], maxOpenings: 3);
        var wrong = created.Code[..8] == "00000000" ? "11111111" : "00000000";
        string[] attempts = [wrong + ActivationCheck(wrong), "not a code", wrong + ActivationCheck(wrong), "", wrong + ActivationCheck(wrong)];
        foreach (var attempt in attempts)
        {
            Assert.Null(await Link(created.Link.LinkId).OpenAsync(attempt));
        }
        Assert.Null(await Link(created.Link.LinkId).OpenAsync(created.Code));

        var status = await StatusAsync(scene, created.Link.LinkId);
        Assert.Equal((ShareLinkStatus.Locked, 0), (status.Status, status.Openings));
        Assert.Contains(await scene.Vault.GetNotificationsAsync(scene.Owner, 20), n => n.Payload is ShareLinkLockedNotice l && l.LinkId == created.Link.LinkId);
        Assert.Contains((await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 50)).Items, i => i.Event.Operation == "share.locked" && !i.Event.Allowed);
    }

    private static char ActivationCheck(string symbols) => Coffre.Domain.Rollout.ActivationCodes.CheckSymbol(symbols);

    [Fact]
    public async Task A_document_deleted_or_hidden_after_sharing_is_no_longer_served()
    {
        var scene = await OpenAsync();
        var deleted = await DepositAsync(scene);
        var hidden = await DepositAsync(scene, "11502-2", "10");
        var kept = await DepositAsync(scene, "ATTEST-RESID");
        var created = await ShareAsync(scene, [deleted.Id, hidden.Id, kept.Id], maxOpenings: 3);
        var before = await Link(created.Link.LinkId).OpenAsync(created.Code);
        Assert.Equal(3, before!.Documents.Count);

        await scene.Vault.DeleteDocumentAsync(scene.Owner, deleted.Id);
        // Held back from the person (the flag its author would set; the person's own update here).
        await scene.Vault.UpdateDocumentAsync(scene.Owner, hidden.Id, new DocumentChanges(InvisibleToPatient: true));

        Assert.Null(await Link(created.Link.LinkId).AuthorizeDownloadAsync(before.Token, deleted.Id));
        Assert.Null(await Link(created.Link.LinkId).AuthorizeDownloadAsync(before.Token, hidden.Id));
        Assert.NotNull(await Link(created.Link.LinkId).AuthorizeDownloadAsync(before.Token, kept.Id));
        var after = await Link(created.Link.LinkId).OpenAsync(created.Code);
        Assert.Equal([kept.Id], after!.Documents.Select(d => d.DocumentId));
    }

    [Fact]
    public async Task Only_readable_documents_within_bounds_are_shared_by_the_person()
    {
        var scene = await OpenAsync();
        var document = await DepositAsync(scene);

        var professional = await Assert.ThrowsAsync<AccessDeniedException>(() =>
            scene.Sharing.CreateShareLinkAsync(scene.SocialWorker, new NewShareLink([document.Id], null, null, 1, null)));
        Assert.Equal(DenialReason.NotPermitted, professional.Code);
        Assert.Contains("Only the person, or a parent or tutor", professional.Message, StringComparison.Ordinal);

        async Task<string?> FieldOf(NewShareLink request) =>
            (await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Sharing.CreateShareLinkAsync(scene.Owner, request))).Field;
        Assert.Equal("documentIds", await FieldOf(new NewShareLink([], null, null, 1, null)));
        Assert.Equal("documentIds", await FieldOf(new NewShareLink(Enumerable.Range(0, 21).Select(i => $"d-{i}").ToList(), null, null, 1, null)));
        Assert.Equal("documentIds", await FieldOf(new NewShareLink([document.Id, document.Id], null, null, 1, null)));
        Assert.Equal("documentIds", await FieldOf(new NewShareLink(["d-999999-zzzzzzzz"], null, null, 1, null)));
        Assert.Equal("maxOpenings", await FieldOf(new NewShareLink([document.Id], null, null, 21, null)));
        Assert.Equal("validForHours", await FieldOf(new NewShareLink([document.Id], null, 24 * 31, 1, null)));
        Assert.Equal("expiresAt", await FieldOf(new NewShareLink([document.Id], fixture.Clock.GetUtcNow().AddDays(31), null, 1, null)));
        Assert.Equal("label", await FieldOf(new NewShareLink([document.Id], null, null, 1, new string('x', 101))));

        var held = await DepositAsync(scene, "11502-2", "10");
        await scene.Vault.UpdateDocumentAsync(scene.Owner, held.Id, new DocumentChanges(InvisibleToPatient: true));
        var hidden = await Assert.ThrowsAsync<AccessDeniedException>(() => ShareAsync(scene, [document.Id, held.Id]));
        Assert.Equal(DenialReason.HiddenFromPatient, hidden.Code);

        for (var i = 0; i < ShareLinks.MaxLiveLinks; i++)
        {
            await ShareAsync(scene, [document.Id]);
        }
        Assert.Equal("vaultId", await FieldOf(new NewShareLink([document.Id], null, null, 1, null)));
        var page = await scene.Sharing.ListShareLinksAsync(scene.Owner, 20, null);
        Assert.Equal((20, true, ShareLinks.MaxLiveLinks), (page.Items.Count, page.HasNextPage, page.TotalCount));
        var next = await scene.Sharing.ListShareLinksAsync(scene.Owner, 50, page.Items[^1].LinkId);
        Assert.Equal(ShareLinks.MaxLiveLinks - 20, next.Items.Count);
    }

    [Fact]
    public async Task A_tutors_link_is_decided_as_the_tutor_now_and_stops_when_the_tutorship_ends()
    {
        var scene = await OpenAsync();
        var tutorVaultId = Ids.NewVaultId();
        var operatorCaller = Caller.Operator("op-1");
        await scene.Vault.AddRepresentativeAsync(operatorCaller, new RepresentativeRequest(tutorVaultId, RepresentationKind.Tutor, null,
            Decision: new CourtDecision("Tribunal judiciaire de Lyon", "RG 25/00042", new DateOnly(2025, 11, 3))));
        var tutor = Caller.Patient(tutorVaultId);
        var document = await DepositAsync(scene);

        var created = await scene.Sharing.CreateShareLinkAsync(tutor, new NewShareLink([document.Id], null, null, 3, null));
        Assert.Equal(tutorVaultId, created.Link.CreatedBy);
        Assert.NotNull(await Link(created.Link.LinkId).OpenAsync(created.Code));

        await scene.Vault.RemoveRepresentativeAsync(operatorCaller, tutorVaultId);
        Assert.Null(await Link(created.Link.LinkId).OpenAsync(created.Code));
        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() =>
            scene.Sharing.CreateShareLinkAsync(tutor, new NewShareLink([document.Id], null, null, 1, null)));
        Assert.NotEqual(DenialReason.None, refused.Code);
    }

    [Fact]
    public async Task A_tutor_sees_and_revokes_only_the_links_they_created_the_person_all()
    {
        var scene = await OpenAsync();
        var tutorVaultId = Ids.NewVaultId();
        await scene.Vault.AddRepresentativeAsync(Caller.Operator("op-1"), new RepresentativeRequest(tutorVaultId, RepresentationKind.Tutor, null,
            Decision: new CourtDecision("Tribunal judiciaire de Lyon", "RG 25/00043", new DateOnly(2025, 11, 3))));
        var tutor = Caller.Patient(tutorVaultId);
        var document = await DepositAsync(scene);
        var persons = await ShareAsync(scene, [document.Id]);
        var tutors = await scene.Sharing.CreateShareLinkAsync(tutor, new NewShareLink([document.Id], null, null, 1, null));

        var seen = await scene.Sharing.ListShareLinksAsync(tutor, 50, null);
        Assert.Equal((tutors.Link.LinkId, 1), (Assert.Single(seen.Items).LinkId, seen.TotalCount));
        var refused = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Sharing.RevokeShareLinkAsync(tutor, persons.Link.LinkId));
        Assert.Equal((ErrorCodes.NotFound, "linkId"), (refused.Code, refused.Field));
        Assert.Equal(ShareLinkStatus.Active, (await StatusAsync(scene, persons.Link.LinkId)).Status);

        Assert.Equal(2, (await scene.Sharing.ListShareLinksAsync(scene.Owner, 50, null)).TotalCount);
        Assert.Equal(ShareLinkStatus.Revoked, (await scene.Sharing.RevokeShareLinkAsync(scene.Owner, tutors.Link.LinkId)).Status);
        Assert.Equal(ShareLinkStatus.Revoked, (await scene.Sharing.RevokeShareLinkAsync(tutor, tutors.Link.LinkId)).Status);
    }

    [Fact]
    public async Task An_opening_token_downloads_each_document_three_times_at_most()
    {
        var scene = await OpenAsync();
        var document = await DepositAsync(scene);
        var created = await ShareAsync(scene, [document.Id]);
        var opening = await Link(created.Link.LinkId).OpenAsync(created.Code);
        Assert.NotNull(opening);
        for (var i = 0; i < ShareLinks.DownloadsPerDocument; i++)
        {
            Assert.NotNull(await Link(created.Link.LinkId).AuthorizeDownloadAsync(opening.Token, document.Id));
        }
        Assert.Null(await Link(created.Link.LinkId).AuthorizeDownloadAsync(opening.Token, document.Id));
    }
}
