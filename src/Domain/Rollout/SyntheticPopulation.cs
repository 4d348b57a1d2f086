namespace Coffre.Domain.Rollout;

/// <summary>
/// A deterministic synthetic population (same seed, same people): valid NIRs, birth dates, names, addresses
/// spread over départements, ~60 % with an email, ~10 % minors linked to a representative, Vitale serials.
/// For tests and the macro benchmark; never real data.
/// </summary>
public static class SyntheticPopulation
{
    public static IEnumerable<PersonRecord> Generate(long count, int seed = 42) => throw new NotImplementedException();

    /// <summary>Writes the header and <paramref name="count"/> people as a population file.</summary>
    public static void WriteCsv(TextWriter writer, long count, int seed = 42) => throw new NotImplementedException();
}
