using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Coffre.Adapters.Postgres;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Cluster;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// Campaign emails leave for real: one <c>coffre silo</c> process configured with <c>Coffre:Smtp</c> (its own outbox
/// dispatcher, the SMTP adapter and the email batch router) sends a campaign's email batches to the local SMTP server test.sh starts
/// (smtp4dev, which refuses recipients starting with "refused"). A person reads their message from the server's
/// HTTP API and activates with the code it carries; a refused recipient's email code is revoked, and their new code is
/// in the next print batch (the <c>campaign post-bounces</c> verb) and activates; a refused recipient without a postal
/// address stays counted as unreachable.
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class CampaignEmailOverSmtpTests(ITestOutputHelper output)
{
    private const string Campaign = "e2e-smtp";
    private const int Size = 40;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task An_email_reaches_its_person_over_SMTP_and_activates_and_a_bounce_goes_out_by_post_in_the_next_print_batch()
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var settings = E2e.SiloSettings();
        var smtp = TestServices.Smtp.Split(':');
        settings["Coffre__Smtp__Host"] = smtp[0];
        settings["Coffre__Smtp__Port"] = smtp[1];
        settings["Coffre__Smtp__Security"] = "None";
        settings["Coffre__Smtp__SenderAddress"] = "ne-pas-repondre@coffre.example.fr";
        settings["Coffre__Smtp__ActivationUrl"] = "https://coffre.example.fr/connect/activate";
        settings["Coffre__Outbox__IdlePollInterval"] = "00:00:00.200";
        await using var cluster = await LocalCluster.StartAsync(silos: 1, gateway: false, settings: settings);
        await using var db = new RolloutDatabase(cluster.ConnectionString, cluster.BlobContainer);
        using var http = new RawGraphQL(cluster.Silos[0].BaseAddress);
        using var api = new HttpClient { BaseAddress = TestServices.SmtpApi };
        var directory = E2e.TempDirectory("smtp");
        try
        {
            var population = new Population(Size);
            var file = E2e.WritePopulation(directory, Size);
            Assert.Equal(Size, (await E2e.Importer(db.Store).ImportAsync(Campaign, file, file + ".rejects")).Accepted);

            // Three adults reached by email, at addresses of this run: one the server takes, two it refuses (one of
            // them without a postal address).
            // Adults who are nobody's representative: a minor's email goes to their representative's address.
            var parents = population.People.SelectMany(p => p.RepresentativeNirs).ToHashSet(StringComparer.Ordinal);
            var adults = population.TakeAdults(Size / 2).Where(i => population.People[i].Email is not null && !parents.Contains(population.People[i].Nir))
                .Take(3).ToArray();
            Assert.Equal(3, adults.Length);
            var (reached, bounced, unreachable) = (population.People[adults[0]], population.People[adults[1]], population.People[adults[2]]);
            var reachedAddress = $"ok-{run}@example.test";
            await SetEmailAsync(db, reached, reachedAddress);
            await SetEmailAsync(db, bounced, $"refused-{run}@example.test");
            await SetEmailAsync(db, unreachable, $"refused-{run}-2@example.test");
            Assert.Equal(1, await db.ExecuteAsync(
                "UPDATE registry_person SET address_line1 = NULL, address_line2 = NULL, postal_code = NULL, city = NULL WHERE nir_hash = $1",
                E2e.NirHash(unreachable.Nir)));

            await db.Store.CreateCampaignAsync(new NewCampaign(Campaign, "SMTP end to end", null, "operator:e2e"), DateTimeOffset.UtcNow);
            var issued = await E2e.Issuance(db.Store, db.Content).IssueAsync(Campaign);
            Assert.Equal(Size, issued.Issued);
            output.WriteLine($"issued {issued.Issued}: {issued.Emails} emails, {issued.Letters} letters");

            // The silo's dispatcher hands each email batch to the router, which sends every line; the two refused ones are
            // recorded as bounces, and each batch ends completed with its batch message delivered.
            var text = await PlainTextOfAsync(api, reachedAddress);
            await UntilAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM email_bounce WHERE campaign_id = $1", Campaign) == 2, "two bounces recorded");
            await UntilAsync(async () => await db.ScalarAsync<long>(
                "SELECT count(*) FROM email_batch WHERE campaign_id = $1 AND completed_at IS NULL", Campaign) == 0, "every email batch settled");
            await UntilAsync(async () => await db.ScalarAsync<long>(
                "SELECT count(*) FROM outbox WHERE kind IN ('activation-code', 'activation-email-batch') AND delivered_at IS NULL") == 0, "every batch message settled");
            Assert.Equal((long)issued.Emails, await db.ScalarAsync<long>("SELECT sum(sent_through)::bigint FROM email_batch WHERE campaign_id = $1", Campaign));
            Assert.Equal(2L, await db.ScalarAsync<long>("SELECT sum(bounced)::bigint FROM email_batch WHERE campaign_id = $1", Campaign));
            Assert.Equal(0L, (await db.Store.GetCampaignCountsAsync(Campaign, DateTimeOffset.UtcNow)).EmailsPending);

            // The message: the code, its expiry, where to activate; no NIR, no vault id.
            output.WriteLine(text);
            Assert.Contains("https://coffre.example.fr/connect/activate", text, StringComparison.Ordinal);
            Assert.Contains("Ce code est valable jusqu'au", text, StringComparison.Ordinal);
            Assert.DoesNotContain(reached.Nir, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Nir.Mask(reached.Nir), text, StringComparison.Ordinal);
            Assert.DoesNotContain(E2e.VaultId(reached.Nir), text, StringComparison.Ordinal);
            var emailed = CodeIn(text);
            var activated = await http.ActivateAsync(reached, emailed);
            Assert.True(activated.Field("activateVault")?["session"] is JsonObject, activated.ToString());
            Assert.Equal(E2e.VaultId(reached.Nir), activated.Field("activateVault")!["session"]!["vaultId"]!.GetValue<string>());

            // The bounce: recorded under the batch line's message id, counted on its batch, email code revoked.
            var bouncedMessage = (await Rollout.EmailBatchLines.FindAsync(db.Store, db.Content, Campaign, E2e.VaultId(bounced.Nir)))!.Id;
            Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM email_bounce WHERE outbox_id = $1 AND status = 0", bouncedMessage));
            Assert.Equal((short)CodeStatus.Revoked, (await db.LatestCodeAsync(bounced)).Status);
            Assert.Equal((short)CodeStatus.Revoked, (await db.LatestCodeAsync(unreachable)).Status);
            var counts = await db.Store.GetCampaignCountsAsync(Campaign, DateTimeOffset.UtcNow);
            Assert.Equal((2L, 2L, 0L), (counts.EmailsBounced, counts.BouncesAwaitingPost, counts.BouncedUnreachable));
            var batchesBefore = (await db.Store.ListPrintBatchesAsync(Campaign)).Count;

            // Bounce → post, as an operator runs it: one new print batch with the bounced person's letter.
            var cli = await CoffreCli.RunAsync(E2e.CliEnvironment(cluster.ConnectionString, cluster.BlobContainer), Patience, "campaign", "post-bounces", "--id", Campaign);
            Assert.True(cli.ExitCode == 0, cli.ToString());
            output.WriteLine(cli.Stdout);
            Assert.Equal(1, cli.Json["posted"]!.GetValue<int>());
            Assert.Equal(1, cli.Json["unreachable"]!.GetValue<int>());
            var batchNo = cli.Json["batchNos"]!.AsArray().Single()!.GetValue<int>();
            var batches = await db.Store.ListPrintBatchesAsync(Campaign);
            Assert.Equal(batchesBefore + 1, batches.Count);
            var letters = await PrintBatchFiles.ReadAsync(db.Content, batches.Single(b => b.BatchNo == batchNo));
            var letter = Assert.Single(letters);
            Assert.Equal(E2e.VaultId(bounced.Nir), letter.VaultId);
            Assert.Equal(bounced.Address!.Line1, letter.AddressLine1);
            counts = await db.Store.GetCampaignCountsAsync(Campaign, DateTimeOffset.UtcNow);
            Assert.Equal((2L, 0L, 1L), (counts.EmailsBounced, counts.BouncesAwaitingPost, counts.BouncedUnreachable));

            // At least once: the same bounce reported again records and revokes nothing; another round posts nothing.
            Assert.Equal(0, await db.Store.RecordEmailBouncesAsync([new EmailBounce(bouncedMessage, Campaign, E2e.VaultId(bounced.Nir))], DateTimeOffset.UtcNow));
            Assert.Equal((short)CodeStatus.Valid, (await db.LatestCodeAsync(bounced)).Status);
            var again = await E2e.Issuance(db.Store, db.Content).PostBouncesAsync(Campaign);
            Assert.Equal((0, 0, 0), (again.Posted, again.Unreachable, again.Superseded));

            // The letter's code activates.
            var byPost = await http.ActivateAsync(bounced, letter.Code);
            Assert.True(byPost.Field("activateVault")?["session"] is JsonObject, byPost.ToString());
            Assert.Equal((short)PersonStatus.Activated, await db.PersonStatusAsync(bounced));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Task<int> SetEmailAsync(RolloutDatabase db, PersonRecord person, string email) =>
        db.ExecuteAsync("UPDATE registry_person SET email = $2 WHERE nir_hash = $1", E2e.NirHash(person.Nir), email);

    /// <summary>The plain text of the one message the SMTP server received for <paramref name="address"/> (waits for it).</summary>
    internal static async Task<string> PlainTextOfAsync(HttpClient api, string address)
    {
        string? id = null;
        await UntilAsync(async () =>
        {
            var page = await api.GetFromJsonAsync<JsonObject>("api/messages?pageSize=100000");
            id = page!["results"]!.AsArray()
                .Where(m => m!["to"]!.AsArray().Any(t => string.Equals(t!.GetValue<string>(), address, StringComparison.OrdinalIgnoreCase)))
                .Select(m => m!["id"]!.GetValue<string>())
                .SingleOrDefault();
            return id is not null;
        }, $"a message to {address}");
        return await api.GetStringAsync($"api/messages/{id}/plaintext");
    }

    /// <summary>The code line of an activation email (indented, the only one that is not a URL).</summary>
    internal static string CodeIn(string text)
    {
        var line = text.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.StartsWith("    ", StringComparison.Ordinal) && !l.Contains("://", StringComparison.Ordinal));
        return ActivationCodes.TryNormalise(line.Trim(), out var code) ? code : throw new FormatException("no activation code in the message");
    }

    /// <summary>Polls until <paramref name="done"/>; fails after <see cref="Patience"/> (a hang, not a timing assertion).</summary>
    internal static async Task UntilAsync(Func<Task<bool>> done, string what)
    {
        var give = DateTime.UtcNow + Patience;
        while (!await done())
        {
            if (DateTime.UtcNow > give)
            {
                throw new TimeoutException($"still waiting for {what} after {Patience.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            }
            await Task.Delay(100);
        }
    }
}
