using System.Security.Cryptography;
using Coffre.Application.Rollout;
using Xunit;

namespace Coffre.UnitTests.Rollout;

/// <summary>Issuance's progress total when it does not count first.</summary>
public sealed class KeyspaceEstimateTests
{
    private static EligiblePerson Person(byte[] key, bool minor = false) => new(key, "v-x", true, null, null, null, minor);

    /// <summary>Keyed hashes of a population: uniform, read back in key order as the store returns them.</summary>
    private static List<byte[]> SortedKeys(int count, int seed)
    {
        var random = new Random(seed);
        var keys = Enumerable.Range(0, count).Select(_ =>
        {
            var key = new byte[32];
            random.NextBytes(key);
            return key;
        }).ToList();
        keys.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return keys;
    }

    [Fact]
    public void The_place_of_a_key_is_its_first_eight_bytes_big_endian_over_the_key_space()
    {
        Assert.Equal(1.0, KeyspaceEstimate.Fraction(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0.5, KeyspaceEstimate.Fraction([0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]), 12);
        Assert.True(KeyspaceEstimate.Fraction(new byte[32]) > 0);   // never 0: the estimate divides by it
        Assert.Equal(KeyspaceEstimate.Fraction([0x40, 0, 0, 0, 0, 0, 0, 0]), KeyspaceEstimate.Fraction([0x40]));   // a short key is padded
    }

    [Fact]
    public void After_a_tenth_of_a_uniform_read_the_total_is_within_a_few_percent_and_exact_at_the_end()
    {
        var keys = SortedKeys(100_000, seed: 7);
        var estimate = new KeyspaceEstimate();
        for (var i = 0; i < keys.Count; i++)
        {
            estimate.Add(Person(keys[i]));
            if (i + 1 == 10_000)
            {
                Assert.InRange(estimate.Total, 97_000, 103_000);   // 1/√10 000 = 1 %: three sigmas
            }
        }
        Assert.InRange(estimate.Total, 100_000, 100_010);   // the last key sits at the very end of the space
        Assert.Equal(100_000, estimate.Read);
    }

    [Fact]
    public void Adults_and_minors_are_estimated_each_over_its_own_read_and_a_class_not_reached_counts_nothing()
    {
        var adults = SortedKeys(90_000, seed: 1);
        var minors = SortedKeys(10_000, seed: 2);
        var estimate = new KeyspaceEstimate();
        foreach (var key in adults.Take(45_000))
        {
            estimate.Add(Person(key));
        }
        Assert.InRange(estimate.Total, 88_000, 92_000);   // the minors' read has not started: adults only
        foreach (var key in adults.Skip(45_000))
        {
            estimate.Add(Person(key));
        }
        foreach (var key in minors.Take(5_000))
        {
            estimate.Add(Person(key, minor: true));
        }
        Assert.InRange(estimate.Total, 99_000, 101_000);
        Assert.Equal(95_000, estimate.Read);
    }

    [Fact]
    public void The_estimate_is_never_below_what_was_read()
    {
        var estimate = new KeyspaceEstimate();
        var key = new byte[32];
        RandomNumberGenerator.Fill(key);
        key[0] = 0xFF;
        estimate.Add(Person(key));
        estimate.Add(Person(key));
        Assert.True(estimate.Total >= 2);
    }
}
