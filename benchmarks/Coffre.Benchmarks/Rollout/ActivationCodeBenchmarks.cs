using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Coffre.Domain.Rollout;

namespace Coffre.Benchmarks.Rollout;

/// <summary>
/// Activation-code generation (CSPRNG + Crockford symbols + check symbol), normalisation of typed input and the
/// display form. Generate into a span must not allocate: 68 M codes are issued in one campaign.
/// </summary>
[MemoryDiagnoser]
public class ActivationCodeBenchmarks
{
    private readonly char[] _destination = new char[ActivationCodes.CanonicalLength];
    private string _canonical = "";
    private string _typed = "";

    [GlobalSetup]
    public void Setup()
    {
        _canonical = ActivationCodes.Generate();
        _typed = ActivationCodes.Display(_canonical).ToLowerInvariant().Replace('1', 'l').Replace('0', 'o');
    }

    [Benchmark]
    public char GenerateIntoSpan()
    {
        ActivationCodes.Generate(_destination);
        return _destination[10];
    }

    /// <summary>The same-run baseline: one CSPRNG call per code (how <see cref="ActivationCodes.Generate(Span{char})"/> drew until 2026-12-07).</summary>
    [Benchmark(Baseline = true)]
    public char GenerateOneCsprngCallPerCode()
    {
        Span<byte> random = stackalloc byte[7];
        RandomNumberGenerator.Fill(random);
        ulong bits = 0;
        for (var i = 0; i < random.Length; i++)
        {
            bits = (bits << 8) | random[i];
        }
        var value = bits >> 6;
        for (var i = 0; i < ActivationCodes.DataSymbols; i++)
        {
            _destination[i] = CrockfordBase32.Alphabet[(int)((value >> (5 * (ActivationCodes.DataSymbols - 1 - i))) & 31)];
        }
        _destination[ActivationCodes.DataSymbols] = ActivationCodes.CheckAlphabet[(int)(value % 37)];
        CryptographicOperations.ZeroMemory(random);
        return _destination[10];
    }

    [Benchmark]
    public string GenerateString() => ActivationCodes.Generate();

    [Benchmark]
    public bool TryNormaliseTyped() => ActivationCodes.TryNormalise(_typed, out _);

    [Benchmark]
    public bool TryNormaliseCanonical() => ActivationCodes.TryNormalise(_canonical, out _);

    [Benchmark]
    public string Display() => ActivationCodes.Display(_canonical);
}
