using System.Text.Json.Nodes;
using Coffre.Application.Mail;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Rollout;
using Xunit;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// A minor's code goes to their legal representative, end to end: the national rollout in miniature issued it with the
/// operator CLI (<c>coffre campaign issue</c>) against real PostgreSQL and Blob storage; the email channel writes it to the
/// parent's address (composed message kept, the SMTP leg being CampaignEmailOverSmtpTests' under ./test.sh), or the
/// print batch carries it to the parent's postal address; the parent then activates the child's vault over HTTP with
/// that code and their own Carte Vitale.
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class MinorCodesEndToEndTests(NationalRolloutFixture fixture) : IClassFixture<NationalRolloutFixture>
{
    [Fact]
    public async Task The_parent_receives_the_childs_code_by_email_and_activates_the_childs_vault_with_their_own_vitale()
    {
        var (minor, representative) = await MinorWithValidCodeAsync(CodeChannel.Email);
        Assert.NotNull(representative.Email);
        var vaultId = RegistryVaultIds.For(E2e.NirHash(minor.Nir));
        var campaign = await fixture.Db.ScalarAsync<string>($"SELECT campaign_id FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(minor.Nir));
        // The child's line of the campaign's email batch files, as the batch router hands it to the email channel.
        var message = EmailBatchLines.Message((await EmailBatchLines.FindAsync(fixture.Db.Store, fixture.Db.Content, campaign, vaultId))!);

        var mail = new KeptMailTransport();
        var channel = new EmailDeliveryChannel(fixture.Db.Store, E2e.Cipher, mail,
            new ActivationEmail(new ActivationEmailOptions { ActivationUrl = new Uri("https://coffre.example.fr/connect/activate") }));
        Assert.Empty(await channel.DeliverBatchAsync([message]));
        var sent = Assert.Single(mail.Messages);
        Assert.Equal((representative.Email, ActivationEmail.RepresentativesSubject), (sent.To, sent.Subject));
        Assert.StartsWith(RolloutRules.RepresentativesAddressee(minor.GivenNames) + ",\n", sent.TextBody, StringComparison.Ordinal);
        Assert.Contains("VOTRE propre carte Vitale", sent.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(minor.Nir, sent.TextBody, StringComparison.Ordinal);

        // The code as the parent reads it in the message.
        var shown = sent.TextBody.Split('\n').Select(l => l.Trim()).First(l => ActivationCodes.TryNormalise(l, out _));
        var code = RolloutDatabase.Canonical(shown);
        var activated = await fixture.Http.ActivateAsync(minor, code, vitaleSerial: representative.VitaleSerial);
        Assert.True(activated.Field("activateVault")?["session"] is JsonObject, activated.ToString());
        Assert.Equal((short)PersonStatus.Activated, await fixture.Db.PersonStatusAsync(minor));
    }

    [Fact]
    public async Task The_parent_without_email_receives_the_childs_code_on_the_print_batch_at_their_address()
    {
        var (minor, representative) = await MinorWithValidCodeAsync(CodeChannel.Post);
        var vaultId = RegistryVaultIds.For(E2e.NirHash(minor.Nir));
        var batchNo = await fixture.Db.ScalarAsync<int>($"SELECT batch_no FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(minor.Nir));
        var campaign = await fixture.Db.ScalarAsync<string>($"SELECT campaign_id FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(minor.Nir));
        var batch = (await fixture.Db.Store.ListPrintBatchesAsync(campaign)).Single(b => b.BatchNo == batchNo);
        var letter = (await PrintBatchFiles.ReadAsync(fixture.Db.Content, batch)).Single(l => l.VaultId == vaultId);
        Assert.Equal((true, RolloutRules.RepresentativesAddressee(minor.GivenNames)), (letter.ForRepresentatives, letter.Name));
        Assert.Equal(representative.Address, new PostalAddress(letter.AddressLine1, letter.AddressLine2, letter.PostalCode, letter.City));

        var activated = await fixture.Http.ActivateAsync(minor, RolloutDatabase.Canonical(letter.Code), vitaleSerial: representative.VitaleSerial);
        Assert.True(activated.Field("activateVault")?["session"] is JsonObject, activated.ToString());
    }

    /// <summary>A minor of the file (from its end: other tests take adults from its start) holding a valid code sent by <paramref name="channel"/>.</summary>
    private async Task<(PersonRecord Minor, PersonRecord Representative)> MinorWithValidCodeAsync(CodeChannel channel)
    {
        var people = fixture.People.People;
        var today = DateTimeOffset.UtcNow;
        for (var i = people.Count - 1; i >= 0; i--)
        {
            var p = people[i];
            if (p.RepresentativeNirs.Count > 0 && RolloutRules.IsMinorAt(p.BirthDate, today) && await fixture.Db.ScalarAsync<long>(
                $"SELECT count(*) FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0 AND channel = $2", E2e.NirHash(p.Nir), (short)channel) == 1)
            {
                return (p, people.Single(r => r.Nir == p.RepresentativeNirs[0]));
            }
        }
        throw new InvalidOperationException($"the file has no minor with a valid {channel} code");
    }
}
