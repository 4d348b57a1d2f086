using BenchmarkDotNet.Attributes;
using Coffre.Adapters.Local;
using Coffre.Application.Outbox;

namespace Coffre.Benchmarks.Outbox;

/// <summary>
/// Delivering one claim of 100 messages through the file channel: one append and one flush to disk per message (the
/// dispatcher before batching, baseline) against the whole claim as one append and one flush.
/// </summary>
[MemoryDiagnoser]
public class FileDeliveryBenchmarks
{
    private const int Claim = 100;
    private string _folder = "";
    private FileDeliveryChannel _channel = null!;
    private OutboxMessage[] _messages = [];

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "coffre-bench-delivery-" + Guid.NewGuid().ToString("N"));
        _channel = new FileDeliveryChannel(_folder, OutboxChannel.Email);
        _messages = [.. Enumerable.Range(0, Claim).Select(i => new OutboxMessage(Guid.NewGuid(), OutboxChannel.Email, "v-" + i.ToString("D20"),
            "activation-code", $$"""{"campaign":"c-1","code":"{{i:D12}}","expiresAt":"2027-01-01T00:00:00Z"}""", DateTimeOffset.UtcNow))];
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [IterationCleanup]
    public void Truncate() => File.Delete(_channel.FilePath);

    [Benchmark(Baseline = true, OperationsPerInvoke = Claim)]
    public async Task OneFlushPerMessage()
    {
        foreach (var message in _messages)
        {
            await _channel.DeliverAsync(message);
        }
    }

    [Benchmark(OperationsPerInvoke = Claim)]
    public Task OneFlushPerBatch() => _channel.DeliverBatchAsync(_messages);
}
