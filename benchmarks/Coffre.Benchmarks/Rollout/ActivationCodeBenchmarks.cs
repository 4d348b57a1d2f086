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

    [Benchmark]
    public string GenerateString() => ActivationCodes.Generate();

    [Benchmark]
    public bool TryNormaliseTyped() => ActivationCodes.TryNormalise(_typed, out _);

    [Benchmark]
    public bool TryNormaliseCanonical() => ActivationCodes.TryNormalise(_canonical, out _);

    [Benchmark]
    public string Display() => ActivationCodes.Display(_canonical);
}
