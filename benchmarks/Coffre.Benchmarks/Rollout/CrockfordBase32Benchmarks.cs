using BenchmarkDotNet.Attributes;
using Coffre.Domain.Rollout;

namespace Coffre.Benchmarks.Rollout;

/// <summary>Crockford base32 encode and decode of 7 bytes (an activation code's randomness) and 32 bytes (a hash or key).</summary>
[MemoryDiagnoser]
public class CrockfordBase32Benchmarks
{
    private byte[] _bytes = [];
    private string _text = "";
    private readonly char[] _chars = new char[64];

    [Params(7, 32)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _bytes = new byte[Size];
        new Random(42).NextBytes(_bytes);
        _text = CrockfordBase32.Encode(_bytes);
    }

    [Benchmark]
    public string Encode() => CrockfordBase32.Encode(_bytes);

    [Benchmark]
    public int EncodeIntoSpan() => CrockfordBase32.Encode(_bytes, _chars);

    [Benchmark]
    public byte[] Decode() => CrockfordBase32.Decode(_text);
}
