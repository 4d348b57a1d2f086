using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains.Exports;
using Coffre.Grains.Fhir;
using Coffre.Grains.Vaults;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Xunit;
using Task = System.Threading.Tasks.Task;

namespace Coffre.UnitTests.Exports;

/// <summary>
/// Exports end to end below the API: the vault decides, the runner streams the archive into the content store, the
/// archive is opened and its FHIR Bundle parsed by the SDK's strict parser.
/// </summary>
[Collection(ExportCollection.Name)]
public sealed class ExportTests(ExportClusterFixture fixture)
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);
    /// <summary>The SDK's deserializer in strict mode: any element, code or value FHIR R4 does not allow fails the parse.</summary>
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    private static T Parse<T>(string json) where T : Resource => Strict.Deserialize<T>(json);

    private sealed record Scene(IVaultGrain Vault, string VaultId, Caller Owner, Caller SocialWorker, Caller Doctor, IExportGrain Exports);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    /// <summary>A vault of an adult, or of a minor born <paramref name="birthDate"/>.</summary>
    private async Task<Scene> OpenAsync(DateOnly? birthDate = null)
    {
        var vaultId = Ids.NewVaultId();
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(social, new OpenVault(new IdentityTraits("Martin", "Paul", birthDate ?? new DateOnly(1975, 3, 2), Sex.Male),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001"), IsMinor: birthDate is not null));
        return new Scene(vault, vaultId, Caller.Patient(vaultId), social, Caller.Professional(NewRpps(), "10"),
            fixture.Grains.GetGrain<IExportGrain>(ExportLimits.GrainKey(vaultId)));
    }

    /// <summary>Stores real bytes in the content store and records the document, as the upload route does.</summary>
    private static async Task<(DocumentEntry Entry, byte[] Bytes)> DepositAsync(Scene scene, Caller author, string classCode, string typeCode, Visibility? visibility = null, int size = 3000)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        var sha = Sha256Hex.Of(bytes);
        var document = new NewDocument($"{typeCode} document", classCode, typeCode, "application/pdf", size, sha, new DateOnly(2026, 5, 4), visibility);
        var permit = await scene.Vault.AuthorizeUploadAsync(author, document);
        var stored = await ExportClusterFixture.Store.WriteAsync(new ContentKey(permit.ContentKey), new MemoryStream(bytes), sha);
        return (await scene.Vault.AddDocumentAsync(author, document, permit.ContentKey, stored.Length, stored.Sha256), bytes);
    }

    /// <summary>Waits for the background job to leave QUEUED/RUNNING (a phase barrier, not a timing assertion).</summary>
    private static async Task<ExportJob> SettledAsync(Scene scene, string exportId)
    {
        for (var i = 0; i < 600; i++)
        {
            var job = (await scene.Exports.ListAsync(scene.Owner)).Single(j => j.Id == exportId);
            if (!job.InProgress)
            {
                return job;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the export did not settle within a minute");
    }

    private static async Task<byte[]> ReadArchiveAsync(ExportJob job)
    {
        await using var reader = await ExportClusterFixture.Store.OpenReadAsync(new ContentKey(job.Archive!.ContentKey));
        using var copy = new MemoryStream();
        await reader!.Stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static byte[] Entry(ZipArchive zip, string path)
    {
        using var stream = zip.GetEntry(path)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Round_trip_every_readable_document_with_its_hash_a_bundle_that_parses_consents_and_audit_events()
    {
        var scene = await OpenAsync();
        var deposits = new List<(DocumentEntry Entry, byte[] Bytes)>
        {
            await DepositAsync(scene, scene.Owner, "90", "DOCPAT01"),
            await DepositAsync(scene, scene.SocialWorker, "52", "ATTEST-DROITS-AM", size: 70_000),
            await DepositAsync(scene, scene.Owner, "10", "11490-0", new Visibility(MaskedFromProfessionals: true)),
        };
        var hidden = await DepositAsync(scene, scene.SocialWorker, "52", "ATTEST-DROITS-AM", new Visibility(InvisibleToPatient: true));
        var grant = await scene.Vault.GrantAccessAsync(scene.Owner, new GrantRequest(GranteeKind.Professional, scene.Doctor.Rpps!, DocumentScope.All, NextYear));

        var queued = await scene.Exports.RequestAsync(scene.Owner);
        Assert.True(queued.InProgress);
        var job = await SettledAsync(scene, queued.Id);
        Assert.True(job.Status == ExportStatus.Ready, job.Failure);
        Assert.Equal(3, job.Archive!.Documents);
        Assert.Equal(job.CompletedAt + ExportLimits.Availability, job.ExpiresAt);

        var archive = await ReadArchiveAsync(job);
        Assert.Equal(job.Archive.Size, archive.Length);
        Assert.Equal(job.Archive.Sha256, Convert.ToHexStringLower(SHA256.HashData(archive)));
        using var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
        foreach (var (entry, bytes) in deposits)
        {
            Assert.Equal(bytes, Entry(zip, $"documents/{entry.Id}.pdf"));
        }
        Assert.Null(zip.GetEntry($"documents/{hidden.Entry.Id}.pdf"));

        var bundle = Parse<Bundle>(System.Text.Encoding.UTF8.GetString(Entry(zip, "fhir/bundle.json")));
        Assert.Equal(Bundle.BundleType.Collection, bundle.Type);
        var patient = Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Patient>());
        Assert.Equal("Martin", patient.Name[0].Family);
        var references = bundle.Entry.Select(e => e.Resource).OfType<DocumentReference>().ToList();
        Assert.Equal(3, references.Count);
        foreach (var (entry, bytes) in deposits)
        {
            var reference = Assert.Single(references, r => r.Id == entry.Id);
            var attachment = reference.Content[0].Attachment;
            Assert.Equal($"documents/{entry.Id}.pdf", attachment.Url);
            Assert.Equal(bytes.Length, attachment.SizeUnsignedInt);
            Assert.Equal(SHA1.HashData(bytes), attachment.Hash);
            Assert.Equal(entry.Sha256, Assert.IsType<FhirString>(attachment.GetExtension("urn:coffre:fhir:attachment-sha256")!.Value).Value);
            Assert.Equal(entry.ClassCode, reference.Category[0].Coding[0].Code);
            Assert.Equal(entry.TypeCode, reference.Type!.Coding[0].Code);
        }
        var consents = bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Consent>().ToList();
        Assert.Contains(consents, c => c.Identifier[0].Value == grant.Id && c.Status == Hl7.Fhir.Model.Consent.ConsentState.Active);
        Assert.Contains(consents, c => c.Provision!.Actor[0].Reference!.Identifier!.Value == scene.SocialWorker.Rpps);
        var audits = bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.AuditEvent>().ToList();
        Assert.Contains(audits, a => a.Subtype[0].Code == "export.requested");
        Assert.Contains(audits, a => a.Subtype[0].Code == "document.create" || a.Subtype[0].Code!.StartsWith("document.", StringComparison.Ordinal));

        var manifest = JsonDocument.Parse(Entry(zip, "manifest.json")).RootElement;
        foreach (var item in manifest.GetProperty("entries").EnumerateArray())
        {
            var path = item.GetProperty("path").GetString()!;
            Assert.Equal(item.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(Entry(zip, path))));
        }
        var index = System.Text.Encoding.UTF8.GetString(Entry(zip, "index.txt"));
        Assert.Contains(deposits[1].Entry.Sha256, index, StringComparison.Ordinal);
        Assert.Contains("1 not included: hidden from you", index, StringComparison.Ordinal);

        var notices = await scene.Vault.GetNotificationsAsync(scene.Owner, 20);
        Assert.Contains(notices, n => n.Kind == NotificationKind.ExportReady && n.Payload is ExportReadyNotice ready && ready.ExportId == job.Id);
        var downloaded = await scene.Exports.AuthorizeDownloadAsync(scene.Owner, job.Id);
        Assert.Equal(job.Archive, downloaded.Archive);
        var history = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 50);
        Assert.Contains(history.Items, h => h.Event.Operation == "export.downloaded" && h.Event.Allowed);
    }

    [Fact]
    public async Task A_tampered_document_fails_the_job_and_leaves_no_archive()
    {
        var scene = await OpenAsync();
        await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        var (victim, bytes) = await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        // Someone with access to the storage changes the bytes (and even the store's own recorded hash).
        bytes[10] ^= 0xff;
        await ExportClusterFixture.Store.WriteAsync(new ContentKey(victim.ContentKey), new MemoryStream(bytes));

        var job = await SettledAsync(scene, (await scene.Exports.RequestAsync(scene.Owner)).Id);
        Assert.Equal(ExportStatus.Failed, job.Status);
        Assert.Contains("SHA-256", job.Failure, StringComparison.Ordinal);
        Assert.Null(job.Archive);
        Assert.Null(await ExportClusterFixture.Store.OpenReadAsync(new ContentKey($"exports/{scene.VaultId}/{job.Id}/1.zip")));
        var refused = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Exports.AuthorizeDownloadAsync(scene.Owner, job.Id));
        Assert.Equal(ErrorCodes.Conflict, refused.Code);
    }

    [Fact]
    public async Task A_parent_neither_sees_nor_downloads_the_teenagers_own_export()
    {
        var sixteen = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-16).AddDays(-10);
        var scene = await OpenAsync(sixteen);
        var parent = Caller.Patient(Ids.NewVaultId());
        await scene.Vault.AddRepresentativeAsync(Caller.Operator("op-1"), new RepresentativeRequest(parent.Subject, RepresentationKind.Parent, null));
        await DepositAsync(scene, scene.Owner, "90", "DOCPAT01", new Visibility(InvisibleToRepresentatives: true));

        var own = await SettledAsync(scene, (await scene.Exports.RequestAsync(scene.Owner)).Id);
        Assert.Equal(ExportStatus.Ready, own.Status);
        // The teenager's export (with the document kept from the parent) is not the parent's: not listed, not found.
        Assert.Empty(await scene.Exports.ListAsync(parent));
        var refused = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Exports.AuthorizeDownloadAsync(parent, own.Id));
        Assert.Equal((ErrorCodes.NotFound, "exportId"), (refused.Code, refused.Field));
        Assert.Equal(own.Archive, (await scene.Exports.AuthorizeDownloadAsync(scene.Owner, own.Id)).Archive);
    }

    [Fact]
    public async Task A_document_whose_content_is_gone_is_left_out_not_an_integrity_failure()
    {
        var scene = await OpenAsync();
        await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        var (gone, _) = await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        // As when the document is deleted (and its content purged) while the export runs.
        await ExportClusterFixture.Store.DeleteAsync(new ContentKey(gone.ContentKey));

        var job = await SettledAsync(scene, (await scene.Exports.RequestAsync(scene.Owner)).Id);
        Assert.Equal(ExportStatus.Ready, job.Status);
        Assert.Equal(1, job.Archive!.Documents);
        using var zip = new ZipArchive(new MemoryStream(await ReadArchiveAsync(job)));
        Assert.Contains("1 not included: deleted while the export was made", System.Text.Encoding.UTF8.GetString(Entry(zip, ExportArchiveWriter.IndexPath)), StringComparison.Ordinal);
        Assert.Null(zip.Entries.FirstOrDefault(e => e.FullName.Contains(gone.Id, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task One_export_at_a_time_then_it_expires_with_the_clock_and_its_archive_is_deleted()
    {
        var scene = await OpenAsync();
        await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        var first = await scene.Exports.RequestAsync(scene.Owner);
        var job = await SettledAsync(scene, first.Id);
        Assert.Equal(ExportStatus.Ready, job.Status);

        ExportClusterFixture.Clock.Advance(ExportLimits.Availability + TimeSpan.FromMinutes(1));
        var expired = (await scene.Exports.ListAsync(scene.Owner)).Single(j => j.Id == job.Id);
        Assert.Equal(ExportStatus.Expired, expired.Status);
        Assert.Null(await ExportClusterFixture.Store.OpenReadAsync(new ContentKey(job.Archive!.ContentKey)));
        var gone = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Exports.AuthorizeDownloadAsync(scene.Owner, job.Id));
        Assert.Equal(ErrorCodes.Conflict, gone.Code);
    }

    [Fact]
    public async Task A_second_request_while_one_runs_is_a_conflict()
    {
        var scene = await OpenAsync();
        await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        var gate = ExportClusterFixture.HoldArchives(scene.VaultId);
        var first = await scene.Exports.RequestAsync(scene.Owner);
        var conflict = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Exports.RequestAsync(scene.Owner));
        Assert.Equal(ErrorCodes.Conflict, conflict.Code);
        Assert.Equal("vaultId", conflict.Field);
        Assert.True((await scene.Exports.ListAsync(scene.Owner)).Single().InProgress);
        var early = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Exports.AuthorizeDownloadAsync(scene.Owner, first.Id));
        Assert.Equal(ErrorCodes.Conflict, early.Code);

        gate.SetResult();
        Assert.Equal(ExportStatus.Ready, (await SettledAsync(scene, first.Id)).Status);
        Assert.True((await scene.Exports.RequestAsync(scene.Owner)).InProgress);
    }

    [Fact]
    public async Task Professionals_operators_and_strangers_are_refused_and_it_is_recorded()
    {
        var scene = await OpenAsync();
        await scene.Vault.GrantAccessAsync(scene.Owner, new GrantRequest(GranteeKind.Professional, scene.Doctor.Rpps!, DocumentScope.All, NextYear));
        foreach (var caller in new[] { scene.Doctor, scene.SocialWorker, Caller.Operator("op-1"), Caller.Patient(Ids.NewVaultId()) })
        {
            var denied = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Exports.RequestAsync(caller));
            Assert.NotEqual(DenialReason.None, denied.Code);
        }
        Assert.Empty(await scene.Exports.ListAsync(scene.Owner));
        var history = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 50);
        Assert.Contains(history.Items, h => h.Event.Operation == "export.requested" && !h.Event.Allowed && h.Event.ActorId == scene.Doctor.Rpps);
    }

    [Fact]
    public async Task Fhir_views_a_document_reference_and_audit_events_paged_as_the_GraphQL_reads_decide()
    {
        var scene = await OpenAsync();
        var (entry, _) = await DepositAsync(scene, scene.Owner, "90", "DOCPAT01");
        var views = fixture.Grains.GetGrain<IFhirViewGrain>("0");

        var reference = Parse<DocumentReference>(await views.DocumentReferenceAsync(scene.Owner, scene.VaultId, entry.Id));
        Assert.Equal($"/vaults/{scene.VaultId}/documents/{entry.Id}/content", reference.Content[0].Attachment.Url);
        await Assert.ThrowsAsync<AccessDeniedException>(() => views.DocumentReferenceAsync(scene.Doctor, scene.VaultId, entry.Id));

        for (var i = 0; i < 5; i++)
        {
            await scene.Vault.GetDocumentAsync(scene.Owner, entry.Id);
        }
        var first = Parse<Bundle>(await views.AuditEventsAsync(scene.Owner, scene.VaultId, 3, null));
        Assert.Equal(Bundle.BundleType.Searchset, first.Type);
        Assert.Equal(3, first.Entry.Count);
        var next = first.Link.Single(l => l.Relation == "next").Url!;
        var page = next[(next.IndexOf("_page=", StringComparison.Ordinal) + 6)..];
        var second = Parse<Bundle>(await views.AuditEventsAsync(scene.Owner, scene.VaultId, 3, page));
        Assert.Empty(first.Entry.Select(e => e.Resource!.Id).Intersect(second.Entry.Select(e => e.Resource!.Id)));
        var invalid = await Assert.ThrowsAsync<ValidationFailedException>(() => views.AuditEventsAsync(scene.Owner, scene.VaultId, 101, null));
        Assert.Equal("_count", invalid.Field);
        await Assert.ThrowsAsync<AccessDeniedException>(() => views.AuditEventsAsync(scene.Doctor, scene.VaultId, 10, null));
    }
}
