using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs;
using Coffre.Adapters.Blob;
using Coffre.Domain.Content;

namespace Coffre.Harness;

/// <summary>
/// The feed benchmark's same-run baseline (<c>Coffre.Harness content-baseline --blob CS --container C --documents N
/// --size BYTES --concurrency K [--block-size BYTES] --out FILE.json</c>): N writes of BYTES each straight to the content store
/// (<see cref="IContentStore"/> on Blob storage, SHA-256 checked as the feed's writes are), K at a time — what the feed's
/// end-to-end rate is compared with.
/// </summary>
public static class ContentWriteBaseline
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");
        var documents = int.Parse(Arg("--documents"), CultureInfo.InvariantCulture);
        var size = int.Parse(Arg("--size"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Arg("--concurrency"), CultureInfo.InvariantCulture);
        var blockSize = args.Contains("--block-size") ? int.Parse(Arg("--block-size"), CultureInfo.InvariantCulture) : 4 * 1024 * 1024;
        var store = new BlobContentStore(new BlobServiceClient(Arg("--blob")).GetBlobContainerClient(Arg("--container")), blockSize);
        var payloads = Enumerable.Range(0, documents).Select(i =>
        {
            var bytes = new byte[size];
            "%PDF-1.7\n"u8.CopyTo(bytes);
            RandomNumberGenerator.Fill(bytes.AsSpan(9));
            return (Bytes: bytes, Sha: Sha256Hex.Of(bytes));
        }).ToArray();
        // Warm up the container and the connection pool, not counted.
        await store.WriteAsync(new ContentKey("baseline/warmup"), new MemoryStream(payloads[0].Bytes), payloads[0].Sha);
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < documents)
            {
                await store.WriteAsync(new ContentKey($"baseline/{i:D7}"), new MemoryStream(payloads[i].Bytes), payloads[i].Sha);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var result = new { documents, size, concurrency, seconds, documentsPerSecond = documents / seconds };
        await File.WriteAllTextAsync(Arg("--out"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
