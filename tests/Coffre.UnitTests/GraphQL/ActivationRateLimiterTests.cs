using System.Net;
using Coffre.GraphQL.Activation;
using Microsoft.Extensions.Options;
using Xunit;

namespace Coffre.UnitTests.GraphQL;

public sealed class ActivationRateLimiterTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    [InlineData("::1", "::/64")]
    public void Client_key_is_the_IPv4_address_or_the_IPv6_slash_64(string address, string key) =>
        Assert.Equal(key, ActivationRateLimiter.ClientKey(IPAddress.Parse(address)));

    [Fact]
    public void Client_key_without_an_address_is_unknown() => Assert.Equal("unknown", ActivationRateLimiter.ClientKey(null));

    [Fact]
    public void Changing_the_interface_identifier_inside_a_slash_64_does_not_give_a_fresh_bucket()
    {
        var clock = new ManualClock();
        var limiter = Limiter(clock, perClientPerMinute: 3);
        var taken = Enumerable.Range(0, 10)
            .Count(i => limiter.TryAcquire(ActivationRateLimiter.ClientKey(IPAddress.Parse($"2001:db8:aa:bb::{i + 1:x}"))));
        Assert.Equal(3, taken);
        // Another /64 has its own bucket.
        Assert.True(limiter.TryAcquire(ActivationRateLimiter.ClientKey(IPAddress.Parse("2001:db8:aa:bc::1"))));
    }

    [Fact]
    public void The_bucket_refills_gradually_so_a_minute_boundary_gives_no_burst()
    {
        var clock = new ManualClock();
        var limiter = Limiter(clock, perClientPerMinute: 30);   // one token every 2 s
        Assert.Equal(30, Drain(limiter, "c"));
        clock.Now += TimeSpan.FromSeconds(1.9);
        Assert.Equal(0, Drain(limiter, "c"));
        clock.Now += TimeSpan.FromSeconds(0.2);
        Assert.Equal(1, Drain(limiter, "c"));

        // Exhausted just before what would have been a minute boundary, then just after it: one token, not thirty.
        clock.Now += TimeSpan.FromSeconds(55);
        Assert.Equal(27, Drain(limiter, "c"));
        clock.Now += TimeSpan.FromSeconds(2);
        Assert.Equal(1, Drain(limiter, "c"));

        // A long pause refills to the capacity, never beyond.
        clock.Now += TimeSpan.FromHours(1);
        Assert.Equal(30, Drain(limiter, "c"));
    }

    [Fact]
    public void Per_person_bucket_limits_attempts_on_one_person_from_many_clients()
    {
        var clock = new ManualClock();
        var limiter = new ActivationRateLimiter(Options.Create(new ActivationRateLimitOptions { PerClientPerMinute = 1000, PerPersonPerHour = 6 }), clock);
        Assert.Equal(6, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquireForPerson("nir-hash-a")));
        Assert.True(limiter.TryAcquireForPerson("nir-hash-b"));
        clock.Now += TimeSpan.FromMinutes(11);   // one per 10 minutes
        Assert.True(limiter.TryAcquireForPerson("nir-hash-a"));
        Assert.False(limiter.TryAcquireForPerson("nir-hash-a"));
    }

    [Fact]
    public void Full_buckets_are_forgotten()
    {
        var clock = new ManualClock();
        var buckets = new TokenBuckets(5, TimeSpan.FromMinutes(1), clock);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(buckets.TryTake("k" + i));
        }
        Assert.Equal(100, buckets.Count);
        clock.Now += TimeSpan.FromSeconds(13);   // one token every 12 s
        buckets.Sweep();
        Assert.Equal(0, buckets.Count);
        Assert.Equal(5, Enumerable.Range(0, 9).Count(_ => buckets.TryTake("k1")));
    }

    [Fact]
    public void The_passphrase_budget_allows_one_hash_per_request()
    {
        var budget = new PassphraseWorkBudget();
        Assert.True(budget.TryTake());
        Assert.False(budget.TryTake());
        Assert.False(budget.TryTake());
    }

    private static ActivationRateLimiter Limiter(TimeProvider clock, int perClientPerMinute) =>
        new(Options.Create(new ActivationRateLimitOptions { PerClientPerMinute = perClientPerMinute, PerPersonPerHour = 1_000_000 }), clock);

    private static int Drain(ActivationRateLimiter limiter, string client)
    {
        var n = 0;
        while (n < 10_000 && limiter.TryAcquire(client))
        {
            n++;
        }
        return n;
    }
}
