using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Coffre.Adapters.Postgres;
using Coffre.Adapters.Sms;
using Coffre.Adapters.Smtp;
using Coffre.Application.Alerts;
using Coffre.Application.Mail;
using Coffre.Application.Outbox;
using Coffre.Domain.Access;
using Coffre.Domain.Contact;
using Coffre.Grains.Vaults;
using Coffre.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit;

namespace Coffre.IntegrationTests.Delivery;

/// <summary>
/// Alerts beyond the app on real services: the PostgreSQL outbox and contact directory, the dispatcher, smtp4dev (it
/// refuses recipients starting with "refused") and the fake SMS provider (tools/fake-sms, COFFRE_TEST_SMS).
/// </summary>
public sealed class AlertDeliveryTests : IAsyncLifetime
{
    private NpgsqlDataSource _data = null!;
    private PostgresOutbox _outbox = null!;
    private PostgresContactDirectory _contacts = null!;
    private readonly HttpClient _sms = new() { BaseAddress = TestServices.Sms };

    public async Task InitializeAsync()
    {
        _data = NpgsqlDataSource.Create(await TestServices.NewMigratedDatabaseAsync());
        _outbox = new PostgresOutbox(_data);
        _contacts = new PostgresContactDirectory(_data);
        await _sms.PostAsJsonAsync("/control", new { failFirst = 0, refuse = new[] { "+33699999999" } });
    }

    public async Task DisposeAsync()
    {
        await _sms.PostAsJsonAsync("/control", new { failFirst = 0, delayMs = 0 });
        _sms.Dispose();
        await _data.DisposeAsync();
    }

    private static string Vault() => "v-" + Guid.NewGuid().ToString("N")[..12];

    private static string Mobile() => "+3361" + Random.Shared.Next(0, 10_000_000).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    private static SmtpMailTransport Smtp(string hostPort)
    {
        var parts = hostPort.Split(':');
        return new SmtpMailTransport(Options.Create(new SmtpOptions
        {
            Host = parts[0],
            Port = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture),
            Security = SmtpSecurity.None,
            SenderAddress = "ne-pas-repondre@coffre.example.fr",
            ActivationUrl = "https://coffre.example.fr/activate",
            Connections = 1,
            Timeout = TimeSpan.FromSeconds(5),
        }), NullLogger<SmtpMailTransport>.Instance);
    }

    private static HttpSmsProvider SmsProvider(string apiKey, int parallelism) => new(Options.Create(new SmsOptions
    {
        Url = new Uri(TestServices.Sms, "/sms").ToString(),
        ApiKey = apiKey,
        Timeout = TimeSpan.FromSeconds(5),
        Parallelism = parallelism,
    }));

    private OutboxDispatcher Dispatcher(string smtp, int maxAttempts = 12, string smsApiKey = "fake-sms-key", int smsParallelism = 4, TimeSpan? deliveryTimeout = null) =>
        new(_outbox, [new AlertEmailChannel(_contacts, _outbox, Smtp(smtp)), new AlertSmsChannel(_contacts, _outbox, SmsProvider(smsApiKey, smsParallelism))],
            Options.Create(new OutboxDispatcherOptions
            {
                IdlePollInterval = TimeSpan.FromMilliseconds(50),
                InitialRetryDelay = TimeSpan.FromMilliseconds(200),
                MaxRetryDelay = TimeSpan.FromMilliseconds(800),
                DeliveryTimeout = deliveryTimeout ?? TimeSpan.FromSeconds(10),
                Lease = TimeSpan.FromSeconds(30),
                MaxAttempts = maxAttempts,
            }), NullLogger<OutboxDispatcher>.Instance);

    private async Task<Guid> NotifyAsync(string vault, ContactPreferences preferences)
    {
        var (normalised, errors) = ContactRules.Normalise(preferences);
        Assert.Empty(errors);
        await _contacts.SetAsync(vault, normalised!, DateTimeOffset.UtcNow);
        await new PersonNotifier(_outbox, _contacts, TimeProvider.System)
            .NotifyAsync(vault, new FirstAccessNotice("10001234567", "Médecin", LegalBasis.Grant, DateTimeOffset.UtcNow));
        var alerts = await Deliveries(vault);
        return Assert.Single(alerts, m => m.Channel != OutboxChannel.InApp).Id;
    }

    private async Task<IReadOnlyList<OutboxMessage>> Deliveries(string vault) =>
        await _outbox.ListDeliveriesAsync(new DeliveryQuery(vault, null, null, null, 50));

    private async Task<OutboxMessage> One(Guid id) => Assert.Single(await _outbox.ListDeliveriesAsync(new DeliveryQuery(null, id, null, null, 1)));

    private static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"{what}: still {value}");
            }
            await Task.Delay(50);
        }
    }

    private static async Task<T> Running<T>(OutboxDispatcher dispatcher, Func<Task<T>> body)
    {
        await dispatcher.StartAsync(CancellationToken.None);
        try
        {
            return await body();
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_first_access_alert_goes_by_email_with_a_generic_text_and_no_name()
    {
        var vault = Vault();
        var address = $"alert-{Guid.NewGuid():N}@example.test";
        var id = await NotifyAsync(vault, new ContactPreferences(address, null, [AlertChannel.Email], null));
        Assert.Contains(vault, (await One(id)).Recipient, StringComparison.Ordinal);
        Assert.DoesNotContain(address, (await One(id)).PayloadJson, StringComparison.Ordinal);
        var sent = await Running(Dispatcher(TestServices.Smtp), () => Until(() => One(id), m => m.State != DeliveryState.Pending, "alert sent"));
        Assert.Equal(DeliveryState.Sent, sent.State);
        using var api = new HttpClient { BaseAddress = TestServices.SmtpApi };
        var list = await api.GetFromJsonAsync<JsonNode>("/api/messages?pageSize=5000");
        var message = (list!["results"] ?? list).AsArray().Last(m => m!["to"]!.ToString().Contains(address, StringComparison.Ordinal))!;
        var text = await api.GetStringAsync($"/api/messages/{message["id"]}/plaintext");
        Assert.Contains("A professional accessed your Coffre", text, StringComparison.Ordinal);
        Assert.DoesNotContain("10001234567", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Médecin", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bounced_email_falls_back_to_SMS_once_even_when_the_bounce_is_replayed()
    {
        var vault = Vault();
        var mobile = Mobile();
        var id = await NotifyAsync(vault, new ContactPreferences($"refused-{Guid.NewGuid():N}@example.test", mobile, [AlertChannel.Email, AlertChannel.Sms, AlertChannel.Post], null));
        var fallback = AlertNotices.FallbackId(id, OutboxChannel.Sms);
        var sms = await Running(Dispatcher(TestServices.Smtp), () => Until(() => Deliveries(vault), l => l.Any(m => m.Id == fallback && m.State == DeliveryState.Sent), "fallback SMS sent"));
        Assert.Equal(DeliveryState.Bounced, sms.Single(m => m.Id == id).State);
        var received = await _sms.GetFromJsonAsync<JsonArray>($"/messages?reference={fallback:D}");
        var one = Assert.Single(received!)!;
        Assert.Equal(mobile, one["to"]!.ToString());
        Assert.Equal("A professional accessed your Coffre for the first time. Sign in to see your access history.", one["text"]!.ToString());
        var payload = AlertPayload.Parse(sms.Single(m => m.Id == fallback).PayloadJson)!;
        Assert.Equal((id, id), (payload.Origin!.Value, payload.After!.Value));

        // A replayed bounce enqueues the same id: nothing new in the outbox, nothing sent twice.
        await _outbox.EnqueueAsync([new OutboxMessage(fallback, OutboxChannel.Sms, vault, AlertNotices.OutboxKind, payload.ToJson(), DateTimeOffset.UtcNow)]);
        Assert.Equal(3, (await Deliveries(vault)).Count); // in-app, bounced email, sent SMS
        Assert.Equal(DeliveryState.Sent, (await One(fallback)).State);
    }

    [Fact]
    public async Task An_SMS_refused_by_the_provider_falls_back_to_post()
    {
        var vault = Vault();
        var id = await NotifyAsync(vault, new ContactPreferences(null, "+33699999999", [AlertChannel.Sms, AlertChannel.Post], null));
        var post = AlertNotices.FallbackId(id, OutboxChannel.Post);
        await Running(Dispatcher(TestServices.Smtp), () => Until(() => One(id), m => m.State != DeliveryState.Pending, "SMS settled"));
        Assert.Equal(DeliveryState.Bounced, (await One(id)).State);
        Assert.Equal(OutboxChannel.Post, (await One(post)).Channel); // the post file sink / print house takes it from here
    }

    [Fact]
    public async Task A_wrong_SMS_API_key_is_retried_not_settled_as_a_bounce()
    {
        var vault = Vault();
        var id = await NotifyAsync(vault, new ContactPreferences(null, Mobile(), [AlertChannel.Sms, AlertChannel.Post], null));
        var retried = await Running(Dispatcher(TestServices.Smtp, smsApiKey: "rotated-key"), () => Until(() => One(id), m => m.Attempts >= 2 || m.State != DeliveryState.Pending, "SMS retried"));
        Assert.Equal(DeliveryState.Pending, retried.State);
        Assert.EndsWith("SMS provider 401", await _outbox.LastErrorAsync(id), StringComparison.Ordinal);
        Assert.DoesNotContain(await Deliveries(vault), m => m.Channel == OutboxChannel.Post); // no fallback: the number is not at fault
        // With the right key the same message goes out.
        var sent = await Running(Dispatcher(TestServices.Smtp), () => Until(() => One(id), m => m.State != DeliveryState.Pending, "SMS sent"));
        Assert.Equal(DeliveryState.Sent, sent.State);
    }

    [Fact]
    public async Task A_delivery_timeout_keeps_the_SMS_already_sent_as_sent()
    {
        // One at a time, 400 ms each, 1 s per channel batch: a batch of four runs out of time after two or so.
        await _sms.PostAsJsonAsync("/control", new { delayMs = 400 });
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await NotifyAsync(Vault(), new ContactPreferences(null, Mobile(), [AlertChannel.Sms], null)));
        }
        var dispatcher = Dispatcher(TestServices.Smtp, smsParallelism: 1, deliveryTimeout: TimeSpan.FromSeconds(1));
        var settled = await Running(dispatcher, () => Until(async () => await Task.WhenAll(ids.Select(One)),
            all => all.All(m => m.State != DeliveryState.Pending), "all settled"));
        Assert.All(settled, m => Assert.Equal(DeliveryState.Sent, m.State));
        // Those sent before the timeout were never counted as failed (and so never sent a second time).
        Assert.Contains(settled, m => m.Attempts == 0);
    }

    [Fact]
    public async Task An_alert_in_quiet_hours_waits_for_their_end_without_counting_an_attempt()
    {
        var vault = Vault();
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, ContactRules.TimeZone);
        var start = TimeOnly.FromDateTime(local.DateTime).AddHours(-1);
        var quiet = new QuietHours(new TimeOnly(start.Hour, 0), new TimeOnly(start.Hour, 0).AddHours(3));
        var expected = ContactRules.QuietUntil(quiet, DateTimeOffset.UtcNow);
        Assert.NotNull(expected);
        var id = await NotifyAsync(vault, new ContactPreferences(null, Mobile(), [AlertChannel.Sms], quiet));
        var deferred = await Running(Dispatcher(TestServices.Smtp), () => Until(() => One(id), m => m.DueAt > DateTimeOffset.UtcNow.AddMinutes(30), "alert deferred"));
        Assert.Equal(DeliveryState.Pending, deferred.State);
        Assert.Equal(0, deferred.Attempts);
        Assert.Equal(expected, deferred.DueAt);
        Assert.Empty((await _sms.GetFromJsonAsync<JsonArray>($"/messages?reference={id:D}"))!);
        // The in-app notification is never deferred (nor even handled by the alert channels).
        Assert.Contains(await Deliveries(vault), m => m.Channel == OutboxChannel.InApp);
    }

    [Fact]
    public async Task The_SMS_provider_answering_503_is_retried_until_it_accepts()
    {
        var vault = Vault();
        await _sms.PostAsJsonAsync("/control", new { failFirst = 2 });
        var id = await NotifyAsync(vault, new ContactPreferences(null, Mobile(), [AlertChannel.Sms], null));
        var sent = await Running(Dispatcher(TestServices.Smtp), () => Until(() => One(id), m => m.State == DeliveryState.Sent, "SMS sent after 503s"));
        Assert.Equal(2, sent.Attempts);
        Assert.Single((await _sms.GetFromJsonAsync<JsonArray>($"/messages?reference={id:D}"))!);
    }

    [Fact]
    public async Task A_message_that_keeps_failing_is_FAILED_after_MaxAttempts()
    {
        var vault = Vault();
        var id = await NotifyAsync(vault, new ContactPreferences($"x-{Guid.NewGuid():N}@example.test", null, [AlertChannel.Email], null));
        var failed = await Running(Dispatcher($"127.0.0.1:{CoffreProcess.FreePort()}", maxAttempts: 3), () => Until(() => One(id), m => m.State != DeliveryState.Pending, "given up"));
        Assert.Equal(DeliveryState.Failed, failed.State);
        Assert.Equal(3, failed.Attempts);
        Assert.StartsWith("failed for good after 3 attempts", await _outbox.LastErrorAsync(id), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retries_back_off_while_the_SMTP_server_is_down_and_deliver_once_it_is_up()
    {
        var vault = Vault();
        var address = $"late-{Guid.NewGuid():N}@example.test";
        var id = await NotifyAsync(vault, new ContactPreferences(address, null, [AlertChannel.Email], null));
        var (port, api) = (CoffreProcess.FreePort(), CoffreProcess.FreePort());
        var dispatcher = Dispatcher($"127.0.0.1:{port}");
        await dispatcher.StartAsync(CancellationToken.None);
        try
        {
            // Nothing listens: attempts grow, each one due later than the one before.
            var first = await Until(() => One(id), m => m.Attempts >= 1, "first failure");
            var third = await Until(() => One(id), m => m.Attempts >= 3, "third failure");
            Assert.Equal(DeliveryState.Pending, third.State);
            Assert.True(third.DueAt > first.DueAt, $"{third.DueAt:O} after {first.DueAt:O}");
            Assert.Contains("SMTP", await _outbox.LastErrorAsync(id), StringComparison.OrdinalIgnoreCase);

            // The server comes up on that port: the next retry goes through.
            using var smtp4dev = Smtp4Dev.Start(port, api);
            var sent = await Until(() => One(id), m => m.State == DeliveryState.Sent, "sent once the server is up");
            Assert.True(sent.Attempts >= 3);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}") };
            var list = await http.GetStringAsync("/api/messages");
            Assert.Contains(address, list, StringComparison.Ordinal);
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_silo_killed_mid_batch_loses_nothing_the_lease_brings_its_messages_back()
    {
        const int Count = 20;
        var settings = new Dictionary<string, string>
        {
            ["Coffre__Sms__Url"] = new Uri(TestServices.Sms, "/sms").ToString(),
            ["Coffre__Sms__ApiKey"] = "fake-sms-key",
            ["Coffre__Sms__Parallelism"] = "32",
            ["Coffre__Sms__Timeout"] = "00:00:20",
            ["Coffre__Outbox__IdlePollInterval"] = "00:00:00.200",
            ["Coffre__Outbox__DeliveryTimeout"] = "00:00:30",
            ["Coffre__Outbox__Lease"] = "00:00:35",
        };
        await using var cluster = await Coffre.IntegrationTests.Cluster.LocalCluster.StartAsync(silos: 1, gateway: false, settings: settings);
        await using var data = NpgsqlDataSource.Create(cluster.ConnectionString);
        var outbox = new PostgresOutbox(data);
        var contacts = new PostgresContactDirectory(data);
        var before = (await _sms.GetFromJsonAsync<JsonNode>("/stats"))!["received"]!.GetValue<int>();
        await _sms.PostAsJsonAsync("/control", new { delayMs = 60_000 });
        var ids = new List<Guid>();
        for (var i = 0; i < Count; i++)
        {
            var vault = Vault();
            await contacts.SetAsync(vault, new ContactPreferences(null, Mobile(), [AlertChannel.Sms], null), DateTimeOffset.UtcNow);
            var id = Guid.NewGuid();
            ids.Add(id);
            await outbox.EnqueueAsync([new OutboxMessage(id, OutboxChannel.Sms, vault, AlertNotices.OutboxKind, new AlertPayload("message-received").ToJson(), DateTimeOffset.UtcNow)]);
        }

        // The silo claimed them and is waiting on the (slow) provider: kill -9 now.
        await Until(async () => (await _sms.GetFromJsonAsync<JsonNode>("/stats"))!["received"]!.GetValue<int>() - before, n => n >= Count, "every message handed to the provider");
        await cluster.Silos[0].KillAsync();
        foreach (var id in ids)
        {
            var row = await outbox.ListDeliveriesAsync(new DeliveryQuery(null, id, null, null, 1));
            Assert.Equal(DeliveryState.Pending, Assert.Single(row).State);
        }

        // Another silo process comes up; after the lease the messages are claimed again and delivered (at least once).
        await _sms.PostAsJsonAsync("/control", new { delayMs = 0 });
        await cluster.StartSiloAsync(0);
        foreach (var id in ids)
        {
            await Until(async () => Assert.Single(await outbox.ListDeliveriesAsync(new DeliveryQuery(null, id, null, null, 1))).State, s => s == DeliveryState.Sent, "delivered after the crash");
            Assert.Single((await _sms.GetFromJsonAsync<JsonArray>($"/messages?reference={id:D}"))!);
        }
    }
}
