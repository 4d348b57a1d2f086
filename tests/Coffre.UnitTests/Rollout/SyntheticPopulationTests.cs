using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Xunit;

namespace Coffre.UnitTests.Rollout;

public sealed class SyntheticPopulationTests
{
    private static readonly DateOnly Reference = SyntheticPopulation.ReferenceDate;

    private static string Csv(long count, int seed)
    {
        using var writer = new StringWriter();
        SyntheticPopulation.WriteCsv(writer, count, seed);
        return writer.ToString();
    }

    private static bool IsMinor(DateOnly birth) => birth.AddYears(18) > Reference;

    [Fact]
    public void The_same_seed_gives_the_same_people_and_another_seed_other_people()
    {
        var a = Csv(5000, 7);
        Assert.Equal(a, Csv(5000, 7));
        Assert.NotEqual(a, Csv(5000, 8));
        Assert.StartsWith(Csv(100, 7), a, StringComparison.Ordinal); // a prefix: streaming does not change anyone
        Assert.Equal(SyntheticPopulation.Generate(5000, 7).Select(PopulationCsv.Format), SyntheticPopulation.Generate(5000, 7).Select(PopulationCsv.Format));
    }

    [Fact]
    public void WriteCsv_is_the_header_then_Format_of_each_generated_person()
    {
        var lines = Csv(3000, 3).Split('\n');
        Assert.Equal(3002, lines.Length);
        Assert.Equal(PopulationCsv.Header, lines[0]);
        Assert.Equal("", lines[^1]);
        var i = 1;
        foreach (var person in SyntheticPopulation.Generate(3000, 3))
        {
            Assert.Equal(PopulationCsv.Format(person), lines[i++]);
        }
    }

    [Fact]
    public void Person_is_the_generated_person_at_that_index()
    {
        var people = SyntheticPopulation.Generate(500, 11).ToList();
        foreach (var index in new[] { 0, 1, 17, 250, 499 })
        {
            Assert.Equal(PopulationCsv.Format(people[index]), PopulationCsv.Format(SyntheticPopulation.Person(index, 11)));
        }
    }

    [Fact]
    public void Every_row_is_valid_through_PopulationCsv()
    {
        var count = 0;
        using var reader = new StringReader(Csv(50_000, 42));
        foreach (var row in PopulationCsv.Read(reader, 0, Reference))
        {
            Assert.True(row.Error is null, $"{row.Error}");
            count++;
        }
        Assert.Equal(50_000, count);
    }

    [Fact]
    public void Population_shape_over_200k_people()
    {
        const int count = 200_000;
        var nirs = new Dictionary<string, (long Index, bool Adult)>(count);
        var departements = new HashSet<string>();
        int emails = 0, minors = 0, line2 = 0;
        long index = 0;
        foreach (var person in SyntheticPopulation.Generate(count))
        {
            Assert.True(Nir.IsValid(person.Nir), person.Nir);
            var minor = IsMinor(person.BirthDate);
            Assert.True(nirs.TryAdd(person.Nir, (index, !minor)), $"duplicate NIR at {index}");

            // Birth date and sex agree with the NIR.
            Assert.Equal(person.BirthDate.Year % 100, int.Parse(person.Nir.AsSpan(1, 2)));
            Assert.Equal(person.BirthDate.Month, int.Parse(person.Nir.AsSpan(3, 2)));
            Assert.Equal(person.Nir[0] == '1' ? Sex.Male : Sex.Female, person.Sex);
            Assert.InRange(person.BirthDate.Year, 1930, 2025);

            // Everyone has an address in their NIR's département.
            var address = Assert.IsType<PostalAddress>(person.Address);
            Assert.Equal(person.Nir.Substring(5, 2), address.Departement);
            departements.Add(address.Departement);
            line2 += address.Line2 is null ? 0 : 1;

            if (person.Email is not null)
            {
                Assert.Equal($"p{index}@example.test", person.Email);
                emails++;
            }

            if (minor)
            {
                minors++;
                Assert.NotEqual(0, index);
                Assert.Null(person.VitaleSerial);
                var representative = Assert.Single(person.RepresentativeNirs);
                Assert.True(nirs.TryGetValue(representative, out var parent), "the representative is not earlier in the file");
                Assert.True(parent.Adult);
                Assert.True(parent.Index < index);
            }
            else
            {
                Assert.Empty(person.RepresentativeNirs);
                Assert.Matches("^[0-9]{15}$", person.VitaleSerial);
            }
            index++;
        }
        Assert.Equal(count, index);
        Assert.InRange(emails / (double)count, 0.58, 0.62);
        Assert.InRange(minors / (double)count, 0.09, 0.11);
        Assert.InRange(line2 / (double)count, 0.10, 0.20);
        Assert.Equal(96, departements.Count);
        Assert.Contains("2A", departements);
        Assert.Contains("2B", departements);
    }

    [Fact]
    public void Nirs_stay_unique_across_a_100_million_population()
    {
        Assert.True(SyntheticPopulation.MaxCount >= 100_000_000);
        var random = new Random(5);
        var indices = new HashSet<long>();
        while (indices.Count < 100_000)
        {
            indices.Add(random.NextInt64(100_000_000));
        }
        indices.Add(SyntheticPopulation.MaxCount - 1);
        var nirs = new HashSet<string>();
        foreach (var i in indices)
        {
            var person = SyntheticPopulation.Person(i, 42);
            Assert.True(Nir.IsValid(person.Nir));
            Assert.True(nirs.Add(person.Nir), $"duplicate NIR at {i}");
        }
    }

    [Fact]
    public void Counts_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticPopulation.Generate(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticPopulation.Generate(SyntheticPopulation.MaxCount + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticPopulation.WriteCsv(TextWriter.Null, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticPopulation.Person(SyntheticPopulation.MaxCount));
        Assert.Empty(SyntheticPopulation.Generate(0));
        Assert.Equal(PopulationCsv.Header + "\n", Csv(0, 1));
    }

    [Fact]
    public void Writing_is_fast_enough_for_the_macro_benchmark()
    {
        SyntheticPopulation.WriteCsv(TextWriter.Null, 10_000);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        SyntheticPopulation.WriteCsv(TextWriter.Null, 200_000);
        watch.Stop();
        // > 1 M people/s expected on the build machine; a loose bound so a loaded CI run does not flake.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"{watch.Elapsed.TotalMilliseconds:F0} ms for 200 000 people");
    }
}
