using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Coffre.Adapters.Postgres;
using Coffre.Adapters.Smtp;
using Coffre.Application.Mail;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Infrastructure;
using Coffre.IntegrationTests.Rollout;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// The email batch router (<see cref="EmailBatchChannel"/>) around the real email channel and SMTP transport, against
/// PostgreSQL, Azurite and the local SMTP server (smtp4dev): a campaign's batch leaves page by page and a budget that
/// stops mid-file resumes at <c>sent_through</c> without resending; a re-issued person's stale line is never sent; a
/// tampered batch file is never sent at all. (The silo's dispatcher, bounces and bounce → post: CampaignEmailOverSmtpTests.)
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class EmailBatchRouterOverSmtpTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Campaign = "e2e-batch";
    private const int Size = 30;
    private readonly string _run = Guid.NewGuid().ToString("N")[..10];
    private readonly string _directory = E2e.TempDirectory("batch");
    private RolloutDatabase _db = null!;
    private readonly List<OutboxMessage> _claimed = [];
    private readonly HttpClient _api = new() { BaseAddress = TestServices.SmtpApi };

    public async Task InitializeAsync()
    {
        var container = E2e.NewContainerName();
        await new Azure.Storage.Blobs.BlobServiceClient(TestServices.Blob).GetBlobContainerClient(container).CreateIfNotExistsAsync();
        _db = new RolloutDatabase(await TestServices.NewMigratedDatabaseAsync(), container);
        var file = E2e.WritePopulation(_directory, Size);
        Assert.Equal(Size, (await E2e.Importer(_db.Store).ImportAsync(Campaign, file, file + ".rejects")).Accepted);
        // Addresses of this run only (the SMTP server is shared): one per person who has one. Adults only, so that each
        // line goes to its own vault's address (a minor's goes to a representative's: MinorCodesEndToEndTests).
        await _db.ExecuteAsync("UPDATE registry_person SET email = 'p-' || lower(vault_id) || '-' || $1 || '@example.test' WHERE email IS NOT NULL", _run);
        var minors = await _db.ExecuteAsync("UPDATE registry_person SET status = 1 WHERE birth_date > current_date - interval '18 years'");
        await _db.Store.CreateCampaignAsync(new NewCampaign(Campaign, "batch router", null, "operator:e2e"), DateTimeOffset.UtcNow);
        var issued = await E2e.Issuance(_db.Store, _db.Content).IssueAsync(Campaign);
        Assert.Equal(Size - minors, issued.Issued);
        Assert.True(issued.Emails >= 8, $"{issued.Emails} emails");
        output.WriteLine($"issued {issued.Issued}: {issued.Emails} emails, {issued.Letters} letters");
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _db.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_batch_leaves_page_by_page_resumes_where_it_stopped_and_never_sends_a_stale_line()
    {
        var batch = Assert.Single(await _db.Store.ListEmailBatchesAsync(Campaign));
        var lines = await EmailBatchLines.ReadAsync(_db.Store, _db.Content, Campaign);
        Assert.Equal(batch.Emails, lines.Count);
        Assert.Equal(batch.Emails, (await _db.Store.GetCampaignCountsAsync(Campaign, DateTimeOffset.UtcNow)).EmailsPending);

        // A lost code, re-issued by email in the same campaign: a new line in a new batch; the first line is stale.
        var stale = lines[1];
        var staleNir = await _db.ScalarAsync<byte[]>("SELECT nir_hash FROM registry_person WHERE vault_id = $1", stale.VaultId);
        var reissued = await E2e.Issuance(_db.Store, _db.Content).ReissueAsync(Campaign, staleNir);
        Assert.Equal((1, true, CodeChannel.Email), (reissued.Revoked, reissued.Issued, reissued.Channel));
        Assert.NotEqual(batch.BatchNo, reissued.BatchNo);

        // A budget that runs out after two pages of three lines (a clock that moves one second per reading).
        var message = await BatchMessageAsync(batch.BatchNo);
        var paused = Router(new EmailBatchOptions { PageSize = 3, TimeBudget = TimeSpan.FromSeconds(2.5) }, new SteppingClock());
        var answer = await paused.DeliverBatchAsync([message]);
        Assert.IsType<DeliveryDeferredException>(answer[message.Id]);
        var after = (await _db.Store.GetEmailBatchAsync(Campaign, batch.BatchNo))!;
        Assert.Equal((6, 5, 0, 1, 0, (DateTimeOffset?)null), (after.SentThrough, after.Sent, after.Bounced, after.Undeliverable, after.Requeued, after.CompletedAt));
        Assert.Equal(batch.Emails - 6, (await _db.Store.GetCampaignCountsAsync(Campaign, DateTimeOffset.UtcNow)).EmailsPending - 1);   // + the re-issued line
        var received = await ReceivedAsync();
        Assert.Equal(5, received.Count);
        Assert.DoesNotContain(Address(stale.VaultId), received.Keys);

        // The next call resumes at sent_through and finishes the file: every person once, the stale line never.
        Assert.Empty(await Router(new EmailBatchOptions { PageSize = 3 }).DeliverBatchAsync([message]));
        var done = (await _db.Store.GetEmailBatchAsync(Campaign, batch.BatchNo))!;
        Assert.Equal((batch.Emails, batch.Emails - 1, 1), (done.SentThrough, done.Sent, done.Undeliverable));
        Assert.NotNull(done.CompletedAt);
        received = await ReceivedAsync(batch.Emails - 1);
        Assert.All(received.Values, count => Assert.Equal(1, count));
        Assert.DoesNotContain(Address(stale.VaultId), received.Keys);
        // Delivered again (a replayed batch message): the batch is complete, nothing is sent twice.
        Assert.Empty(await Router(new EmailBatchOptions()).DeliverBatchAsync([message]));

        // The re-issued person's batch carries the code they hold now.
        var second = await BatchMessageAsync(reissued.BatchNo!.Value);
        Assert.Empty(await Router(new EmailBatchOptions()).DeliverBatchAsync([second]));
        var text = await CampaignEmailOverSmtpTests.PlainTextOfAsync(_api, Address(stale.VaultId));
        var code = CampaignEmailOverSmtpTests.CodeIn(text);
        var valid = (await _db.Store.FindValidCodeAsync(staleNir))!;
        Assert.True(E2e.Verifier.Verify(code, valid.KeyId, valid.CodeHash));
        Assert.Equal(0, (await _db.Store.GetCampaignCountsAsync(Campaign, DateTimeOffset.UtcNow)).EmailsPending);
    }

    [Fact]
    public async Task A_tampered_batch_file_is_never_sent()
    {
        var batch = Assert.Single(await _db.Store.ListEmailBatchesAsync(Campaign));
        // Someone rewrites the file in the content store: one record's recipient changed (the vault id is ASCII in it).
        var lines = await EmailBatchLines.ReadAsync(_db.Store, _db.Content, Campaign);
        using var original = new MemoryStream();
        await using (var reader = (await _db.Content.OpenReadAsync(new ContentKey(batch.ContentKey)))!)
        {
            await reader.Stream.CopyToAsync(original);
        }
        var tampered = original.ToArray();
        var at = tampered.AsSpan().IndexOf(Encoding.ASCII.GetBytes(lines[0].VaultId));
        Assert.True(at > 0);
        Encoding.ASCII.GetBytes(lines[1].VaultId).CopyTo(tampered, at);
        using (var file = new MemoryStream(tampered))
        {
            await _db.Content.WriteAsync(new ContentKey(batch.ContentKey), file);
        }

        var message = await BatchMessageAsync(batch.BatchNo);
        var answer = await Router(new EmailBatchOptions()).DeliverBatchAsync([message]);
        Assert.IsType<RolloutException>(answer[message.Id]);
        Assert.Contains("is not the committed file", answer[message.Id].Message, StringComparison.Ordinal);
        Assert.Equal(0, (await _db.Store.GetEmailBatchAsync(Campaign, batch.BatchNo))!.SentThrough);
        Assert.Empty(await ReceivedAsync());
    }

    private EmailBatchChannel Router(EmailBatchOptions options, TimeProvider? clock = null)
    {
        var smtp = TestServices.Smtp.Split(':');
        var transport = new SmtpMailTransport(Options.Create(new SmtpOptions
        {
            Host = smtp[0],
            Port = int.Parse(smtp[1], System.Globalization.CultureInfo.InvariantCulture),
            Security = SmtpSecurity.None,
            SenderAddress = "ne-pas-repondre@coffre.example.fr",
            ActivationUrl = "https://coffre.example.fr/connect/activate",
        }), NullLogger<SmtpMailTransport>.Instance);
        var inner = new EmailDeliveryChannel(_db.Store, E2e.Cipher, transport,
            new ActivationEmail(new ActivationEmailOptions { ActivationUrl = new Uri("https://coffre.example.fr/connect/activate") }));
        return new EmailBatchChannel(_db.Store, _db.Content, inner, options, time: clock, cipher: E2e.Cipher);
    }

    /// <summary>The batch's one outbox message, as the dispatcher claims it.</summary>
    private async Task<OutboxMessage> BatchMessageAsync(int batchNo)
    {
        // Claimed (leased) once, as a dispatcher would: kept for the later batches of the test.
        _claimed.AddRange(await new PostgresOutbox(_db.Data).ClaimAsync(100, TimeSpan.FromMinutes(5)));
        var message = Assert.Single(_claimed, m => m.Id == EmailBatchFiles.MessageId(Campaign, batchNo));
        Assert.Equal((EmailBatchFiles.OutboxKind, Campaign), (message.Kind, message.Recipient));
        return message;
    }

    private string Address(string vaultId) => $"p-{vaultId.ToLowerInvariant()}-{_run}@example.test";

    /// <summary>How many messages each address of this run received (waits until at least <paramref name="atLeast"/> addresses have one).</summary>
    private async Task<Dictionary<string, int>> ReceivedAsync(int atLeast = 0)
    {
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        await CampaignEmailOverSmtpTests.UntilAsync(async () =>
        {
            counts.Clear();
            var page = await _api.GetFromJsonAsync<JsonObject>("api/messages?pageSize=100000");
            foreach (var to in page!["results"]!.AsArray().SelectMany(m => m!["to"]!.AsArray()).Select(t => t!.GetValue<string>()))
            {
                if (to.EndsWith($"-{_run}@example.test", StringComparison.OrdinalIgnoreCase))
                {
                    counts[to] = counts.GetValueOrDefault(to) + 1;
                }
            }
            return counts.Count >= atLeast;
        }, $"messages to {atLeast} addresses");
        return counts;
    }
}
