using System.Diagnostics;
using System.Text.Json.Nodes;
using Coffre.Application.Outbox;
using Xunit;

namespace Coffre.IntegrationTests.Outbox;

/// <summary>The contract every <see cref="IOutbox"/> passes: PostgreSQL and in-memory alike.</summary>
public abstract class OutboxContract : IAsyncLifetime
{
    protected abstract IOutbox Outbox { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    /// <summary>The stored last error of a message (implementation-specific, not on the interface).</summary>
    protected abstract Task<string?> LastErrorAsync(Guid id);

    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    protected static OutboxMessage Message(string recipient, int n = 0, OutboxChannel channel = OutboxChannel.InApp, string kind = "first-access") =>
        new(Guid.NewGuid(), channel, recipient, kind, $$"""{"n": {{n}}, "document": "d-{{n}}"}""", Start.AddMinutes(n));

    protected static string NewRecipient() => "v-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>One claim of everything due (each test has its own store, so nothing else is in it).</summary>
    private async Task<List<OutboxMessage>> ClaimAllAsync(TimeSpan lease, int max = 1000) => [.. await Outbox.ClaimAsync(max, lease)];

    [Fact]
    public async Task Enqueued_messages_are_claimed_once_with_their_content()
    {
        var recipient = NewRecipient();
        var messages = Enumerable.Range(1, 5).Select(i => Message(recipient, i, (OutboxChannel)(i % 4))).ToList();
        await Outbox.EnqueueAsync(messages);

        var claimed = await ClaimAllAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(messages.Select(m => m.Id).Order(), claimed.Select(m => m.Id).Order());
        foreach (var m in messages)
        {
            var c = claimed.Single(x => x.Id == m.Id);
            Assert.Equal((m.Channel, m.Recipient, m.Kind, m.CreatedAt, 0, (DateTimeOffset?)null), (c.Channel, c.Recipient, c.Kind, c.CreatedAt, c.Attempts, c.DeliveredAt));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(m.PayloadJson), JsonNode.Parse(c.PayloadJson)));
        }
        Assert.Empty(await Outbox.ClaimAsync(100, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task Enqueue_is_idempotent_on_id()
    {
        var recipient = NewRecipient();
        var message = Message(recipient, 1);
        await Outbox.EnqueueAsync([message]);
        await Outbox.EnqueueAsync([message with { Kind = "changed", PayloadJson = "{}" }, Message(recipient, 2)]);
        await Outbox.EnqueueAsync([message, message]);

        var listed = await Outbox.ListForRecipientAsync(recipient, 10);
        Assert.Equal(2, listed.Count);
        Assert.Equal("first-access", listed.Single(m => m.Id == message.Id).Kind);
        Assert.Equal(2, (await ClaimAllAsync(TimeSpan.FromMinutes(1))).Count);
    }

    [Fact]
    public async Task Enqueue_of_a_large_list_stores_each_message_once()
    {
        var recipient = NewRecipient();
        var messages = Enumerable.Range(0, 5000).Select(i => Message(recipient, i % 100, OutboxChannel.Post, "activation-code")).ToList();
        await Outbox.EnqueueAsync(messages);
        await Outbox.EnqueueAsync(messages.Take(2500).ToList());
        var claimed = await Outbox.ClaimAsync(10_000, TimeSpan.FromMinutes(1));
        Assert.Equal(5000, claimed.Select(m => m.Id).Distinct().Count());
    }

    [Fact]
    public async Task Invalid_messages_are_refused_and_nothing_of_the_list_is_stored()
    {
        var recipient = NewRecipient();
        var good = Message(recipient, 1);
        await Assert.ThrowsAsync<ArgumentException>(() => Outbox.EnqueueAsync([good, Message(recipient, 2) with { PayloadJson = "{not json" }]));
        await Assert.ThrowsAsync<ArgumentException>(() => Outbox.EnqueueAsync([good, Message(recipient, 3) with { Id = Guid.Empty }]));
        await Assert.ThrowsAsync<ArgumentException>(() => Outbox.EnqueueAsync([good, Message("", 4)]));
        Assert.Empty(await Outbox.ListForRecipientAsync(recipient, 10));
    }

    [Fact]
    public async Task A_claimed_message_is_leased_away_from_other_claimers_until_the_lease_ends()
    {
        var recipient = NewRecipient();
        var message = Message(recipient, 1);
        await Outbox.EnqueueAsync([message]);

        var lease = TimeSpan.FromMilliseconds(400);
        Assert.Single(await Outbox.ClaimAsync(10, lease));
        Assert.Empty(await Outbox.ClaimAsync(10, lease));
        var again = await PollClaimAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(message.Id, Assert.Single(again).Id);
    }

    [Fact]
    public async Task Concurrent_claimers_never_take_the_same_message()
    {
        var recipient = NewRecipient();
        var messages = Enumerable.Range(0, 300).Select(i => Message(recipient, i)).ToList();
        await Outbox.EnqueueAsync(messages);

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var mine = new List<Guid>();
            while (true)
            {
                var batch = await Outbox.ClaimAsync(7, TimeSpan.FromMinutes(5));
                if (batch.Count == 0)
                {
                    return mine;
                }
                mine.AddRange(batch.Select(m => m.Id));
            }
        }));
        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(300, all.Count);
        Assert.Equal(300, all.Distinct().Count());
    }

    [Fact]
    public async Task Delivered_messages_are_never_claimed_again()
    {
        var recipient = NewRecipient();
        var messages = Enumerable.Range(1, 3).Select(i => Message(recipient, i)).ToList();
        await Outbox.EnqueueAsync(messages);
        var lease = TimeSpan.FromMilliseconds(200);
        var claimed = await Outbox.ClaimAsync(10, lease);
        await Outbox.MarkDeliveredAsync(claimed.Where(m => m.Id != messages[1].Id).Select(m => m.Id).ToList());

        // Only the undelivered one comes back once the lease ends; the delivered ones stay delivered.
        var again = await PollClaimAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(messages[1].Id, Assert.Single(again).Id);
        await Outbox.MarkDeliveredAsync([messages[1].Id, messages[1].Id]);
        var listed = await Outbox.ListForRecipientAsync(recipient, 10);
        Assert.All(listed, m => Assert.NotNull(m.DeliveredAt));
        await Task.Delay(lease * 2);
        Assert.Empty(await Outbox.ClaimAsync(10, lease));
    }

    [Fact]
    public async Task A_failed_message_is_retried_after_its_delay_with_its_attempt_counted()
    {
        var recipient = NewRecipient();
        var message = Message(recipient, 1);
        await Outbox.EnqueueAsync([message]);
        Assert.Single(await Outbox.ClaimAsync(10, TimeSpan.FromMinutes(5)));

        var clock = Stopwatch.StartNew();
        await Outbox.MarkFailedAsync(message.Id, "smtp said no " + new string('x', 5000), TimeSpan.FromMilliseconds(500));
        Assert.Empty(await Outbox.ClaimAsync(10, TimeSpan.FromMinutes(5)));
        var again = Assert.Single(await PollClaimAsync(TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"retried after {clock.Elapsed}");
        Assert.Equal(message.Id, again.Id);
        Assert.Equal(1, again.Attempts);
        var error = await LastErrorAsync(message.Id);
        Assert.NotNull(error);
        Assert.StartsWith("smtp said no", error);
        Assert.Equal(1000, error.Length);

        await Outbox.MarkFailedAsync(message.Id, "again", TimeSpan.Zero);
        Assert.Equal(2, Assert.Single(await PollClaimAsync(TimeSpan.FromSeconds(10))).Attempts);
    }

    [Fact]
    public async Task List_for_recipient_is_newest_first_and_only_theirs()
    {
        var recipient = NewRecipient();
        var other = NewRecipient();
        var messages = new[] { 3, 1, 5, 2, 4 }.Select(i => Message(recipient, i)).ToList();
        await Outbox.EnqueueAsync([.. messages, Message(other, 9)]);

        var listed = await Outbox.ListForRecipientAsync(recipient, 3);
        Assert.Equal(messages.OrderByDescending(m => m.CreatedAt).Take(3).Select(m => m.Id), listed.Select(m => m.Id));
        Assert.Equal(5, (await Outbox.ListForRecipientAsync(recipient, 100)).Count);
        Assert.Empty(await Outbox.ListForRecipientAsync(NewRecipient(), 10));
    }

    [Fact]
    public async Task A_recipient_s_list_can_hold_one_channel_only_and_its_limit_counts_that_channel()
    {
        var recipient = NewRecipient();
        var letters = Enumerable.Range(1, 4).Select(i => Message(recipient, 10 + i, OutboxChannel.Email, "activation-code")).ToList();
        var inApp = Enumerable.Range(1, 3).Select(i => Message(recipient, i)).ToList();
        await Outbox.EnqueueAsync([.. inApp, .. letters]);

        var listed = await Outbox.ListForRecipientAsync(recipient, 3, channel: OutboxChannel.InApp);

        Assert.Equal(inApp.OrderByDescending(m => m.CreatedAt).Select(m => m.Id), listed.Select(m => m.Id));
        Assert.Equal(7, (await Outbox.ListForRecipientAsync(recipient, 100)).Count);
    }

    /// <summary>Claims until something is due, up to <paramref name="timeout"/>.</summary>
    private async Task<IReadOnlyList<OutboxMessage>> PollClaimAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var claimed = await Outbox.ClaimAsync(10, TimeSpan.FromMinutes(5));
            if (claimed.Count > 0 || clock.Elapsed > timeout)
            {
                return claimed;
            }
            await Task.Delay(25);
        }
    }
}
