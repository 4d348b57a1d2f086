using System.IO.Compression;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Coffre.Adapters.Blob;
using Coffre.Adapters.Fhir;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Coffre.Grains.Exports;
using Coffre.Grains.Vaults;
using Coffre.IntegrationTests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Xunit;
using Task = System.Threading.Tasks.Task;

namespace Coffre.IntegrationTests.Exports;

/// <summary>
/// The export's archive pipeline on real Blob storage (Azurite): documents streamed from blobs into a zip streamed into a
/// new blob through a pipe (never whole in memory), the FHIR Bundle valid for the SDK's strict deserializer; a document
/// whose blob was tampered with stops the export and no archive blob is left.
/// </summary>
public sealed class ExportArchiveOnAzuriteTests : IAsyncDisposable
{
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private readonly BlobContainerClient _container = TestServices.NewContainer();
    private readonly BlobContentStore _store;
    private readonly string _vaultId = "v-" + Guid.NewGuid().ToString("N")[..20];

    public ExportArchiveOnAzuriteTests() => _store = new BlobContentStore(_container, blockSize: 256 * 1024);

    public async ValueTask DisposeAsync() => await _container.DeleteIfExistsAsync();

    private async Task<(List<DocumentEntry> Entries, List<byte[]> Bytes)> SeedAsync(int count)
    {
        await _container.CreateIfNotExistsAsync();
        var entries = new List<DocumentEntry>();
        var all = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(5000 + i * 40_000);
            var key = new ContentKey($"vaults/{_vaultId}/d-{i:D6}/1");
            var stored = await _store.WriteAsync(key, new MemoryStream(bytes));
            entries.Add(new DocumentEntry
            {
                Id = $"d-{i:D6}-azurite0", Title = $"Document {i}", ClassCode = "90", TypeCode = "DOCPAT01",
                Author = new Author(AuthorKind.Person, _vaultId), CreatedAt = DateTimeOffset.UtcNow, Size = stored.Length,
                Sha256 = stored.Sha256, ContentKey = key.Value, ContentType = "application/pdf",
            });
            all.Add(bytes);
        }
        return (entries, all);
    }

    private ExportSnapshot Snapshot(IReadOnlyList<DocumentEntry> entries) => new(_vaultId, new IdentityTraits("Azurite", "Test", new DateOnly(1980, 2, 3), Sex.Female),
        new VaultAccessState
        {
            VaultId = _vaultId,
            Status = VaultStatus.Active,
            Grants = [new Grant("g-1", GranteeKind.Professional, "10000000001", DocumentScope.All, DateTimeOffset.UtcNow.AddDays(-1), null, _vaultId)],
        }, entries, 0, DateTimeOffset.UtcNow, LegalBasis.Owner);

    private Task<AccessHistoryPage> History(long? before, int limit)
    {
        var all = Enumerable.Range(1, 450).Reverse().Select(i => new AccessHistoryEntry(i, new Coffre.Domain.Auditing.AuditEvent(_vaultId, DateTimeOffset.UtcNow.AddMinutes(-i),
            CallerKind.Patient, _vaultId, null, AuditAction.Read, "documents.list", "vault", true, LegalBasis.Owner, DenialReason.None))).ToList();
        var items = all.Where(h => before is null || h.Sequence < before).Take(limit).ToList();
        return Task.FromResult(new AccessHistoryPage(items, items.Count > 0 && items[^1].Sequence > 1, all.Count));
    }

    private static Task<IReadOnlyList<Coffre.Domain.Profile.ProfileEntry>> NoProfile() => Task.FromResult<IReadOnlyList<Coffre.Domain.Profile.ProfileEntry>>([]);

    [Fact]
    public async Task The_archive_streams_into_a_blob_with_every_document_and_a_valid_bundle()
    {
        var (entries, bytes) = await SeedAsync(4);
        var key = new ContentKey($"exports/{_vaultId}/x-azurite/1.zip");
        var (stored, result) = await ExportRunnerGrain.StoreAsync(_store, key, o => new ExportArchiveWriter(_store, new FhirMapper())
            .WriteAsync(o, "x-azurite", Snapshot(entries), History, NoProfile, () => Task.CompletedTask, CancellationToken.None));
        Assert.Equal(4, result.Documents);
        Assert.Equal(450, result.HistoryEntries);

        await using var reader = await _store.OpenReadAsync(key);
        using var copy = new MemoryStream();
        await reader!.Stream.CopyToAsync(copy);
        Assert.Equal(stored.Sha256, Convert.ToHexStringLower(SHA256.HashData(copy.ToArray())));
        copy.Position = 0;
        using var zip = new ZipArchive(copy, ZipArchiveMode.Read);
        for (var i = 0; i < entries.Count; i++)
        {
            using var entry = new MemoryStream();
            await using (var s = zip.GetEntry($"documents/{entries[i].Id}.pdf")!.Open())
            {
                await s.CopyToAsync(entry);
            }
            Assert.Equal(bytes[i], entry.ToArray());
        }
        using var json = new StreamReader(zip.GetEntry(ExportArchiveWriter.BundlePath)!.Open());
        var bundle = Strict.Deserialize<Bundle>(await json.ReadToEndAsync());
        Assert.Equal(4, bundle.Entry.Count(e => e.Resource is DocumentReference));
        Assert.Equal(450, bundle.Entry.Count(e => e.Resource is Hl7.Fhir.Model.AuditEvent));
        Assert.Single(bundle.Entry, e => e.Resource is Hl7.Fhir.Model.Consent);
    }

    [Fact]
    public async Task A_tampered_blob_stops_the_export_and_no_archive_is_stored()
    {
        var (entries, bytes) = await SeedAsync(3);
        var victim = _container.GetBlobClient(entries[1].ContentKey);
        var metadata = (await victim.GetPropertiesAsync()).Value.Metadata;
        bytes[1][7] ^= 0x55;
        await victim.UploadAsync(new BinaryData(bytes[1]), new BlobUploadOptions { Metadata = metadata });

        var key = new ContentKey($"exports/{_vaultId}/x-tampered/1.zip");
        await Assert.ThrowsAsync<ContentIntegrityException>(() => ExportRunnerGrain.StoreAsync(_store, key, o => new ExportArchiveWriter(_store, new FhirMapper())
            .WriteAsync(o, "x-tampered", Snapshot(entries), History, NoProfile, () => Task.CompletedTask, CancellationToken.None)));
        Assert.Null(await _store.OpenReadAsync(key));
        Assert.Equal(0, await TestServices.CountBlobsAsync(_container, "exports/"));
    }
}
