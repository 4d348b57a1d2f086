using Coffre.Application.Rollout;
using Xunit;

namespace Coffre.UnitTests.Rollout;

/// <summary>Issuance's progress total when it does not count first.</summary>
public sealed class ReadEstimateTests
{
    private static EligiblePerson Person(bool minor = false) => new(new byte[32], "v-x", true, null, null, null, minor);

    /// <summary>
    /// <paramref name="people"/> spread at random over a table of <paramref name="blocks"/> blocks, read in table order: the
    /// place the store reports for each (its block + 1 over the blocks).
    /// </summary>
    private static List<double> Places(int people, int blocks, int seed)
    {
        var random = new Random(seed);
        var places = Enumerable.Range(0, people).Select(_ => (random.Next(blocks) + 1) / (double)blocks).ToList();
        places.Sort();
        return places;
    }

    [Fact]
    public void After_a_tenth_of_a_read_the_total_is_within_a_few_percent_and_exact_at_the_end()
    {
        var places = Places(100_000, blocks: 2_000, seed: 7);
        var estimate = new ReadEstimate();
        for (var i = 0; i < places.Count; i++)
        {
            estimate.Add(Person(), places[i]);
            if (i + 1 == 10_000)
            {
                Assert.InRange(estimate.Total, 95_000, 105_000);   // 1/√10 000 = 1 % plus the block's granularity
            }
        }
        Assert.Equal(100_000, estimate.Total);   // the last person is in the last block
        Assert.Equal(100_000, estimate.Read);
    }

    [Fact]
    public void Adults_and_minors_are_estimated_each_over_its_own_read_and_a_class_not_reached_counts_nothing()
    {
        var adults = Places(90_000, blocks: 2_000, seed: 1);
        var minors = Places(10_000, blocks: 2_000, seed: 2);
        var estimate = new ReadEstimate();
        foreach (var place in adults.Take(45_000))
        {
            estimate.Add(Person(), place);
        }
        Assert.InRange(estimate.Total, 87_000, 93_000);   // the minors' read has not started: adults only
        foreach (var place in adults.Skip(45_000))
        {
            estimate.Add(Person(), place);
        }
        foreach (var place in minors.Take(5_000))
        {
            estimate.Add(Person(minor: true), place);
        }
        Assert.InRange(estimate.Total, 98_000, 102_000);
        Assert.Equal(95_000, estimate.Read);
    }

    [Fact]
    public void A_read_out_of_table_order_estimates_from_the_furthest_place_and_never_below_what_was_read()
    {
        var estimate = new ReadEstimate();
        estimate.Add(Person(), 0.5);
        estimate.Add(Person(), 0.1);   // an index walk jumps around the table
        Assert.Equal(4, estimate.Total);   // 2 read by place 0.5, not 2 / 0.1
        estimate.Add(Person(), double.NaN);
        Assert.True(estimate.Total >= 3);
    }

    [Fact]
    public void Without_a_place_the_estimate_is_what_was_read()
    {
        var estimate = new ReadEstimate();
        estimate.Add(Person(), double.NaN);
        estimate.Add(Person(minor: true), 0);
        Assert.Equal(2, estimate.Total);
    }
}
