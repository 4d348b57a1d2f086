using BenchmarkDotNet.Attributes;
using Coffre.Adapters.Local;
using Coffre.Domain.Content;

namespace Coffre.Benchmarks.Content;

/// <summary>
/// Write-then-read of one document through the local-disk content store (the embedded default), with the
/// SHA-256 computed on write and verified on read. Baseline: a plain file copy of the same bytes, without hashing.
/// </summary>
[MemoryDiagnoser]
public class ContentStoreBenchmarks
{
    private byte[] _payload = [];
    private string _root = "";
    private LocalDiskContentStore _store = null!;
    private int _n;

    [Params(64 * 1024, 4 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Size];
        new Random(42).NextBytes(_payload);
        _root = Path.Combine(Path.GetTempPath(), "coffre-bench-" + Guid.NewGuid().ToString("N"));
        _store = new LocalDiskContentStore(_root);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Baseline = true)]
    public async Task<long> PlainFileWriteRead()
    {
        var path = Path.Combine(_root, $"plain-{_n++ % 64}");
        await File.WriteAllBytesAsync(path, _payload);
        await using var file = File.OpenRead(path);
        await file.CopyToAsync(Stream.Null);
        return file.Length;
    }

    [Benchmark]
    public async Task<long> HashedWriteVerifiedRead()
    {
        var key = new ContentKey($"bench/doc-{_n++ % 64}");
        await _store.WriteAsync(key, new MemoryStream(_payload, writable: false));
        await using var reader = (await _store.OpenReadAsync(key))!;
        await reader.Stream.CopyToAsync(Stream.Null);
        return reader.Length;
    }
}
