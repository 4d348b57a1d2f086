using Coffre.Adapters.Local;
using Coffre.Application.Audit;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Xunit;

namespace Coffre.UnitTests.Audit;

public sealed class DenialLimiterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly Caller Foreign = Caller.Professional("10101010101", "10");

    private static AuditEvent Denial(DateTimeOffset at, string operation = "vault.read", string target = "vault", Caller? caller = null, DenialReason reason = DenialReason.NoBasis) =>
        AuditEvents.Create("v-1", caller ?? Foreign, operation, target, AccessDecision.Deny(reason, "no"), at);

    [Fact]
    public void The_first_denial_of_a_kind_is_appended_at_once_and_identical_ones_are_counted()
    {
        var limiter = new DenialLimiter(50, TimeSpan.FromMinutes(1));
        Assert.Single(limiter.Record(Denial(T0)));
        for (var i = 1; i < 10; i++)
        {
            Assert.Empty(limiter.Record(Denial(T0.AddSeconds(i))));
        }
        var aggregate = Assert.Single(limiter.TakePending());
        Assert.Equal(9, aggregate.Count);
        Assert.Equal(T0.AddSeconds(1), aggregate.FirstAt);
        Assert.Equal(T0.AddSeconds(9), aggregate.At);
        Assert.Equal("vault.read", aggregate.Operation);
        Assert.True(aggregate.IsAggregate);
        Assert.Empty(limiter.TakePending());
    }

    [Fact]
    public void Another_kind_is_appended_at_once_and_counted_apart()
    {
        var limiter = new DenialLimiter(50, TimeSpan.FromMinutes(1));
        Assert.Single(limiter.Record(Denial(T0)));
        Assert.Single(limiter.Record(Denial(T0, "document.read", "document:d-1")));
        Assert.Empty(limiter.Record(Denial(T0.AddSeconds(1))));
        Assert.Empty(limiter.Record(Denial(T0.AddSeconds(2), "document.read", "document:d-1")));
        Assert.Equal(2, limiter.TakePending().Count);
    }

    [Fact]
    public void After_the_limit_the_caller_is_limited_until_the_window_closes()
    {
        var limiter = new DenialLimiter(5, TimeSpan.FromMinutes(1));
        for (var i = 0; i < 5; i++)
        {
            Assert.False(limiter.IsLimited(DenialLimiter.ActorKey(Denial(T0)), T0.AddSeconds(i)));
            limiter.Record(Denial(T0.AddSeconds(i)));
        }
        var key = DenialLimiter.ActorKey(Denial(T0));
        Assert.True(limiter.IsLimited(key, T0.AddSeconds(10)));
        Assert.False(limiter.IsLimited(DenialLimiter.ActorKey(Denial(T0, caller: Caller.Professional("20202020202", "10"))), T0.AddSeconds(10)));
        Assert.False(limiter.IsLimited(key, T0.AddMinutes(1)));
    }

    [Fact]
    public void A_closed_window_gives_its_aggregates_and_is_forgotten()
    {
        var limiter = new DenialLimiter(50, TimeSpan.FromMinutes(1));
        limiter.Record(Denial(T0));
        limiter.Record(Denial(T0.AddSeconds(5)));
        limiter.Record(Denial(T0.AddSeconds(6)));
        Assert.Empty(limiter.TakeClosed(T0.AddSeconds(59)));
        Assert.Equal(T0.AddMinutes(1), limiter.NextClose);
        var aggregate = Assert.Single(limiter.TakeClosed(T0.AddMinutes(1)));
        Assert.Equal(2, aggregate.Count);
        Assert.Equal(0, limiter.OpenWindows);
        Assert.Null(limiter.NextClose);
    }

    [Fact]
    public void A_denial_after_the_window_appends_the_old_aggregate_then_itself()
    {
        var limiter = new DenialLimiter(50, TimeSpan.FromMinutes(1));
        limiter.Record(Denial(T0));
        limiter.Record(Denial(T0.AddSeconds(1)));
        var output = limiter.Record(Denial(T0.AddMinutes(2)));
        Assert.Equal(2, output.Count);
        Assert.Equal(1, output[0].Count);
        Assert.NotNull(output[0].FirstAt);
        Assert.False(output[1].IsAggregate);
        Assert.Equal(T0.AddMinutes(2), output[1].At);
    }

    [Fact]
    public void Every_denial_is_accounted_for_in_a_bounded_number_of_events()
    {
        var limiter = new DenialLimiter(50, TimeSpan.FromMinutes(1));
        var appended = new List<AuditEvent>();
        for (var i = 0; i < 1000; i++)
        {
            appended.AddRange(limiter.Record(Denial(T0.AddMilliseconds(i * 250))));
        }
        appended.AddRange(limiter.TakePending());
        Assert.Equal(1000, appended.Sum(e => e.Count));
        Assert.True(appended.Count <= 2 * 5, $"{appended.Count} events for 1000 denials over 250 s");
    }

    [Fact]
    public void Aggregated_events_are_hashed_with_their_count_and_keep_single_events_in_version_1()
    {
        var single = Denial(T0);
        Assert.Equal(1, AuditChain.Canonical(single)[0]);
        var aggregate = single with { Count = 7, FirstAt = T0.AddSeconds(-30) };
        Assert.Equal(2, AuditChain.Canonical(aggregate)[0]);
        var genesis = AuditChain.Genesis.ToArray();
        Assert.NotEqual(AuditChain.ComputeHash(genesis, aggregate), AuditChain.ComputeHash(genesis, aggregate with { Count = 6 }));
        Assert.NotEqual(AuditChain.ComputeHash(genesis, aggregate), AuditChain.ComputeHash(genesis, aggregate with { FirstAt = T0.AddSeconds(-29) }));
        Assert.Throws<ArgumentException>(() => AuditChain.Canonical(single with { Count = 0 }));
    }

    [Fact]
    public async Task A_chain_with_aggregated_events_verifies_and_a_changed_count_is_detected()
    {
        var key = new byte[32];
        var log = new InMemoryAuditLog(key);
        await log.AppendAsync(Denial(T0));
        await log.AppendAsync(Denial(T0.AddSeconds(50)) with { Count = 12, FirstAt = T0.AddSeconds(1) });
        await log.AppendAsync(Denial(T0.AddSeconds(60)));
        Assert.True((await log.VerifyAsync("v-1")).Intact);
        var page = await log.ReadAsync("v-1", null, 10);
        Assert.Equal(14, page.Items.Sum(i => i.Event.Count));

        var links = new List<AuditChainLink>();
        var previous = AuditChain.Genesis.ToArray();
        var events = page.Items.OrderBy(i => i.Sequence).Select(i => i.Event).ToList();
        for (var i = 0; i < events.Count; i++)
        {
            var hash = AuditChain.ComputeHash(previous, events[i]);
            links.Add(new AuditChainLink(i + 1, events[i], previous, hash));
            previous = hash;
        }
        links[1] = links[1] with { Event = links[1].Event with { Count = 1, FirstAt = null } };
        var verdict = AuditChain.Verify("v-1", links, null, key);
        Assert.False(verdict.Intact);
        Assert.Equal(2, verdict.FirstBrokenSequence);
    }
}
