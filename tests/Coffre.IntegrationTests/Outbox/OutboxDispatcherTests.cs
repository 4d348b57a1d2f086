using System.Diagnostics;
using System.Text.Json;
using Coffre.Adapters.Local;
using Coffre.Adapters.Postgres;
using Coffre.Adapters.Smtp;
using Coffre.Application.Mail;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit;

namespace Coffre.IntegrationTests.Outbox;

/// <summary>The dispatcher delivering through the file sink, on the PostgreSQL outbox and the in-memory one.</summary>
public sealed class OutboxDispatcherTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "coffre-outbox-" + Guid.NewGuid().ToString("N"));
    private NpgsqlDataSource? _dataSource;

    public async Task InitializeAsync() => _dataSource = NpgsqlDataSource.Create(await TestServices.NewMigratedDatabaseAsync());

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private IOutbox NewOutbox(string kind) => kind == "postgres" ? new PostgresOutbox(_dataSource!) : new InMemoryOutbox();

    private static OutboxDispatcher Dispatcher(IOutbox outbox, IEnumerable<IDeliveryChannel> channels) =>
        new(outbox, channels, Options.Create(new OutboxDispatcherOptions
        {
            IdlePollInterval = TimeSpan.FromMilliseconds(50),
            InitialRetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromMilliseconds(400),
            DeliveryTimeout = TimeSpan.FromSeconds(10),
            Lease = TimeSpan.FromSeconds(30),
        }), NullLogger<OutboxDispatcher>.Instance);

    private static OutboxMessage Message(string recipient, int n, OutboxChannel channel = OutboxChannel.Email) =>
        new(Guid.NewGuid(), channel, recipient, "new-document", $$"""
            {
              "n": {{n}},
              "document": "d-{{n}}"
            }
            """, DateTimeOffset.UtcNow.AddSeconds(n));

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
            await Task.Delay(20);
        }
    }

    private static async Task<string[]> LinesAsync(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file);
        var text = await reader.ReadToEndAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("memory")]
    public async Task Enqueued_messages_reach_the_file_sink_and_are_marked_delivered(string kind)
    {
        var outbox = NewOutbox(kind);
        var recipient = "v-" + Guid.NewGuid().ToString("N")[..12];
        var messages = Enumerable.Range(1, 3).Select(i => Message(recipient, i)).ToList();
        var email = new FileDeliveryChannel(_folder, OutboxChannel.Email);
        await outbox.EnqueueAsync(messages);

        using var dispatcher = Dispatcher(outbox, [email, new FileDeliveryChannel(_folder, OutboxChannel.Sms)]);
        await dispatcher.StartAsync(CancellationToken.None);
        var lines = await EventuallyAsync(() => LinesAsync(email.FilePath), l => l.Length >= 3, "3 lines in email.jsonl");
        var listed = await EventuallyAsync(() => outbox.ListForRecipientAsync(recipient, 10), l => l.All(m => m.DeliveredAt is not null), "3 messages marked delivered");
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(Path.Combine(Path.GetFullPath(_folder), "email.jsonl"), email.FilePath);
        Assert.Equal(3, lines.Length);
        Assert.Equal(3, listed.Count);
        var written = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(messages.Select(m => m.Id).Order(), written.Select(w => w.GetProperty("id").GetGuid()).Order());
        Assert.All(written, w =>
        {
            Assert.Equal("Email", w.GetProperty("channel").GetString());
            Assert.Equal(recipient, w.GetProperty("recipient").GetString());
            Assert.Equal("new-document", w.GetProperty("kind").GetString());
            Assert.Equal(JsonValueKind.Object, w.GetProperty("payload").ValueKind);
        });
        Assert.Empty(await outbox.ClaimAsync(10, TimeSpan.FromSeconds(1)));
        Assert.False(File.Exists(Path.Combine(_folder, "sms.jsonl")));
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_with_backoff_until_it_succeeds()
    {
        var outbox = NewOutbox("postgres");
        var recipient = "v-" + Guid.NewGuid().ToString("N")[..12];
        var messages = Enumerable.Range(1, 3).Select(i => Message(recipient, i, OutboxChannel.Sms)).ToList();
        await outbox.EnqueueAsync(messages);
        var sms = new FailingOnceChannel(new FileDeliveryChannel(_folder, OutboxChannel.Sms));

        using var dispatcher = Dispatcher(outbox, [sms]);
        await dispatcher.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => LinesAsync(sms.Inner.FilePath), l => l.Length >= 3, "3 lines in sms.jsonl");
        var listed = await EventuallyAsync(() => outbox.ListForRecipientAsync(recipient, 10), l => l.All(m => m.DeliveredAt is not null), "3 messages marked delivered");
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.All(listed, m => Assert.Equal(1, m.Attempts));
        Assert.Equal(3, (await LinesAsync(sms.Inner.FilePath)).Length);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("memory")]
    public async Task An_email_with_nobody_to_send_to_is_settled_as_undeliverable_and_never_claimed_again(string kind)
    {
        var outbox = NewOutbox(kind);
        var recipient = RegistryVaultIds.For(new byte[32].Select((_, i) => (byte)(i + Random.Shared.Next(256))).ToArray());
        var cipher = new DeliveryCodeCipher(1, new byte[32]);
        var message = new OutboxMessage(Guid.NewGuid(), OutboxChannel.Email, recipient, DeliveryCodeCipher.OutboxKind,
            cipher.Payload("c-nobody", recipient, ActivationCodes.Generate(), DateTimeOffset.UtcNow.AddDays(42)), DateTimeOffset.UtcNow);
        await outbox.EnqueueAsync([message]);
        // The real channel and SMTP transport (the test server); the registry does not know the recipient.
        var smtp = TestServices.Smtp.Split(':');
        var transport = new SmtpMailTransport(Options.Create(new SmtpOptions
        {
            Host = smtp[0], Port = int.Parse(smtp[1], System.Globalization.CultureInfo.InvariantCulture), Security = SmtpSecurity.None,
            SenderAddress = "ne-pas-repondre@coffre.example.fr", ActivationUrl = "https://coffre.example.fr/connect/activate",
        }), NullLogger<SmtpMailTransport>.Instance);
        var channel = new EmailDeliveryChannel(new InMemoryRolloutStore(new InMemoryOutbox()), cipher, transport,
            new ActivationEmail(new ActivationEmailOptions { ActivationUrl = new Uri("https://coffre.example.fr/connect/activate") }));

        using var dispatcher = Dispatcher(outbox, [channel]);
        await dispatcher.StartAsync(CancellationToken.None);
        var listed = await EventuallyAsync(() => outbox.ListForRecipientAsync(recipient, 10), l => l.Single().DeliveredAt is not null, "the message settled");
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(1, listed.Single().Attempts);
        Assert.Empty(await outbox.ClaimAsync(10, TimeSpan.FromSeconds(1)));
        var (outcome, error) = outbox switch
        {
            PostgresOutbox p => (await p.OutcomeAsync(message.Id), await p.LastErrorAsync(message.Id)),
            InMemoryOutbox m => (await m.OutcomeAsync(message.Id), await m.LastErrorAsync(message.Id)),
            _ => throw new InvalidOperationException(),
        };
        Assert.Equal(DeliveryOutcome.Undeliverable, outcome);
        Assert.Equal("the recipient is not in the registry", error);
    }

    [Fact]
    public async Task A_message_for_a_channel_without_a_sink_is_recorded_as_failed_not_lost()
    {
        var outbox = NewOutbox("postgres");
        var recipient = "v-" + Guid.NewGuid().ToString("N")[..12];
        await outbox.EnqueueAsync([Message(recipient, 1, OutboxChannel.Post)]);

        using var dispatcher = Dispatcher(outbox, [new FileDeliveryChannel(_folder, OutboxChannel.Email)]);
        await dispatcher.StartAsync(CancellationToken.None);
        var listed = await EventuallyAsync(() => outbox.ListForRecipientAsync(recipient, 10), l => l.Single().Attempts >= 1, "a failed attempt");
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Null(listed.Single().DeliveredAt);
        Assert.StartsWith("no delivery channel", await ((PostgresOutbox)outbox).LastErrorAsync(listed.Single().Id));
    }

    [Fact]
    public async Task The_file_sink_writes_one_line_per_message_and_refuses_other_channels()
    {
        var email = new FileDeliveryChannel(_folder, OutboxChannel.Email);
        var message = Message("v-1", 1);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => email.DeliverAsync(message)));
        var lines = await LinesAsync(email.FilePath);
        Assert.Equal(20, lines.Length);
        Assert.All(lines, l => Assert.Equal(1, JsonDocument.Parse(l).RootElement.GetProperty("payload").GetProperty("n").GetInt32()));
        await Assert.ThrowsAsync<ArgumentException>(() => email.DeliverAsync(message with { Channel = OutboxChannel.Sms }));
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("memory")]
    public async Task A_claim_leaves_as_one_batch_per_channel_one_append_and_one_flush_each(string kind)
    {
        var outbox = NewOutbox(kind);
        var recipient = "v-" + Guid.NewGuid().ToString("N")[..12];
        await outbox.EnqueueAsync([.. Enumerable.Range(1, 60).Select(i => Message(recipient, i)), .. Enumerable.Range(61, 20).Select(i => Message(recipient, i, OutboxChannel.Sms))]);
        var email = new CountingChannel(new FileDeliveryChannel(_folder, OutboxChannel.Email));
        var sms = new CountingChannel(new FileDeliveryChannel(_folder, OutboxChannel.Sms));

        using var dispatcher = Dispatcher(outbox, [email, sms]);
        await dispatcher.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => outbox.ListForRecipientAsync(recipient, 100), l => l.Count == 80 && l.All(m => m.DeliveredAt is not null), "80 messages marked delivered");
        await dispatcher.StopAsync(CancellationToken.None);

        // The default claim (100) holds all 80: each channel got its share in one call, written as one append.
        Assert.Equal((1, 60), (email.Batches, email.Messages));
        Assert.Equal((1, 20), (sms.Batches, sms.Messages));
        Assert.Equal(60, (await LinesAsync(email.Inner.FilePath)).Length);
        Assert.Equal(20, (await LinesAsync(sms.Inner.FilePath)).Length);
    }

    /// <summary>Counts the batches a channel is handed, and delivers them through the file sink.</summary>
    private sealed class CountingChannel(FileDeliveryChannel inner) : IDeliveryChannel
    {
        private int _batches;
        private int _messages;

        public FileDeliveryChannel Inner => inner;

        public int Batches => _batches;

        public int Messages => _messages;

        public OutboxChannel Channel => inner.Channel;

        public Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the dispatcher hands batches over");

        public Task<IReadOnlyDictionary<Guid, Exception>> DeliverBatchAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _messages, messages.Count);
            return inner.DeliverBatchAsync(messages, cancellationToken);
        }
    }

    private sealed class FailingOnceChannel(FileDeliveryChannel inner) : IDeliveryChannel
    {
        private readonly HashSet<Guid> _failed = [];

        public FileDeliveryChannel Inner => inner;

        public OutboxChannel Channel => inner.Channel;

        public Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default)
        {
            lock (_failed)
            {
                if (_failed.Add(message.Id))
                {
                    throw new IOException("gateway unavailable");
                }
            }
            return inner.DeliverAsync(message, cancellationToken);
        }
    }
}
