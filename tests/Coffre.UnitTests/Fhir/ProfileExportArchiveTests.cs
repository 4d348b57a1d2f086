using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Coffre.Adapters.Fhir;
using Coffre.Adapters.Local;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Coffre.Domain.Vaults;
using Coffre.Grains.Exports;
using Coffre.Grains.Vaults;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Xunit;
using Task = System.Threading.Tasks.Task;

namespace Coffre.UnitTests.Fhir;

/// <summary>
/// The export archive with a medical profile: every entry the requester may read is a resource of fhir/bundle.json (the
/// SDK's strict parser reads it back, and each resource maps back to its entry), index.txt lists the profile in words,
/// and manifest.json's hashes cover both files.
/// </summary>
public sealed class ProfileExportArchiveTests : IDisposable
{
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coffre-profile-export-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task The_bundle_carries_every_profile_entry_the_index_lists_them_and_the_manifest_covers_them()
    {
        var vaultId = ProfileSamples.VaultId;
        var profile = ProfileSamples.All.Where(e => e.RemovedAt is null).ToList();
        var mapper = new FhirMapper();
        var snapshot = new ExportSnapshot(vaultId, new IdentityTraits("Durand", "Léa", new DateOnly(1984, 6, 1), Sex.Female),
            new VaultAccessState { VaultId = vaultId, Status = VaultStatus.Active }, [], 0, DateTimeOffset.UtcNow, LegalBasis.Owner);
        using var output = new MemoryStream();
        var result = await new ExportArchiveWriter(new LocalDiskContentStore(_root), mapper).WriteAsync(output, "x-profile", snapshot,
            (_, _) => Task.FromResult(new AccessHistoryPage([], false, 0)),
            () => Task.FromResult<IReadOnlyList<ProfileEntry>>(profile), () => Task.CompletedTask, CancellationToken.None);
        Assert.Equal(0, result.Documents);

        output.Position = 0;
        using var zip = new ZipArchive(output, ZipArchiveMode.Read);
        byte[] Read(string path)
        {
            using var s = zip.GetEntry(path)!.Open();
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            return copy.ToArray();
        }
        var bundleBytes = Read(ExportArchiveWriter.BundlePath);
        var bundle = Strict.Deserialize<Bundle>(System.Text.Encoding.UTF8.GetString(bundleBytes))!;
        var resources = bundle.Entry.Select(e => e.Resource!).Where(r => r is not Patient).ToList();
        Assert.Equal(profile.Select(e => e.Id), resources.Select(r => r.Id));
        foreach (var (entry, resource) in profile.Zip(resources))
        {
            Assert.Equal(Coffre.Grains.Fhir.FhirViews.ResourceType(entry.Section), resource.TypeName);
            ProfileFhirRoundTripTests.AssertSame(entry, mapper.ReadProfileResource(vaultId, new BaseFhirJsonSerializer(ModelInfo.ModelInspector).SerializeToString(resource)));
        }
        Assert.All(bundle.Entry.Skip(1), e => Assert.Equal($"urn:coffre:x-profile:{e.Resource!.TypeName}/{e.Resource.Id}", e.FullUrl));

        var index = System.Text.Encoding.UTF8.GetString(Read(ExportArchiveWriter.IndexPath));
        Assert.Contains($"MEDICAL PROFILE ({profile.Count} entries", index, StringComparison.Ordinal);
        Assert.Contains("Paracétamol (N02BE01), active, 1 comprimé matin et soir", index, StringComparison.Ordinal);
        Assert.Contains("family history", index, StringComparison.Ordinal);
        Assert.Contains("blood pressure 128/82 mm[Hg]", index, StringComparison.Ordinal);
        Assert.Contains("against diphtheria, tetanus, poliomyelitis, pertussis, lot X1234-B", index, StringComparison.Ordinal);

        using var manifest = JsonDocument.Parse(Read(ExportArchiveWriter.ManifestPath));
        Assert.Equal(profile.Count, manifest.RootElement.GetProperty("profileEntries").GetInt32());
        var hashes = manifest.RootElement.GetProperty("entries").EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!, e => e.GetProperty("sha256").GetString()!);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bundleBytes)), hashes[ExportArchiveWriter.BundlePath]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Read(ExportArchiveWriter.IndexPath))), hashes[ExportArchiveWriter.IndexPath]);
    }
}
