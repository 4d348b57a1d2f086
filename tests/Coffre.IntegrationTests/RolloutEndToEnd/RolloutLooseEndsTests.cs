using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Coffre.Application.Rollout;
using Xunit;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// The rollout's loose ends against the national rollout in miniature (one <c>coffre silo</c> process, real PostgreSQL
/// and Blob storage, the operator CLI): re-issue by the <c>campaign reissue</c> verb and by the
/// <c>reissueActivationCode</c> mutation, and the opposition window refusing deposits by others over HTTP.
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class RolloutLooseEndsTests(NationalRolloutFixture fixture) : IClassFixture<NationalRolloutFixture>
{
    private const string Reissue = """
        mutation Reissue($input: ReissueActivationCodeInput!) {
          reissueActivationCode(input: $input) { result { revoked issued channel batch } userErrors { code field message } }
        }
        """;

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(2);

    private RawGraphQL Http => fixture.Http;
    private RolloutDatabase Db => fixture.Db;

    private Task<CliResult> CliAsync(params string[] args) => CoffreCli.RunAsync(fixture.Cli, Minute, args);

    private Task<long> ReissueEventsAsync(string vaultId, string actor) => Db.ScalarAsync<long>(
        "SELECT count(*) FROM audit_event WHERE vault_id = $1 AND operation = 'rollout.reissue' AND actor_id = $2 AND allowed", vaultId, actor);

    [Fact]
    public async Task The_reissue_verb_revokes_the_lost_code_sends_a_new_one_that_activates_and_never_prints_the_nir()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var lost = await Db.CodeOfAsync(person);

        var run = await CliAsync("campaign", "reissue", "--id", NationalRolloutFixture.CampaignId, "--nir", person.Nir, "--by", "operator:lost-letter");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain(person.Nir, run.Stdout + run.Stderr, StringComparison.Ordinal);
        var json = run.Json;
        Assert.Equal(1, json["revoked"]!.GetValue<int>());
        Assert.True(json["issued"]!.GetValue<bool>());
        var channel = json["channel"]!.GetValue<string>();
        Assert.Contains(channel, new[] { "EMAIL", "POST" });
        Assert.Equal(channel == "POST", json["batch"] is JsonValue);
        Assert.Equal(1, await ReissueEventsAsync(fixture.VaultId(index), "operator:lost-letter"));

        var fresh = await Db.CodeOfAsync(person);
        Assert.NotEqual(lost, fresh);
        Assert.Equal(["ACTIVATION_REFUSED"], (await Http.ActivateAsync(person, lost)).UserErrorCodes("activateVault"));
        Assert.True((await Http.ActivateAsync(person, fresh)).Field("activateVault")?["session"] is JsonObject);

        // Activated: no code any more, with a clear sentence and exit 5 (conflict), nothing revoked.
        var again = await CliAsync("campaign", "reissue", "--id", NationalRolloutFixture.CampaignId, "--nir", person.Nir, "--by", "operator:lost-letter");
        Assert.True(again.ExitCode == 5, again.ToString());
        Assert.Contains("already activated", again.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(person.Nir, again.Stdout + again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reissue_verb_refuses_an_opposed_person_an_unknown_campaign_and_a_malformed_nir()
    {
        var opposed = fixture.Person(fixture.OpposedBeforeIssuance);
        var refused = await CliAsync("campaign", "reissue", "--id", NationalRolloutFixture.CampaignId, "--nir", opposed.Nir, "--by", "operator:e2e");
        Assert.True(refused.ExitCode == 5, refused.ToString());
        Assert.Contains("opposed", refused.Stderr, StringComparison.Ordinal);

        var person = fixture.Person(fixture.People.TakeAdults(1)[0]);
        var unknown = await CliAsync("campaign", "reissue", "--id", "no-such-campaign", "--nir", person.Nir);
        Assert.True(unknown.ExitCode == 5, unknown.ToString());
        Assert.Contains("names no campaign", unknown.Stderr, StringComparison.Ordinal);

        var malformed = await CliAsync("campaign", "reissue", "--id", NationalRolloutFixture.CampaignId, "--nir", "123");
        Assert.True(malformed.ExitCode == 2, malformed.ToString());
    }

    [Fact]
    public async Task The_reissue_verb_refuses_a_campaign_that_does_not_cover_the_person_before_revoking_anything()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var hash = E2e.NirHash(person.Nir);
        var validBefore = await Db.ScalarAsync<long>($"SELECT count(*) FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0", hash);
        var elsewhere = await Db.ScalarAsync<string>(
            "SELECT CASE WHEN departement = '2A' THEN '2B' ELSE '2A' END FROM registry_person WHERE nir_hash = $1", hash);
        var created = await CliAsync("campaign", "create", "--id", "e2e-elsewhere", "--name", "Elsewhere", "--departements", elsewhere,
            "--by", "operator:e2e");
        Assert.True(created.ExitCode == 0, created.ToString());

        var refused = await CliAsync("campaign", "reissue", "--id", "e2e-elsewhere", "--nir", person.Nir, "--by", "operator:e2e");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("départements do not include", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(validBefore, await Db.ScalarAsync<long>($"SELECT count(*) FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0", hash));
    }

    [Fact]
    public async Task The_reissue_mutation_is_for_rollout_operators_and_answers_userErrors_for_opposed_people()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var input = new { input = new { campaignId = NationalRolloutFixture.CampaignId, nir = person.Nir } };

        var issued = await Http.PostAsync(Reissue, input, E2e.OperatorToken());
        Assert.True(issued.Status == 200 && issued.Json["errors"] is null, issued.ToString());
        var result = issued.Field("reissueActivationCode")!["result"]!;
        Assert.Equal(1, result["revoked"]!.GetValue<int>());
        Assert.True(result["issued"]!.GetValue<bool>());
        Assert.DoesNotContain(person.Nir, issued.Body, StringComparison.Ordinal);
        Assert.Equal(1, await ReissueEventsAsync(fixture.VaultId(index), "op-e2e"));
        Assert.True((await Http.ActivateAsync(person, await Db.CodeOfAsync(person))).Field("activateVault")?["session"] is JsonObject);

        var opposed = await Http.PostAsync(Reissue,
            new { input = new { campaignId = NationalRolloutFixture.CampaignId, nir = fixture.Person(fixture.OpposedBeforeIssuance).Nir } }, E2e.OperatorToken());
        var error = Assert.Single(opposed.Field("reissueActivationCode")!["userErrors"]!.AsArray())!;
        Assert.Equal(("CONFLICT", "nir"), (error["code"]!.GetValue<string>(), error["field"]!.GetValue<string>()));

        // A support operator without the rollout role, and a person, are refused.
        var support = E2e.Token("operator", "op-support", operatorRoles: "support");
        var forbidden = await Http.PostAsync(Reissue, input, support);
        Assert.Contains("FORBIDDEN", forbidden.ErrorCodes);
        Assert.Contains("FORBIDDEN", (await Http.PostAsync(Reissue, input, E2e.Token("patient", fixture.VaultId(index)))).ErrorCodes);
    }

    [Fact]
    public async Task Close_window_waits_for_the_windows_end_then_the_vaults_of_people_who_neither_opposed_nor_activated_are_active()
    {
        // The national campaign's window is open: refused, exit 5, nothing changed.
        var early = await CliAsync("campaign", "close-window", "--id", NationalRolloutFixture.CampaignId);
        Assert.True(early.ExitCode == 5, early.ToString());
        Assert.Contains("may still oppose", early.Stderr, StringComparison.Ordinal);

        // A campaign whose window ended yesterday, and one person whose code (re-issued) is now of that campaign.
        const string past = "e2e-window-past";
        await Db.Store.CreateCampaignAsync(new NewCampaign(past, "Window ended", null, "operator:e2e", OppositionWindow: TimeSpan.FromDays(1)),
            DateTimeOffset.UtcNow.AddDays(-2));
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var reissued = await CliAsync("campaign", "reissue", "--id", past, "--nir", person.Nir, "--by", "operator:e2e");
        Assert.True(reissued.ExitCode == 0 && reissued.Json["issued"]!.GetValue<bool>(), reissued.ToString());

        var closed = await CliAsync("campaign", "close-window", "--id", past, "--chunk-size", "1");
        Assert.True(closed.ExitCode == 0, closed.ToString());
        Assert.Equal(1, closed.Json["vaultsCreated"]!.GetValue<int>());
        Assert.Equal(0, (await CliAsync("campaign", "close-window", "--id", past)).Json["vaultsCreated"]!.GetValue<int>());

        var vault = await Http.PostAsync("query($id: ID!) { vault(id: $id) { status } }", new { id = fixture.VaultId(index) }, E2e.OperatorToken());
        Assert.True(vault.Json["data"]?["vault"]?["status"]?.GetValue<string>() == "ACTIVE", vault.ToString());
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(person));
        // Still theirs to activate.
        Assert.True((await Http.ActivateAsync(person, await Db.CodeOfAsync(person))).Field("activateVault")?["session"] is JsonObject);
    }

    [Fact]
    public async Task The_majority_run_reaches_the_vaults_of_people_born_that_day_through_the_cluster()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var adultNow = fixture.People.People.FirstOrDefault(p => p.RepresentativeNirs.Count > 0 && p.BirthDate.AddYears(18) <= today);
        var date = adultNow?.BirthDate.AddYears(18) ?? today;
        var run = await CliAsync("rollout", "majority", "--date", date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "--by", "operator:e2e");
        Assert.True(run.ExitCode == 0, run.ToString());
        var sameDay = fixture.People.People.Count(p => p.BirthDate == date.AddYears(-18) && p.Nir != fixture.Person(fixture.OpposedBeforeIssuance).Nir);
        Assert.Equal(sameDay, run.Json["people"]!.GetValue<int>());
        if (adultNow is not null)
        {
            Assert.True(run.Json["handedOver"]!.GetValue<int>() >= 1, run.ToString());
            // Idempotent: nobody is told twice.
            Assert.Equal(0, (await CliAsync("rollout", "majority", "--date", date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))).Json["handedOver"]!.GetValue<int>());
        }
        Assert.Equal(2, (await CliAsync("rollout", "majority", "--date", "03/01/2027")).ExitCode);
    }

    [Fact]
    public async Task While_the_opposition_window_is_open_a_professional_who_is_not_a_referent_cannot_deposit()
    {
        // Everyone of the campaign holds a code whose window ends 6 weeks after the campaign was created.
        var index = fixture.People.TakeAdults(1)[0];
        var (token, _) = E2e.SocialWorkerToken();
        var bytes = RandomNumberGenerator.GetBytes(1_000);
        using var http = new HttpClient { BaseAddress = fixture.Cluster.Silos[0].BaseAddress };
        using var form = new MultipartFormDataContent();
        form.Add(JsonContent.Create(new { title = "Attestation", classCode = "52", typeCode = "ATTEST-DROITS-AM", size = bytes.Length, sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)) }), "metadata");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        form.Add(file, "file", "attestation.pdf");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/vaults/{fixture.VaultId(index)}/documents") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.False(response.IsSuccessStatusCode, body);
        Assert.Contains("may still oppose", body, StringComparison.Ordinal);
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(fixture.Person(index)));
    }
}

/// <summary>A minor's code is activated with what their legal representative holds: the code, the child's NIR and birth date, and the representative's Carte Vitale.</summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class MinorActivationTests(NationalRolloutFixture fixture) : IClassFixture<NationalRolloutFixture>
{
    [Fact]
    public async Task A_minors_code_activates_with_a_representatives_vitale_serial_and_refuses_anyone_elses_uniformly()
    {
        var people = fixture.People.People;
        // From the end of the file: the adults other tests take come from the start.
        var (minor, code) = (default(Coffre.Domain.Rollout.PersonRecord)!, "");
        for (var i = people.Count - 1; i >= 0; i--)
        {
            var p = people[i];
            if (p.VitaleSerial is null && p.RepresentativeNirs.Count > 0 && await fixture.Db.ScalarAsync<long>(
                $"SELECT count(*) FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(p.Nir)) == 1)
            {
                (minor, code) = (p, await fixture.Db.CodeOfAsync(p));
                break;
            }
        }
        Assert.NotNull(minor);
        var representative = people.Single(p => p.Nir == minor.RepresentativeNirs[0]);
        var stranger = people.First(p => p.VitaleSerial is not null && !minor.RepresentativeNirs.Contains(p.Nir));

        Assert.Equal(["ACTIVATION_REFUSED"], (await fixture.Http.ActivateAsync(minor, code, vitaleSerial: stranger.VitaleSerial)).UserErrorCodes("activateVault"));
        Assert.Equal(["ACTIVATION_REFUSED"], (await fixture.Http.ActivateAsync(minor, code, vitaleSerial: representative.VitaleSerial,
            birthDate: minor.BirthDate.AddDays(1))).UserErrorCodes("activateVault"));
        var activated = await fixture.Http.ActivateAsync(minor, code, vitaleSerial: representative.VitaleSerial);
        Assert.True(activated.Field("activateVault")?["session"] is JsonObject, activated.ToString());
        Assert.Equal((short)PersonStatus.Activated, await fixture.Db.PersonStatusAsync(minor));
        // The session is the representative's own (their registry vault id), never an owner session on the child's vault:
        // they reach the child's vault as its legal representative.
        var session = activated.Field("activateVault")!["session"]!;
        Assert.Equal(E2e.VaultId(representative.Nir), session["vaultId"]!.GetValue<string>());
        var read = await fixture.Http.PostAsync(RawGraphQL.ReadVault, new { id = E2e.VaultId(minor.Nir) }, session["token"]!.GetValue<string>());
        Assert.True(read.Field("vault")?["status"] is JsonValue, read.ToString());
    }

    [Fact]
    public async Task A_former_parents_card_never_activates_an_adults_code_even_when_the_registry_row_has_no_vitale_serial()
    {
        var people = fixture.People.People;
        var minor = people.Last(p => p.VitaleSerial is null && p.RepresentativeNirs.Count > 0);
        var parent = people.Single(p => p.Nir == minor.RepresentativeNirs[0]);
        Coffre.Domain.Rollout.PersonRecord? adult = null;
        for (var i = people.Count - 1; i >= 0 && adult is null; i--)
        {
            var p = people[i];
            if (p.VitaleSerial is not null && p.RepresentativeNirs.Count == 0 && p.BirthDate.AddYears(19) < DateOnly.FromDateTime(DateTime.UtcNow)
                && !minor.RepresentativeNirs.Contains(p.Nir) && await fixture.Db.ScalarAsync<long>(
                    $"SELECT count(*) FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(p.Nir)) == 1
                && await fixture.Db.PersonStatusAsync(p) == (short)PersonStatus.Registered)
            {
                adult = p;
            }
        }
        Assert.NotNull(adult);
        // The registry row of an adult who has no Vitale serial and still lists a former parent.
        await fixture.Db.ExecuteAsync("UPDATE registry_person SET vitale_hash = NULL, representative_nir_hashes = ARRAY[$2::bytea] WHERE nir_hash = $1",
            E2e.NirHash(adult.Nir), E2e.NirHash(parent.Nir));
        var code = await fixture.Db.CodeOfAsync(adult);
        Assert.Equal(["ACTIVATION_REFUSED"], (await fixture.Http.ActivateAsync(adult, code, vitaleSerial: parent.VitaleSerial)).UserErrorCodes("activateVault"));
        Assert.Equal((short)PersonStatus.Registered, await fixture.Db.PersonStatusAsync(adult));
    }
}
