using System.Collections.Concurrent;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains.Events;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// The event path below the API: the vault grain raises after storing, the silo's publisher logs then forwards to the
/// hub partition, a registered observer (here the test client, as a gateway would) receives it; subscribe decisions.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class VaultEventTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    /// <summary>Collects what a hub forwards, as a gateway's relay does, and completes waiters for a vault's events.</summary>
    private sealed class Collector : IVaultEventObserver
    {
        public ConcurrentQueue<VaultEventEntry> Received { get; } = new();
        private readonly ConcurrentDictionary<Func<VaultEventEntry, bool>, TaskCompletionSource<VaultEventEntry>> _waiters = new();

        public Task OnEventsAsync(VaultEventEntry[] entries)
        {
            foreach (var e in entries)
            {
                Received.Enqueue(e);
                foreach (var (match, done) in _waiters)
                {
                    if (match(e))
                    {
                        done.TrySetResult(e);
                    }
                }
            }
            return Task.CompletedTask;
        }

        public Task<VaultEventEntry> WaitAsync(Func<VaultEventEntry, bool> match)
        {
            var done = new TaskCompletionSource<VaultEventEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters[match] = done;
            if (Received.FirstOrDefault(match) is { } already)
            {
                done.TrySetResult(already);
            }
            return done.Task.WaitAsync(Bound);
        }
    }

    private async Task<(Collector Collector, IVaultEventObserver Reference)> ObserveAsync(string vaultId)
    {
        var collector = new Collector();
        var reference = fixture.Grains.CreateObjectReference<IVaultEventObserver>(collector);
        await fixture.Grains.GetGrain<IVaultEventHubGrain>(VaultEventPartitions.Of(vaultId)).SubscribeAsync(reference);
        return (collector, reference);
    }

    private async Task<(IVaultGrain Vault, string VaultId, Caller Owner, Caller Social)> OpenAsync()
    {
        var vaultId = Ids.NewVaultId();
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(social, new OpenVault(new IdentityTraits("Martin", "Paul", new DateOnly(1975, 3, 2), Sex.Male),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, DateTimeOffset.UtcNow.AddYears(1), "form 2026-001")));
        return (vault, vaultId, Caller.Patient(vaultId), social);
    }

    private static async Task<DocumentEntry> DepositAsync(IVaultGrain vault, Caller author)
    {
        var sha = Sha256Hex.Of(new byte[10]);
        var document = new NewDocument("attestation", "52", "ATTEST-DROITS-AM", "application/pdf", 10, sha);
        var permit = await vault.AuthorizeUploadAsync(author, document);
        return await vault.AddDocumentAsync(author, document, permit.ContentKey, 10, sha);
    }

    [Fact]
    public async Task A_deposit_is_logged_with_the_next_position_and_forwarded_to_registered_observers()
    {
        var (vault, vaultId, owner, social) = await OpenAsync();
        var (collector, reference) = await ObserveAsync(vaultId);
        try
        {
            var entry = await DepositAsync(vault, social);
            var pushed = await collector.WaitAsync(e => e.Event.VaultId == vaultId && e.Event.Kind == VaultEventKind.DocumentAdded);
            Assert.Equal(entry.Id, pushed.Event.SubjectId);

            var events = fixture.Grains.GetGrain<IVaultEventsGrain>(vaultId);
            var page = await events.ReadEventsAsync(owner, 0, 100);
            Assert.Contains(page.Items, e => e.Position == pushed.Position && e.Event.Id == pushed.Event.Id);
            // Positions of one vault: 1, 2, 3… with no gap.
            Assert.Equal(Enumerable.Range(1, page.Items.Count).Select(i => (long)i), page.Items.Select(e => e.Position));
            // Reading after the last position gives nothing more.
            Assert.Empty((await events.ReadEventsAsync(owner, page.Items[^1].Position, 10)).Items);
        }
        finally
        {
            await fixture.Grains.GetGrain<IVaultEventHubGrain>(VaultEventPartitions.Of(vaultId)).UnsubscribeAsync(reference);
        }
    }

    [Fact]
    public async Task A_professionals_access_is_an_event_the_persons_own_are_not()
    {
        var (vault, vaultId, owner, social) = await OpenAsync();
        var (collector, reference) = await ObserveAsync(vaultId);
        try
        {
            await vault.ReadAsync(owner, new VaultRead(Capabilities: false));
            await vault.ReadAsync(social, new VaultRead(Capabilities: false));
            var access = await collector.WaitAsync(e => e.Event.VaultId == vaultId && e.Event.Kind == VaultEventKind.AccessRecorded);
            var history = await vault.GetAccessHistoryAsync(owner, null, 200);
            var recorded = Assert.Single(history.Items, h => h.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) == access.Event.SubjectId);
            Assert.Equal(CallerKind.Professional, recorded.Event.ActorKind);
            Assert.DoesNotContain(collector.Received, e => e.Event.VaultId == vaultId && e.Event.Kind == VaultEventKind.AccessRecorded
                && history.Items.Any(h => h.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) == e.Event.SubjectId && h.Event.ActorKind == CallerKind.Patient));
        }
        finally
        {
            await fixture.Grains.GetGrain<IVaultEventHubGrain>(VaultEventPartitions.Of(vaultId)).UnsubscribeAsync(reference);
        }
    }

    [Fact]
    public async Task Only_the_owner_and_representatives_may_follow_the_events_and_every_decision_is_audited()
    {
        var (vault, vaultId, owner, social) = await OpenAsync();
        var events = fixture.Grains.GetGrain<IVaultEventsGrain>(vaultId);
        await events.AuthorizeEventsAsync(owner);
        foreach (var stranger in new[] { social, Caller.Professional(NewRpps(), "10"), Caller.Patient(Ids.NewVaultId()) })
        {
            await Assert.ThrowsAsync<AccessDeniedException>(() => events.AuthorizeEventsAsync(stranger));
            await Assert.ThrowsAsync<AccessDeniedException>(() => events.ReadEventsAsync(stranger, 0, 10));
        }
        var history = await vault.GetAccessHistoryAsync(owner, null, 200);
        Assert.Contains(history.Items, h => h.Event.Operation == "events.subscribe" && h.Event.Allowed);
        Assert.Equal(3, history.Items.Count(h => h.Event.Operation == "events.subscribe" && !h.Event.Allowed));
    }

    [Fact]
    public async Task A_page_size_out_of_bounds_is_refused_naming_the_field()
    {
        var (_, vaultId, owner, _) = await OpenAsync();
        var events = fixture.Grains.GetGrain<IVaultEventsGrain>(vaultId);
        var e = await Assert.ThrowsAsync<ValidationFailedException>(() => events.ReadEventsAsync(owner, 0, 101));
        Assert.Equal("first", e.Field);
        Assert.Equal("after", (await Assert.ThrowsAsync<ValidationFailedException>(() => events.ReadEventsAsync(owner, -1, 10))).Field);
    }
}
