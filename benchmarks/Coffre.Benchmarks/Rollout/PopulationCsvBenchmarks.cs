using BenchmarkDotNet.Attributes;
using Coffre.Domain.Rollout;

namespace Coffre.Benchmarks.Rollout;

/// <summary>
/// Population file: validating one typical line (an adult with email, address and Vitale serial; a minor with a
/// representative), formatting it back, and writing 10 000 synthetic people to a null writer (target: over 1 M/s).
/// </summary>
[MemoryDiagnoser]
public class PopulationCsvBenchmarks
{
    private static readonly DateOnly Today = new(2026, 11, 23);
    private string _adultLine = "";
    private string _minorLine = "";
    private PersonRecord _adult = null!;

    [GlobalSetup]
    public void Setup()
    {
        foreach (var person in SyntheticPopulation.Generate(1000))
        {
            if (_adultLine.Length == 0 && person.RepresentativeNirs.Count == 0 && person.Email is not null && person.Address?.Line2 is not null)
            {
                _adult = person;
                _adultLine = PopulationCsv.Format(person);
            }
            if (_minorLine.Length == 0 && person.RepresentativeNirs.Count > 0)
            {
                _minorLine = PopulationCsv.Format(person);
            }
        }
        if (PopulationCsv.ParseLine(1, _adultLine, Today).Error is { } error)
        {
            throw new InvalidOperationException($"benchmark line is invalid: {error}");
        }
    }

    [Benchmark]
    public PersonRecord? ParseAdultLine() => PopulationCsv.ParseLine(1, _adultLine, Today).Record;

    [Benchmark]
    public PersonRecord? ParseMinorLine() => PopulationCsv.ParseLine(1, _minorLine, Today).Record;

    [Benchmark]
    public string FormatAdult() => PopulationCsv.Format(_adult);

    [Benchmark(OperationsPerInvoke = 10_000)]
    public void Synthetic10kToNullWriter() => SyntheticPopulation.WriteCsv(TextWriter.Null, 10_000);

    [Benchmark(OperationsPerInvoke = 10_000)]
    public int Synthetic10kRecords()
    {
        var n = 0;
        foreach (var person in SyntheticPopulation.Generate(10_000))
        {
            n += person.Nir.Length;
        }
        return n;
    }
}
