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

    private static async Task<DocumentEntry> DepositAsync(IVaultGrain vault, Caller author, Visibility? visibility = null)
    {
        var sha = Sha256Hex.Of(new byte[10]);
        var document = new NewDocument("attestation", "52", "ATTEST-DROITS-AM", "application/pdf", 10, sha) { Visibility = visibility };
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
    public async Task A_document_hidden_from_the_person_or_their_representatives_is_announced_only_once_the_flag_is_lifted()
    {
        var (vault, vaultId, owner, social) = await OpenAsync();
        var (collector, reference) = await ObserveAsync(vaultId);
        try
        {
            var hiddenFromPatient = await DepositAsync(vault, social, new Visibility(InvisibleToPatient: true));
            var hiddenFromRepresentatives = await DepositAsync(vault, owner, new Visibility(InvisibleToRepresentatives: true));
            var shown = await DepositAsync(vault, social);
            await collector.WaitAsync(e => e.Event.VaultId == vaultId && e.Event.SubjectId == shown.Id);
            var events = fixture.Grains.GetGrain<IVaultEventsGrain>(vaultId);
            // The log is in order: the visible document's event is there, the hidden ones' (deposited before) are not.
            var logged = (await events.ReadEventsAsync(owner, 0, 100)).Items;
            Assert.Contains(logged, e => e.Event.SubjectId == shown.Id);
            Assert.DoesNotContain(logged, e => e.Event.SubjectId == hiddenFromPatient.Id || e.Event.SubjectId == hiddenFromRepresentatives.Id);
            var notices = await vault.GetNotificationsAsync(owner, 50);
            Assert.Contains(notices, n => n.Payload is NewDocumentNotice d && d.DocumentId == shown.Id);
            Assert.DoesNotContain(notices, n => n.Payload is NewDocumentNotice d && d.DocumentId == hiddenFromPatient.Id);

            await vault.UpdateDocumentAsync(owner, hiddenFromRepresentatives.Id, new DocumentChanges(InvisibleToRepresentatives: false));
            var lifted = await collector.WaitAsync(e => e.Event.VaultId == vaultId && e.Event.SubjectId == hiddenFromRepresentatives.Id);
            Assert.Equal(VaultEventKind.DocumentAdded, lifted.Event.Kind);
        }
        finally
        {
            await fixture.Grains.GetGrain<IVaultEventHubGrain>(VaultEventPartitions.Of(vaultId)).UnsubscribeAsync(reference);
        }
    }

    private static Task<LegalRepresentative> AddTutorAsync(IVaultGrain vault, string tutorVaultId) =>
        vault.AddRepresentativeAsync(Caller.Operator("op-1"), new RepresentativeRequest(tutorVaultId, RepresentationKind.Tutor, null,
            Decision: new CourtDecision("Tribunal judiciaire de Lyon", "RG 25/00042", new DateOnly(2025, 11, 3))));

    [Fact]
    public async Task A_representatives_reads_raise_no_access_event_a_professionals_do()
    {
        var (vault, vaultId, owner, social) = await OpenAsync();
        var tutor = Ids.NewVaultId();
        await AddTutorAsync(vault, tutor);
        var (collector, reference) = await ObserveAsync(vaultId);
        try
        {
            await vault.ReadAsync(Caller.Patient(tutor), new VaultRead(Capabilities: false));
            await vault.ReadAsync(social, new VaultRead(Capabilities: false));
            await collector.WaitAsync(e => e.Event.VaultId == vaultId && e.Event.Kind == VaultEventKind.AccessRecorded);
            var history = await vault.GetAccessHistoryAsync(owner, null, 200);
            string Sequence(CallerKind kind) => Assert.Single(history.Items, h => h.Event.ActorKind == kind && h.Event.Operation == "vault.read").Sequence
                .ToString(System.Globalization.CultureInfo.InvariantCulture);
            var logged = (await fixture.Grains.GetGrain<IVaultEventsGrain>(vaultId).ReadEventsAsync(owner, 0, 100)).Items;
            Assert.Contains(logged, e => e.Event.Kind == VaultEventKind.AccessRecorded && e.Event.SubjectId == Sequence(CallerKind.Professional));
            Assert.DoesNotContain(logged, e => e.Event.Kind == VaultEventKind.AccessRecorded && e.Event.SubjectId == Sequence(CallerKind.Patient));
        }
        finally
        {
            await fixture.Grains.GetGrain<IVaultEventHubGrain>(VaultEventPartitions.Of(vaultId)).UnsubscribeAsync(reference);
        }
    }

    [Fact]
    public async Task A_notice_to_a_vault_that_raised_nothing_itself_raises_NOTIFICATION_ADDED_there()
    {
        var (vault, _, _, _) = await OpenAsync();
        var first = Ids.NewVaultId();
        await AddTutorAsync(vault, first);
        // The first tutor's own vault is told when a second one is added: nothing else happens in that vault.
        var (collector, reference) = await ObserveAsync(first);
        try
        {
            await AddTutorAsync(vault, Ids.NewVaultId());
            var added = await collector.WaitAsync(e => e.Event.VaultId == first && e.Event.Kind == VaultEventKind.NotificationAdded);
            Assert.True(Guid.TryParse(added.Event.SubjectId, out _));
        }
        finally
        {
            await fixture.Grains.GetGrain<IVaultEventHubGrain>(VaultEventPartitions.Of(first)).UnsubscribeAsync(reference);
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
