#:package Azure.Storage.Blobs@12.30.1
// What Azurite's CPU per byte stored depends on (issue 10, 2026-12-07). A file-based app (.NET 10):
//   azurite-blob --blobHost 127.0.0.1 --blobPort 56010 --location DIR --skipApiVersionCheck --disableTelemetry --loose &
//   dotnet run azurite-checksum.cs -- AZURITE_PID 56010
// Uploads 50 blobs of 4 MiB in each of three ways, three rounds interleaved, and prints Azurite's CPU (from /proc) per byte:
//   stage      Put Block without a checksum (+ Put Block List): Azurite computes a CRC-64 of the block, in JavaScript,
//              a byte at a time, after reading the block back from its extent file;
//   stage-md5  Put Block carrying its Content-MD5 (what BlobContentStore sends since 2026-12-07): Azurite checks the MD5
//              (Node's native hash) and computes no CRC-64;
//   put        Put Blob of the whole 4 MiB (Azurite always computes an MD5 for it).
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
var pid = int.Parse(args[0]);
var conn = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:{args[1]}/devstoreaccount1;";
var c = new BlobContainerClient(conn, "bench-x"); await c.CreateIfNotExistsAsync();
var data = new byte[4 << 20]; Random.Shared.NextBytes(data);
double Cpu() { var f = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' '); return (long.Parse(f[12]) + long.Parse(f[13])) / 100.0; }
const int N = 50;
foreach (var mode in new[] { "put", "stage-md5", "stage", "put", "stage-md5", "stage", "put", "stage-md5", "stage" })
{
    var t0 = Cpu(); var sw = System.Diagnostics.Stopwatch.StartNew();
    for (int i = 0; i < N; i++)
    {
        var b = c.GetBlockBlobClient($"{mode}/{Guid.NewGuid()}");
        if (mode == "put") { await b.UploadAsync(new MemoryStream(data), new BlobUploadOptions()); continue; }
        var id = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var o = new BlockBlobStageBlockOptions();
        if (mode == "stage-md5") o.TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 };
        await b.StageBlockAsync(id, new MemoryStream(data), o);
        await b.CommitBlockListAsync(new[] { id });
    }
    var cpu = Cpu() - t0;
    Console.WriteLine($"{mode,-10} azurite {cpu:F2} s for {N * 4} MB = {cpu * 1e9 / (N * data.Length):F2} ns/byte; wall {sw.Elapsed.TotalSeconds:F2} s");
}
