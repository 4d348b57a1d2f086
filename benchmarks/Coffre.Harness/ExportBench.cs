using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Coffre.Adapters.Blob;
using Coffre.Adapters.Fhir;
using Coffre.Adapters.Local;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Coffre.Grains.Exports;
using Coffre.Grains.Vaults;

namespace Coffre.Harness;

/// <summary>
/// Issue 13 export benchmark: the export's archive pipeline (<see cref="ExportArchiveWriter"/> streamed into the store by
/// <see cref="ExportRunnerGrain.StoreAsync"/>: every document read through the store's verifying stream, SHA-256 and SHA-1
/// while streaming, zip, FHIR R4 Bundle with a DocumentReference per document and an AuditEvent per history entry, index,
/// manifest, the archive hashed and stored) against a same-run baseline: a raw streaming copy of the same documents' bytes
/// from the same store into one new object of the same store through the same pipe (no zip, no hashing beyond the store's
/// own, no FHIR). Grain calls are not in either (an export makes a handful; their cost does not grow with the vault).
///
///   Coffre.Harness export [--documents N] [--size BYTES] [--history H] [--rounds R] [--blob CS] [--out FILE.json]
///
/// The embedded store (local disk under a temporary folder) always; Azure Blob storage too when --blob is given (Azurite).
/// Rounds alternate baseline and export; medians are reported.
/// </summary>
public static class ExportBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i && i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var documents = int.Parse(Arg("--documents") ?? "1000", CultureInfo.InvariantCulture);
        var size = int.Parse(Arg("--size") ?? "10240", CultureInfo.InvariantCulture);
        var historyEntries = int.Parse(Arg("--history") ?? "2000", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Arg("--rounds") ?? "5", CultureInfo.InvariantCulture);
        var output = Arg("--out");

        var stores = new List<(string Name, IContentStore Store, Func<Task> Cleanup)>();
        var root = Path.Combine(Path.GetTempPath(), "coffre-export-bench-" + Guid.NewGuid().ToString("N")[..8]);
        stores.Add(("embedded (local disk)", new LocalDiskContentStore(root), () => { Directory.Delete(root, true); return Task.CompletedTask; }));
        if (Arg("--blob") is { } blob)
        {
            var container = new BlobServiceClient(blob).GetBlobContainerClient("bench-export-" + Guid.NewGuid().ToString("N")[..8]);
            await container.CreateAsync();
            stores.Add(("Azure Blob (Azurite)", new BlobContentStore(container), () => container.DeleteAsync()));
        }

        var results = new JsonArray();
        foreach (var (name, store, cleanup) in stores)
        {
            var vaultId = "v-bench" + Guid.NewGuid().ToString("N")[..13];
            var entries = await SeedAsync(store, vaultId, documents, size);
            var snapshot = new ExportSnapshot(vaultId, new IdentityTraits("Bench", "Person", new DateOnly(1970, 1, 1), Sex.Female),
                new VaultAccessState { VaultId = vaultId, Status = VaultStatus.Active }, entries, 0, DateTimeOffset.UtcNow, LegalBasis.Owner);
            var history = History(vaultId, historyEntries);
            var writer = new ExportArchiveWriter(store, new FhirMapper());
            var baseline = new List<double>();
            var export = new List<double>();
            long archiveBytes = 0;
            for (var round = 0; round < rounds; round++)
            {
                baseline.Add(await TimeAsync(async () =>
                {
                    var key = new ContentKey($"bench/{vaultId}/raw-{round}");
                    await ExportRunnerGrain.StoreAsync(store, key, async o =>
                    {
                        foreach (var e in entries)
                        {
                            await using var r = await store.OpenReadAsync(new ContentKey(e.ContentKey));
                            await r!.Stream.CopyToAsync(o);
                        }
                        return 0;
                    });
                    await store.DeleteAsync(key);
                }));
                export.Add(await TimeAsync(async () =>
                {
                    var key = new ContentKey($"bench/{vaultId}/export-{round}.zip");
                    var (stored, _) = await ExportRunnerGrain.StoreAsync(store, key, o => writer.WriteAsync(o, "x-bench", snapshot,
                        (before, limit) => Task.FromResult(Page(history, before, limit)), () => Task.FromResult<IReadOnlyList<Coffre.Domain.Profile.ProfileEntry>>([]), () => Task.CompletedTask, CancellationToken.None));
                    archiveBytes = stored.Length;
                    await store.DeleteAsync(key);
                }));
            }
            var bytes = (double)documents * size;
            double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
            var b = Median(baseline);
            var x = Median(export);
            var row = new JsonObject
            {
                ["store"] = name,
                ["documents"] = documents,
                ["documentBytes"] = size,
                ["historyEntries"] = historyEntries,
                ["rounds"] = rounds,
                ["archiveBytes"] = archiveBytes,
                ["baselineSeconds"] = new JsonArray(baseline.Select(s => (JsonNode)s).ToArray()),
                ["exportSeconds"] = new JsonArray(export.Select(s => (JsonNode)s).ToArray()),
                ["baselineMBps"] = bytes / b / 1e6,
                ["exportMBps"] = bytes / x / 1e6,
                ["baselineDocumentsPerSecond"] = documents / b,
                ["exportDocumentsPerSecond"] = documents / x,
                ["exportToBaseline"] = b / x,
            };
            results.Add(row);
            Console.Error.WriteLine($"{name}: baseline {bytes / b / 1e6:F1} MB/s ({documents / b:F0} docs/s), export {bytes / x / 1e6:F1} MB/s ({documents / x:F0} docs/s), ratio {b / x:F2}");
            await cleanup();
        }
        var report = new JsonObject { ["machine"] = MachineFacts.Machine(), ["results"] = results };
        var json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, json);
        }
        Console.WriteLine(json);
        return 0;
    }

    private static async Task<double> TimeAsync(Func<Task> run)
    {
        var watch = Stopwatch.StartNew();
        await run();
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<List<DocumentEntry>> SeedAsync(IContentStore store, string vaultId, int count, int size)
    {
        var entries = new List<DocumentEntry>(count);
        var bytes = new byte[size];
        for (var i = 0; i < count; i++)
        {
            Random.Shared.NextBytes(bytes);
            var key = new ContentKey($"vaults/{vaultId}/d-{i:D6}/1");
            var stored = await store.WriteAsync(key, new MemoryStream(bytes));
            entries.Add(new DocumentEntry
            {
                Id = $"d-{i:D6}-bench000", Title = $"Document {i}", ClassCode = "90", TypeCode = "DOCPAT01",
                Author = new Author(AuthorKind.Person, vaultId), CreatedAt = DateTimeOffset.UtcNow, Size = stored.Length,
                Sha256 = stored.Sha256, ContentKey = key.Value, ContentType = "application/pdf",
            });
        }
        return entries;
    }

    private static List<AccessHistoryEntry> History(string vaultId, int count) =>
        Enumerable.Range(1, count).Reverse().Select(i => new AccessHistoryEntry(i, new AuditEvent(vaultId, DateTimeOffset.UtcNow.AddMinutes(-i),
            CallerKind.Professional, "10000000001", "10", AuditAction.Read, "document.read", $"document:d-{i % 1000:D6}-bench000", true, LegalBasis.Grant, DenialReason.None))).ToList();

    private static AccessHistoryPage Page(List<AccessHistoryEntry> history, long? before, int limit)
    {
        var items = history.Where(h => before is null || h.Sequence < before).Take(limit).ToList();
        return new AccessHistoryPage(items, items.Count > 0 && items[^1].Sequence > 1, history.Count);
    }
}
