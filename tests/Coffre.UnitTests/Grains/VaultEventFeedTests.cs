using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains.Events;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// vaultEventAdded's source stream against the real vault grain and log: replay after a cursor, duplicates and
/// late entries dropped, a gap read from the log, and access re-decided on events (a caller without standing gets
/// nothing and the feed ends with the denial). Events are handed to the relay as a hub would.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class VaultEventFeedTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private sealed class Sink : IObserver<object?>
    {
        private readonly List<(long Position, TaskCompletionSource Done)> _waiters = [];

        public List<VaultEventEntry> Items { get; } = [];
        public TaskCompletionSource<Exception?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once an entry at or past <paramref name="position"/> was received.</summary>
        public Task ReachedAsync(long position)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (Items)
            {
                if (Items.Any(e => e.Position >= position))
                {
                    return Task.CompletedTask;
                }
                _waiters.Add((position, done));
            }
            return done.Task.WaitAsync(Bound);
        }

        public void OnNext(object? value)
        {
            var entry = (VaultEventEntry)value!;
            lock (Items)
            {
                Items.Add(entry);
                foreach (var w in _waiters.Where(w => entry.Position >= w.Position))
                {
                    w.Done.TrySetResult();
                }
            }
        }

        public void OnError(Exception error) => Ended.TrySetResult(error);

        public void OnCompleted() => Ended.TrySetResult(null);
    }

    private async Task<(IVaultGrain Vault, IVaultEventsGrain Events, string VaultId, Caller Owner, Caller Social)> OpenAsync()
    {
        var vaultId = Ids.NewVaultId();
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(social, new OpenVault(new IdentityTraits("Martin", "Paul", new DateOnly(1975, 3, 2), Sex.Male),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, DateTimeOffset.UtcNow.AddYears(1), "form 2026-001")));
        return (vault, fixture.Grains.GetGrain<IVaultEventsGrain>(vaultId), vaultId, Caller.Patient(vaultId), social);
    }

    /// <summary>Deposits as the social worker and returns the log once it holds the document's event (the publisher is asynchronous).</summary>
    private static async Task<IReadOnlyList<VaultEventEntry>> DepositAsync(IVaultGrain vault, IVaultEventsGrain events, Caller author, Caller owner)
    {
        var sha = Sha256Hex.Of(new byte[10]);
        var document = new NewDocument("attestation", "52", "ATTEST-DROITS-AM", "application/pdf", 10, sha);
        var permit = await vault.AuthorizeUploadAsync(author, document);
        var entry = await vault.AddDocumentAsync(author, document, permit.ContentKey, 10, sha);
        using var timeout = new CancellationTokenSource(Bound);
        while (true)
        {
            var log = (await events.ReadEventsAsync(owner, 0, 100)).Items;
            if (log.Any(e => e.Event.SubjectId == entry.Id))
            {
                return log;
            }
            await Task.Delay(50, timeout.Token);
        }
    }

    [Fact]
    public async Task Replays_after_the_cursor_drops_duplicates_and_reads_a_gap_from_the_log()
    {
        var (vault, events, vaultId, owner, social) = await OpenAsync();
        var before = await DepositAsync(vault, events, social, owner);
        var relay = new VaultEventRelay(fixture.Grains, NullLogger<VaultEventRelay>.Instance);
        IVaultEventObserver hub = relay;
        var sink = new Sink();
        IReadOnlyList<VaultEventEntry> after;
        using (VaultEventFeeds.Events(relay, events, owner, vaultId, after: 1, TimeProvider.System).Subscribe(sink))
        {
            // The replay after cursor 1 ends with the last event logged so far; a duplicate from a hub changes nothing.
            await sink.ReachedAsync(before[^1].Position);
            await hub.OnEventsAsync([before[0], before[^1]]);
            // More events are logged; the hub hands over only the newest (those between were lost on the way) and again.
            after = await DepositAsync(vault, events, social, owner);
            Assert.True(after.Count > before.Count + 1);
            await hub.OnEventsAsync([after[^1], after[^1]]);
            await sink.ReachedAsync(after[^1].Position);
        }
        List<long> positions;
        lock (sink.Items)
        {
            positions = sink.Items.Select(e => e.Position).ToList();
        }
        Assert.Equal(Enumerable.Range(2, after.Count - 1).Select(i => (long)i), positions);
        Assert.Equal(after.Skip(1).Select(e => e.Event.Id), sink.Items.Select(e => e.Event.Id));
    }

    [Fact]
    public async Task A_caller_without_standing_gets_nothing_once_access_is_decided_again()
    {
        var (vault, events, vaultId, owner, social) = await OpenAsync();
        var log = await DepositAsync(vault, events, social, owner);
        var relay = new VaultEventRelay(fixture.Grains, NullLogger<VaultEventRelay>.Instance);
        var sink = new Sink();
        // As if the caller had been allowed when subscribing and lost access since: decided again on the next event.
        using (VaultEventFeeds.Events(relay, events, social, vaultId, after: null, TimeProvider.System, redecideAfter: TimeSpan.Zero).Subscribe(sink))
        {
            await ((IVaultEventObserver)relay).OnEventsAsync([log[^1]]);
            var error = await sink.Ended.Task.WaitAsync(Bound);
            Assert.IsType<AccessDeniedException>(error);
        }
        Assert.Empty(sink.Items);
        Assert.Equal(0, relay.ListenerCount);
    }
}
