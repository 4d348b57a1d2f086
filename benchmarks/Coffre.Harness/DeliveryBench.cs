using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffre.Adapters.Postgres;
using Coffre.Adapters.Smtp;
using Coffre.Application.Alerts;
using Coffre.Application.Outbox;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// Issue 12 delivery benchmark: alert emails per second through SMTP (the outbox dispatcher, the alert email channel
/// and the MailKit transport, against a local smtp4dev) and the harness process's CPU per 1 000 emails, next to a
/// same-run baseline: the same number of messages sent with raw MailKit on one connection (no outbox, no lookups).
///
///   Coffre.Harness delivery --postgres ADMIN_CS --smtp HOST:PORT [--emails N] [--out FILE.json]
///
/// A new database is created and migrated; N people get an email preference (person_contact) and N alerts are
/// enqueued before the clock starts. CPU is Process.TotalProcessorTime of this process (dispatcher, channel, Npgsql
/// client, MailKit); PostgreSQL's and smtp4dev's own CPU are not in it.
/// </summary>
public static class DeliveryBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i && i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var admin = Arg("--postgres") ?? throw new ArgumentException("--postgres is required");
        var smtp = (Arg("--smtp") ?? throw new ArgumentException("--smtp is required")).Split(':');
        var emails = int.Parse(Arg("--emails") ?? "5000", System.Globalization.CultureInfo.InvariantCulture);
        var output = Arg("--out");

        var name = "bench_delivery_" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        await using var data = NpgsqlDataSource.Create(cs);
        await new SchemaMigrator(data).MigrateAsync();
        var run = Guid.NewGuid().ToString("N")[..6];
        await using (var connection = await data.OpenConnectionAsync())
        {
            await using var people = new NpgsqlCommand(
                $"INSERT INTO person_contact (vault_id, email, channels, updated_at) SELECT 'bv-' || i, 'bench-{run}-' || i || '@example.test', '{{0}}', now() FROM generate_series(1, $1) i",
                connection)
            { Parameters = { new NpgsqlParameter<int> { TypedValue = emails } } };
            await people.ExecuteNonQueryAsync();
        }
        var smtpOptions = Options.Create(new SmtpOptions
        {
            Host = smtp[0],
            Port = int.Parse(smtp[1], System.Globalization.CultureInfo.InvariantCulture),
            Security = SmtpSecurity.None,
            SenderAddress = "ne-pas-repondre@coffre.example.fr",
            ActivationUrl = "https://coffre.example.fr/activate",
        });

        // Baseline: raw MailKit, one connection, the same generic text; run before and after the outbox phase (smtp4dev
        // slows down as it stores more messages, so the two bracket the outbox phase).
        var text = AlertNotices.Text("message-received")!;
        var process = Process.GetCurrentProcess();
        async Task<(double Seconds, double CpuMs)> RawAsync(string tag)
        {
            process.Refresh();
            var start = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            using var client = new SmtpClient();
            await client.ConnectAsync(smtpOptions.Value.Host, smtpOptions.Value.Port, SecureSocketOptions.None);
            for (var i = 1; i <= emails; i++)
            {
                var message = new MimeMessage();
                message.From.Add(new MailboxAddress("Coffre", smtpOptions.Value.SenderAddress));
                message.To.Add(MailboxAddress.Parse($"raw-{tag}-{run}-{i}@example.test"));
                message.Subject = text.Subject;
                message.Body = new TextPart("plain") { Text = text.Body };
                await client.SendAsync(message);
            }
            await client.DisconnectAsync(true);
            var seconds = watch.Elapsed.TotalSeconds;
            process.Refresh();
            return (seconds, (process.TotalProcessorTime - start).TotalMilliseconds);
        }
        var (baselineSeconds, baselineCpu) = await RawAsync("before");
        var clock = new Stopwatch();
        TimeSpan cpu0;

        // The outbox: N alerts enqueued first, then the dispatcher drains them (default options).
        var outbox = new PostgresOutbox(data);
        var now = DateTimeOffset.UtcNow;
        var payload = new AlertPayload("message-received").ToJson();
        await outbox.EnqueueAsync([.. Enumerable.Range(1, emails).Select(i => new OutboxMessage(Guid.NewGuid(), OutboxChannel.Email, $"bv-{i}", AlertNotices.OutboxKind, payload, now))]);
        var options = new OutboxDispatcherOptions();
        var transport = new SmtpMailTransport(smtpOptions, NullLogger<SmtpMailTransport>.Instance);
        var dispatcher = new OutboxDispatcher(outbox, [new AlertEmailChannel(new PostgresContactDirectory(data), outbox, transport)],
            Options.Create(options), NullLogger<OutboxDispatcher>.Instance);
        process.Refresh();
        cpu0 = process.TotalProcessorTime;
        clock.Restart();
        await dispatcher.StartAsync(CancellationToken.None);
        long pending;
        do
        {
            await Task.Delay(200);
            await using var connection = await data.OpenConnectionAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM outbox WHERE delivered_at IS NULL", connection);
            pending = (long)(await count.ExecuteScalarAsync())!;
        }
        while (pending > 0 && clock.Elapsed < TimeSpan.FromMinutes(5));
        var outboxSeconds = clock.Elapsed.TotalSeconds;
        await dispatcher.StopAsync(CancellationToken.None);
        process.Refresh();
        var outboxCpu = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
        var (afterSeconds, afterCpu) = await RawAsync("after");
        long sent;
        await using (var connection = await data.OpenConnectionAsync())
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL AND outcome = 0", connection))
        {
            sent = (long)(await count.ExecuteScalarAsync())!;
        }

        var result = new JsonObject
        {
            ["benchmark"] = "issue12-delivery",
            ["at"] = DateTimeOffset.UtcNow.ToString("O"),
            ["machine"] = MachineFacts.Machine(),
            ["emails"] = emails,
            ["baselineRawMailKit"] = new JsonObject
            {
                ["connections"] = 1,
                ["seconds"] = Math.Round(baselineSeconds, 2),
                ["emailsPerSecond"] = Math.Round(emails / baselineSeconds, 1),
                ["cpuMsPer1000"] = Math.Round(baselineCpu / emails * 1000, 1),
            },
            ["baselineRawMailKitAfter"] = new JsonObject
            {
                ["connections"] = 1,
                ["seconds"] = Math.Round(afterSeconds, 2),
                ["emailsPerSecond"] = Math.Round(emails / afterSeconds, 1),
                ["cpuMsPer1000"] = Math.Round(afterCpu / emails * 1000, 1),
            },
            ["outboxDispatcher"] = new JsonObject
            {
                ["batchSize"] = options.BatchSize,
                ["maxParallelDeliveries"] = options.MaxParallelDeliveries,
                ["smtpConnections"] = smtpOptions.Value.Connections,
                ["sent"] = sent,
                ["seconds"] = Math.Round(outboxSeconds, 2),
                ["emailsPerSecond"] = Math.Round(sent / outboxSeconds, 1),
                ["cpuMsPer1000"] = Math.Round(outboxCpu / Math.Max(1, sent) * 1000, 1),
                ["pollIntervalNote"] = "seconds include up to 200 ms of the harness's completion poll",
            },
        };
        var meanSeconds = (baselineSeconds + afterSeconds) / 2;
        var meanCpu = (baselineCpu + afterCpu) / 2;
        result["ratioRateToBaselineMean"] = Math.Round(sent / outboxSeconds / (emails / meanSeconds), 2);
        result["ratioCpuToBaselineMean"] = Math.Round(outboxCpu / Math.Max(1, sent) / (meanCpu / emails), 2);
        var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        Console.WriteLine(json);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, json);
        }
        await using (var connection = new NpgsqlConnection(admin))
        {
            NpgsqlConnection.ClearAllPools();
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        return sent == emails ? 0 : 1;
    }
}
