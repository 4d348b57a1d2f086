using System.Diagnostics;
using System.Text.Json;
using Coffre.Adapters.Local;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;
using static Coffre.IntegrationTests.Rollout.RolloutKit;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>
/// The embedded default's composition (<see cref="LocalAdapter.AddCoffreLocal"/> + <see cref="LocalAdapter.AddCoffreFileDelivery"/>):
/// a campaign's email batch reaches the email file sink one line per email through the batch router, and the same sink
/// still takes the other email kinds (an alert), each message once, under the real dispatcher.
/// </summary>
public sealed class EmbeddedEmailBatchTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "coffre-embedded-batch-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task The_file_sink_receives_a_campaign_batch_line_by_line_and_still_takes_ordinary_messages()
    {
        var services = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddCoffreLocal(Path.Combine(_folder, "data"), new byte[32])
            .AddCoffreFileDelivery(Path.Combine(_folder, "notifications"))
            .AddSingleton(Cipher);
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IRolloutStore>();
        var content = provider.GetRequiredService<IContentStore>();
        var outbox = provider.GetRequiredService<IOutbox>();
        var channels = provider.GetServices<IDeliveryChannel>().ToList();
        Assert.Single(channels, c => c.Channel == OutboxChannel.Email && c.Kinds is null);
        Assert.Single(channels, c => c.Channel == OutboxChannel.Email && c.Kinds?.Contains(EmailBatchFiles.OutboxKind) == true);

        var people = Enumerable.Range(0, 40).Select(i => Person(90_000 + i)).Where(p => p.RepresentativeNirs.Count == 0)
            .Select(p => p with { Email = $"{Guid.NewGuid():N}@example.test" }).ToList();
        var file = WriteFile(_folder, people);
        Assert.Equal(people.Count, (await Importer(store).ImportAsync("imp-embedded", file, file + ".rejects")).Accepted);
        await store.CreateCampaignAsync(new NewCampaign("c-embedded", "embedded", null, "operator:test"), DateTimeOffset.UtcNow);
        var issued = await Issuance(store, content).IssueAsync("c-embedded");
        Assert.Equal(people.Count, issued.Emails);
        var lines = await EmailBatchLines.ReadAsync(store, content, "c-embedded");
        var alert = new OutboxMessage(Guid.NewGuid(), OutboxChannel.Email, "v-alert", "new-document", """{"n":1}""", DateTimeOffset.UtcNow);
        await outbox.EnqueueAsync([alert]);

        using var dispatcher = new OutboxDispatcher(outbox, channels,
            Options.Create(new OutboxDispatcherOptions { IdlePollInterval = TimeSpan.FromMilliseconds(50) }), NullLogger<OutboxDispatcher>.Instance);
        await dispatcher.StartAsync(CancellationToken.None);
        var sink = Path.Combine(_folder, "notifications", "email.jsonl");
        var clock = Stopwatch.StartNew();
        string[] written;
        while ((written = await ReadLinesAsync(sink)).Length < lines.Count + 1 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }
        var batch = Assert.Single(await store.ListEmailBatchesAsync("c-embedded"));
        while (batch.CompletedAt is null && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
            batch = Assert.Single(await store.ListEmailBatchesAsync("c-embedded"));
        }
        await dispatcher.StopAsync(CancellationToken.None);

        var sent = written.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(lines.Count + 1, sent.Count);
        Assert.Equal(lines.Select(l => l.Id).Append(alert.Id).Order(), sent.Select(s => s.GetProperty("id").GetGuid()).Order());
        Assert.All(sent.Where(s => s.GetProperty("id").GetGuid() != alert.Id), s =>
        {
            Assert.Equal(DeliveryCodeCipher.OutboxKind, s.GetProperty("kind").GetString());
            var vault = s.GetProperty("recipient").GetString()!;
            Assert.Equal(Cipher.DecryptCode(lines.Single(l => l.VaultId == vault).PayloadJson, vault), Cipher.DecryptCode(s.GetProperty("payload").GetRawText(), vault));
        });
        Assert.Equal((lines.Count, lines.Count, 0), (batch.SentThrough, batch.Sent, batch.Undeliverable + batch.Bounced + batch.Requeued));
        Assert.NotNull(batch.CompletedAt);
        Assert.Equal(0, (await store.GetCampaignCountsAsync("c-embedded", DateTimeOffset.UtcNow)).EmailsPending);
    }

    [Fact]
    public async Task A_transient_failure_is_requeued_as_an_ordinary_message_and_a_cut_page_resumes_at_the_cut()
    {
        var (outbox, store, content) = await IssueToEmailAsync(12, 91_000, "requeue");
        var lines = await EmailBatchLines.ReadAsync(store, content, "c-requeue");
        Assert.True(lines.Count >= 6);
        var batchMessage = Assert.Single(await outbox.ClaimAsync(10, TimeSpan.FromMinutes(1)));

        // Line 1 fails transiently; line 4 is cut by the delivery timeout (and the lines after it in the page with it).
        var sink = new FileDeliveryChannel(Path.Combine(_folder, "notifications"), OutboxChannel.Email);
        var inner = new ScriptedChannel(sink, new Dictionary<Guid, Exception>
        {
            [lines[1].Id] = new Coffre.Application.Mail.MailTransientException("SMTP 451"),
            [lines[4].Id] = new DeliveryDeferredException(DateTimeOffset.UtcNow),
        });
        var router = new Coffre.Application.Mail.EmailBatchChannel(store, content, inner, new Coffre.Application.Mail.EmailBatchOptions { PageSize = 100 }, cipher: Cipher);
        var answer = await router.DeliverBatchAsync([batchMessage]);
        Assert.IsType<DeliveryDeferredException>(answer[batchMessage.Id]);
        var batch = Assert.Single(await store.ListEmailBatchesAsync("c-requeue"));
        Assert.Equal((4, 3, 1, (DateTimeOffset?)null), (batch.SentThrough, batch.Sent, batch.Requeued, batch.CompletedAt));
        var requeued = Assert.Single(await outbox.ListForRecipientAsync(lines[1].VaultId, 10));
        Assert.Equal((lines[1].Id, DeliveryCodeCipher.OutboxKind, (DateTimeOffset?)null), (requeued.Id, requeued.Kind, requeued.DeliveredAt));
        Assert.Equal(lines.Count - 4 + 1, (await store.GetCampaignCountsAsync("c-requeue", DateTimeOffset.UtcNow)).EmailsPending);

        // The next call resumes at the cut line and finishes; the requeued message is the dispatcher's now.
        Assert.Empty(await router.DeliverBatchAsync([batchMessage]));
        batch = Assert.Single(await store.ListEmailBatchesAsync("c-requeue"));
        Assert.Equal((lines.Count, lines.Count - 1, 1), (batch.SentThrough, batch.Sent, batch.Requeued));
        Assert.NotNull(batch.CompletedAt);
        var written = (await ReadLinesAsync(sink.FilePath)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetGuid()).ToList();
        // Every line but the requeued one reached the sink; lines before the cut exactly once. Lines after the cut in the
        // same page that the inner channel had already handed over go again (at least once: at most that page).
        Assert.Equal(lines.Where((_, i) => i != 1).Select(l => l.Id).Order(), written.Distinct().Order());
        Assert.All(new[] { 0, 2, 3, 4 }, i => Assert.Single(written, id => id == lines[i].Id));
        Assert.All(written.GroupBy(id => id).Where(g => g.Count() > 1), g => Assert.True(lines.FindIndex(l => l.Id == g.Key) > 4));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task While_the_silo_is_busy_pages_leave_at_the_paced_rate_a_slot_past_the_time_budget_defers_the_rest_and_the_file_is_read_once(bool burstInCurrentSecond)
    {
        var tag = burstInCurrentSecond ? "burst" : "paced";
        var (outbox, store, content) = await IssueToEmailAsync(50, burstInCurrentSecond ? 94_000 : 92_000, tag);
        var lines = await EmailBatchLines.ReadAsync(store, content, "c-" + tag);
        Assert.True(lines.Count >= 41);
        var batchMessage = Assert.Single(await outbox.ClaimAsync(10, TimeSpan.FromMinutes(1)));
        var sink = new FileDeliveryChannel(Path.Combine(_folder, "notifications"), OutboxChannel.Email);

        // 25 interactive requests in the last whole second, or (a burst after a quiet spell) so far in the current one:
        // busy for a threshold of 20 either way.
        var loadClock = new SkippingClock();
        var load = new InteractiveLoad(loadClock);
        for (var i = 0; i < 25; i++)
        {
            load.Record();
        }
        if (!burstInCurrentSecond)
        {
            loadClock.Now += TimeSpan.FromSeconds(1);
        }
        Assert.Equal(burstInCurrentSecond ? 0 : 25, load.LastSecond);

        // 100 emails a second in pages of 10: each page after the first waits 0.1 s for its slot; a call may route for
        // 0.25 s, so the fourth page's slot (0.3 s) is past its budget: three pages, then "deferred".
        var clock = new SkippingClock();
        var reads = new CountedReads(content);
        var paced = new Coffre.Application.Mail.EmailBatchChannel(store, reads, sink,
            new Coffre.Application.Mail.EmailBatchOptions { PageSize = 10, EmailsPerSecondWhileBusy = 100, BusyRequestsPerSecond = 20, TimeBudget = TimeSpan.FromSeconds(0.25) },
            time: clock, load: load, cipher: Cipher);
        var answer = await paced.DeliverBatchAsync([batchMessage]);
        Assert.IsType<DeliveryDeferredException>(answer[batchMessage.Id]);
        Assert.Equal([TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.1)], clock.Waits);
        Assert.Equal(30, Assert.Single(await store.ListEmailBatchesAsync("c-" + tag)).SentThrough);

        // Once the requests stop, the next call resumes at line 30 and sends the rest at once, without waiting, from the
        // file it verified the first time (read from the content store once).
        loadClock.Now += TimeSpan.FromSeconds(2);
        clock.Waits.Clear();
        Assert.Empty(await paced.DeliverBatchAsync([batchMessage]));
        Assert.Empty(clock.Waits);
        Assert.Equal(1, reads.Count);
        var batch = Assert.Single(await store.ListEmailBatchesAsync("c-" + tag));
        Assert.Equal((lines.Count, lines.Count), (batch.SentThrough, batch.Sent));
        var written = (await ReadLinesAsync(sink.FilePath)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(lines.Select(l => l.Id).Order(), written.Order());
    }

    [Fact]
    public async Task Batches_after_the_one_that_spent_the_time_budget_are_deferred_without_reading_their_files()
    {
        var (outbox, store, content) = await IssueToEmailAsync(40, 93_000, "budget", chunkSize: 8);
        var messages = await outbox.ClaimAsync(100, TimeSpan.FromMinutes(1));
        Assert.True(messages.Count >= 4);
        var sink = new FileDeliveryChannel(Path.Combine(_folder, "notifications"), OutboxChannel.Email);
        var reads = new CountedReads(content);

        // The clock moves a second at each reading; the budget (2.5 s) ends while the first batch completes (one page):
        // the second batch stops before reading its file, and the others are deferred without being looked at.
        var router = new Coffre.Application.Mail.EmailBatchChannel(store, reads, sink,
            new Coffre.Application.Mail.EmailBatchOptions { PageSize = 100, TimeBudget = TimeSpan.FromSeconds(2.5) }, time: new SteppingClock(), cipher: Cipher);
        var answer = await router.DeliverBatchAsync(messages);
        Assert.Equal(messages.Skip(1).Select(m => m.Id).Order(), answer.Keys.Order());
        Assert.All(answer.Values, e => Assert.IsType<DeliveryDeferredException>(e));
        Assert.Equal(1, reads.Count);
        var batches = await store.ListEmailBatchesAsync("c-budget");
        Assert.Single(batches, b => b.CompletedAt is not null);
        Assert.All(batches.Where(b => b.CompletedAt is null), b => Assert.Equal(0, b.SentThrough));
    }

    /// <summary>
    /// The in-memory rollout store and outbox and a local content store, with <paramref name="count"/> synthetic people
    /// from <paramref name="firstPerson"/> (adults only, each with an email) imported and issued a campaign
    /// <c>c-{tag}</c>: its codes leave as email batches.
    /// </summary>
    private async Task<(InMemoryOutbox Outbox, InMemoryRolloutStore Store, LocalDiskContentStore Content)> IssueToEmailAsync(
        int count, int firstPerson, string tag, int chunkSize = 250_000)
    {
        var outbox = new InMemoryOutbox();
        var store = new InMemoryRolloutStore(outbox);
        var content = new LocalDiskContentStore(Path.Combine(_folder, "content"));
        var people = Enumerable.Range(0, count).Select(i => Person(firstPerson + i)).Where(p => p.RepresentativeNirs.Count == 0)
            .Select(p => p with { Email = $"{Guid.NewGuid():N}@example.test" }).ToList();
        Directory.CreateDirectory(_folder);
        var file = WriteFile(_folder, people);
        await Importer(store).ImportAsync("imp-" + tag, file, file + ".rejects");
        await store.CreateCampaignAsync(new NewCampaign("c-" + tag, tag, null, "operator:test"), DateTimeOffset.UtcNow);
        await Issuance(store, content, chunkSize: chunkSize).IssueAsync("c-" + tag);
        return (outbox, store, content);
    }

    /// <summary>Counts the reads of a content store.</summary>
    private sealed class CountedReads(IContentStore inner) : IContentStore
    {
        private int _count;

        public int Count => _count;

        public Task<StoredContent> WriteAsync(ContentKey key, Stream content, string? expectedSha256 = null, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(key, content, expectedSha256, cancellationToken);

        public Task<ContentReader?> OpenReadAsync(ContentKey key, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            return inner.OpenReadAsync(key, cancellationToken);
        }

        public Task<bool> DeleteAsync(ContentKey key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public Task CheckReadyAsync(CancellationToken cancellationToken = default) => inner.CheckReadyAsync(cancellationToken);
    }

    /// <summary>Answers the scripted failures for their messages (each once) and hands the others to the sink.</summary>
    private sealed class ScriptedChannel(IDeliveryChannel sink, Dictionary<Guid, Exception> failures) : IDeliveryChannel
    {
        public OutboxChannel Channel => sink.Channel;

        public Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default) => DeliveryChannels.DeliverOneAsync(this, message, cancellationToken);

        public async Task<IReadOnlyDictionary<Guid, Exception>> DeliverBatchAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
        {
            var failed = messages.Where(m => failures.ContainsKey(m.Id)).ToDictionary(m => m.Id, m => failures[m.Id]);
            foreach (var id in failed.Keys)
            {
                failures.Remove(id);
            }
            await sink.DeliverBatchAsync([.. messages.Where(m => !failed.ContainsKey(m.Id))], cancellationToken);
            return failed;
        }
    }

    private static async Task<string[]> ReadLinesAsync(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file);
        return (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
