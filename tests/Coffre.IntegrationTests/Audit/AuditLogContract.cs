using System.Diagnostics;
using Coffre.Application.Audit;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Audit;

/// <summary>The contract every <see cref="IAuditLog"/> passes: PostgreSQL (cluster) and in-memory (embedded) alike.</summary>
public abstract class AuditLogContract(ITestOutputHelper output) : IAsyncLifetime
{
    protected static readonly byte[] HeadKey = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();

    protected abstract IAuditLog Log { get; }

    protected abstract string Name { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    protected static string NewVault() => "v-" + Guid.NewGuid().ToString("N")[..12];

    protected static AuditEvent Event(string vault, int n, bool allowed = true)
    {
        var caller = n % 3 == 0 ? Caller.Patient(vault) : Caller.Professional("1000000000" + n % 10, "10");
        var decision = allowed ? AccessDecision.Allow(LegalBasis.Grant, "granted") : AccessDecision.Deny(DenialReason.NoBasis, "no basis");
        var at = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddTicks(n * 10_000_007L);
        return AuditEvents.Create(vault, caller, n % 2 == 0 ? "document.read" : "document.upload", $"document:d-{n}", decision, at);
    }

    protected async Task<List<long>> AppendAllAsync(string vault, int count)
    {
        var sequences = new List<long>();
        for (var i = 1; i <= count; i++)
        {
            sequences.Add(await Log.AppendAsync(Event(vault, i)));
        }
        return sequences;
    }

    [Fact]
    public async Task Appended_events_read_back_newest_first_in_pages()
    {
        var vault = NewVault();
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), await AppendAllAsync(vault, 25));

        var first = await Log.ReadAsync(vault, null, 10);
        Assert.Equal(Enumerable.Range(16, 10).Reverse().Select(i => (long)i), first.Items.Select(e => e.Sequence));
        Assert.True(first.HasMore);
        Assert.Equal(25, first.TotalCount);

        var second = await Log.ReadAsync(vault, first.Items[^1].Sequence, 10);
        Assert.Equal(Enumerable.Range(6, 10).Reverse().Select(i => (long)i), second.Items.Select(e => e.Sequence));
        Assert.True(second.HasMore);

        var last = await Log.ReadAsync(vault, second.Items[^1].Sequence, 10);
        Assert.Equal(Enumerable.Range(1, 5).Reverse().Select(i => (long)i), last.Items.Select(e => e.Sequence));
        Assert.False(last.HasMore);

        var exact = await Log.ReadAsync(vault, 11, 10);
        Assert.Equal(10, exact.Items.Count);
        Assert.False(exact.HasMore);

        foreach (var item in first.Items.Concat(second.Items).Concat(last.Items))
        {
            Assert.Equal(AuditChain.Normalise(Event(vault, (int)item.Sequence)), item.Event);
            Assert.Matches("^[0-9a-f]{64}$", item.Hash);
        }
    }

    [Fact]
    public async Task Stored_hashes_form_the_chain()
    {
        var vault = NewVault();
        await AppendAllAsync(vault, 3);
        var items = (await Log.ReadAsync(vault, null, 10)).Items.OrderBy(i => i.Sequence).ToList();
        var previous = AuditChain.Genesis.ToArray();
        foreach (var item in items)
        {
            previous = AuditChain.ComputeHash(previous, item.Event);
            Assert.Equal(AuditChain.ToHex(previous), item.Hash);
        }
    }

    [Fact]
    public async Task Unknown_vault_is_empty_and_intact()
    {
        var vault = NewVault();
        var page = await Log.ReadAsync(vault, null, 10);
        Assert.Empty(page.Items);
        Assert.False(page.HasMore);
        Assert.Equal(0, page.TotalCount);
        Assert.Equal(new ChainVerification(true, 0, null, null), await Log.VerifyAsync(vault));
    }

    [Fact]
    public async Task Sequences_are_contiguous_per_vault_and_independent_across_vaults()
    {
        var a = NewVault();
        var b = NewVault();
        var got = new List<(string Vault, long Sequence)>();
        for (var i = 1; i <= 6; i++)
        {
            got.Add((a, await Log.AppendAsync(Event(a, i))));
            if (i % 2 == 0)
            {
                got.Add((b, await Log.AppendAsync(Event(b, i))));
            }
        }
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, got.Where(g => g.Vault == a).Select(g => g.Sequence));
        Assert.Equal(new long[] { 1, 2, 3 }, got.Where(g => g.Vault == b).Select(g => g.Sequence));
        Assert.Equal(6, (await Log.ReadAsync(a, null, 100)).TotalCount);
        Assert.Equal(3, (await Log.ReadAsync(b, null, 100)).TotalCount);
        Assert.True((await Log.VerifyAsync(a)).Intact);
        Assert.True((await Log.VerifyAsync(b)).Intact);
    }

    [Fact]
    public async Task Events_are_stored_in_utc_at_microsecond_precision()
    {
        var vault = NewVault();
        var e = Event(vault, 1) with { At = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.FromHours(1)).AddTicks(1234567) };
        await Log.AppendAsync(e);
        var stored = Assert.Single((await Log.ReadAsync(vault, null, 10)).Items).Event;
        Assert.Equal(TimeSpan.Zero, stored.At.Offset);
        Assert.Equal(e.At.UtcTicks - 7, stored.At.UtcTicks);
        Assert.Equal(AuditChain.Normalise(e), stored);
        Assert.True((await Log.VerifyAsync(vault)).Intact);
    }

    [Fact]
    public async Task Null_profession_denials_and_every_action_round_trip()
    {
        var vault = NewVault();
        var events = new[]
        {
            Event(vault, 1, allowed: false) with { ActorProfession = null, Action = AuditAction.Delete },
            Event(vault, 2) with { ActorProfession = "", Action = AuditAction.Execute, Target = "vault" },
            Event(vault, 3) with { Action = AuditAction.Create, ActorId = "opérateur-é", Operation = "grant.add" },
        };
        foreach (var e in events)
        {
            await Log.AppendAsync(e);
        }
        var stored = (await Log.ReadAsync(vault, null, 10)).Items.OrderBy(i => i.Sequence).Select(i => i.Event);
        Assert.Equal(events.Select(AuditChain.Normalise), stored);
        Assert.True((await Log.VerifyAsync(vault)).Intact);
    }

    [Fact]
    public async Task An_event_no_store_can_keep_fails_only_its_caller()
    {
        var vault = NewVault();
        var good = Log.AppendAsync(Event(vault, 1));
        await Assert.ThrowsAsync<ArgumentException>(() => Log.AppendAsync(Event(vault, 2) with { Target = "a\0b" }));
        Assert.Equal(1, await good);
        Assert.Equal(2, await Log.AppendAsync(Event(vault, 3)));
        Assert.True((await Log.VerifyAsync(vault)).Intact);
    }

    [Fact]
    public async Task Concurrent_appends_across_vaults_are_all_acknowledged_with_intact_chains()
    {
        const int vaultCount = 20;
        const int perVault = 100;
        var vaults = Enumerable.Range(0, vaultCount).Select(_ => NewVault()).ToArray();
        var work = Enumerable.Range(0, vaultCount * perVault).Select(i => (Vault: vaults[i % vaultCount], N: i / vaultCount + 1)).ToArray();

        await Log.AppendAsync(Event(NewVault(), 0)); // warm-up (connection, JIT), outside the measurement
        var clock = Stopwatch.StartNew();
        var acknowledged = await Task.WhenAll(work.Select(async w => (w.Vault, w.N, Sequence: await Log.AppendAsync(Event(w.Vault, w.N)))));
        clock.Stop();
        Report($"audit append ({Name}): {work.Length} concurrent appends across {vaultCount} vaults in {clock.Elapsed.TotalMilliseconds:F0} ms = {work.Length / clock.Elapsed.TotalSeconds:F0} events/s");

        foreach (var vault in vaults)
        {
            var mine = acknowledged.Where(a => a.Vault == vault).ToList();
            Assert.Equal(Enumerable.Range(1, perVault).Select(i => (long)i), mine.Select(a => a.Sequence).Order());
            var page = await Log.ReadAsync(vault, null, 1000);
            Assert.Equal(perVault, page.TotalCount);
            Assert.Equal(perVault, page.Items.Count);
            // Each acknowledged sequence holds the event that was appended under it.
            var bySequence = page.Items.ToDictionary(i => i.Sequence, i => i.Event);
            Assert.All(mine, a => Assert.Equal(AuditChain.Normalise(Event(vault, a.N)), bySequence[a.Sequence]));
            Assert.Equal(new ChainVerification(true, perVault, null, null), await Log.VerifyAsync(vault));
        }
    }

    protected void Report(string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("COFFRE_TEST_REPORT") is { Length: > 0 } path)
        {
            File.AppendAllText(path, line + Environment.NewLine);
        }
    }
}
