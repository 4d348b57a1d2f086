using System.Text.Json.Nodes;
using Coffre.Application.Rollout;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// Activation, lockout, clock skew, aliases, audit and opposition over real HTTP against one <c>coffre silo</c>
/// process, with codes read in clear from what was delivered (print batches in Blob storage, emails in the outbox).
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed partial class ActivationOverHttpTests(NationalRolloutFixture fixture, ITestOutputHelper output) : IClassFixture<NationalRolloutFixture>
{
    private const string Refused = "ACTIVATION_REFUSED";
    private static readonly string[] RefusedOnly = [Refused];
    private RawGraphQL Http => fixture.Http;
    private RolloutDatabase Db => fixture.Db;

    [Fact]
    public async Task Activation_opens_the_persons_vault_with_registry_identity_and_the_code_is_single_use()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var code = await Db.CodeOfAsync(person);

        // As printed on a letter (XXXXX-XXXXX-C, lower case): input is normalised.
        var activated = await Http.ActivateAsync(person, ActivationCodes.Display(code).ToLowerInvariant());
        Assert.True(activated.Status == 200, activated.ToString());
        var session = activated.Field("activateVault")?["session"];
        Assert.True(session is JsonObject, activated.ToString());
        Assert.Equal(fixture.VaultId(index), session!["vaultId"]!.GetValue<string>());
        var token = session["token"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(token));

        var vault = await Http.PostAsync(RawGraphQL.ReadVault, new { id = fixture.VaultId(index) }, token);
        Assert.True(vault.Json["errors"] is null, vault.ToString());
        var read = vault.Field("vault")!;
        Assert.Equal("ACTIVE", read["status"]!.GetValue<string>());
        Assert.Equal(person.FamilyName, read["identity"]!["familyName"]!.GetValue<string>());
        Assert.Equal(person.GivenNames, read["identity"]!["givenNames"]!.GetValue<string>());
        Assert.Equal(person.BirthDate.ToString("yyyy-MM-dd"), read["identity"]!["birthDate"]!.GetValue<string>());
        Assert.Equal(Nir.Mask(person.Nir), read["identity"]!["nirMasked"]!.GetValue<string>());
        Assert.Equal((short)PersonStatus.Activated, await Db.PersonStatusAsync(person));
        Assert.Equal((short)CodeStatus.Used, (await Db.LatestCodeAsync(person)).Status);
        var times = await Db.ScalarAsync<string>(
            $"SELECT format('issued_at %s, closed_at %s, now %s', c.issued_at, c.closed_at, now()) FROM activation_code c WHERE c.person_no = {E2e.PersonOf}",
            E2e.NirHash(person.Nir));
        output.WriteLine("used code: " + times);

        // Single use: the same inputs again are refused, with the answer every refusal gets.
        var again = await Http.ActivateAsync(person, ActivationCodes.Display(code).ToLowerInvariant());
        var unknown = await Http.ActivateAsync(Population.Unknown(0), ActivationCodes.Display(code).ToLowerInvariant());
        Assert.Equal(RefusedOnly, again.UserErrorCodes("activateVault"));
        Assert.Null(again.Field("activateVault")!["session"]);
        Assert.Equal(unknown.Body, again.Body);
        Assert.Equal("ACTIVE", (await Http.PostAsync(RawGraphQL.ReadVault, new { id = fixture.VaultId(index) }, token)).Field("vault")!["status"]!.GetValue<string>());
    }

    /// <summary>
    /// The API in a silo's process hands attempts to that silo's settler directly; a gateway's go through the activation
    /// grain. Both ways give the same answers and the same effects.
    /// </summary>
    [Fact]
    public async Task A_gateway_activates_through_the_activation_grain_with_the_answers_of_the_silos_own_api()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var code = await Db.CodeOfAsync(person);

        var wrong = await fixture.GatewayHttp.ActivateAsync(person, RolloutDatabase.WrongCode(code));
        var unknownAtSilo = await Http.ActivateAsync(Population.Unknown(7), ActivationCodes.Generate());
        Assert.Equal(RefusedOnly, wrong.UserErrorCodes("activateVault"));
        Assert.Equal(unknownAtSilo.Body, wrong.Body);
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(person));

        var activated = await fixture.GatewayHttp.ActivateAsync(person, ActivationCodes.Display(code));
        Assert.True(activated.Status == 200, activated.ToString());
        var session = activated.Field("activateVault")?["session"];
        Assert.True(session is JsonObject, activated.ToString());
        Assert.Equal(fixture.VaultId(index), session!["vaultId"]!.GetValue<string>());
        Assert.Equal((short)PersonStatus.Activated, await Db.PersonStatusAsync(person));
        Assert.Equal((short)CodeStatus.Used, (await Db.LatestCodeAsync(person)).Status);

        // The session the gateway issued opens the vault at the silo; the used code is refused there like anywhere.
        var vault = await Http.PostAsync(RawGraphQL.ReadVault, new { id = fixture.VaultId(index) }, session["token"]!.GetValue<string>());
        Assert.Equal("ACTIVE", vault.Field("vault")!["status"]!.GetValue<string>());
        var again = await Http.ActivateAsync(person, ActivationCodes.Display(code));
        Assert.Equal(unknownAtSilo.Body, again.Body);
    }

    [Fact]
    public async Task Unknown_person_wrong_expired_and_revoked_codes_get_byte_identical_refusals_and_are_audited()
    {
        const int Samples = 12;
        var wrong = fixture.People.TakeAdults(Samples);
        var expired = fixture.People.TakeAdults(Samples);
        var revoked = fixture.People.TakeAdults(Samples);

        var attempts = new Dictionary<string, List<(PersonRecord Person, string Code, string? Chain)>>
        {
            ["unknown person"] = [],
            ["wrong code"] = [],
            ["expired code"] = [],
            ["revoked code"] = [],
        };
        for (var k = 0; k < Samples; k++)
        {
            attempts["unknown person"].Add((Population.Unknown(100 + k), ActivationCodes.Generate(), null));

            var w = fixture.Person(wrong[k]);
            attempts["wrong code"].Add((w, RolloutDatabase.WrongCode(await Db.CodeOfAsync(w)), fixture.VaultId(wrong[k])));

            // Expired an hour ago: far beyond the 5 minutes of tolerated clock skew.
            var e = fixture.Person(expired[k]);
            var expiredCode = await Db.CodeOfAsync(e);
            Assert.Equal(1, await Db.ExecuteAsync($"UPDATE activation_code SET expires_at = now() - interval '1 hour' WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(e.Nir)));
            attempts["expired code"].Add((e, expiredCode, fixture.VaultId(expired[k])));

            // Re-issued: the letter or email they still hold carries a revoked code.
            var r = fixture.Person(revoked[k]);
            var oldCode = await Db.CodeOfAsync(r);
            var reissue = await fixture.Reissue.ReissueAsync(NationalRolloutFixture.CampaignId, E2e.NirHash(r.Nir));
            Assert.True(reissue is { Revoked: 1, Issued: true }, reissue.ToString());
            Assert.NotEqual(oldCode, await Db.CodeOfAsync(r));
            attempts["revoked code"].Add((r, oldCode, fixture.VaultId(revoked[k])));
        }

        // Warm-up (JIT, pools), not measured: unknown people, so no code is touched.
        for (var i = 0; i < 3; i++)
        {
            await Http.ActivateAsync(Population.Unknown(200 + i), ActivationCodes.Generate());
        }

        var results = attempts.Keys.ToDictionary(k => k, _ => new List<RawResponse>());
        for (var k = 0; k < Samples; k++)
        {
            // Kinds interleaved, in a different order each round.
            foreach (var kind in attempts.Keys.OrderBy(kind => (kind.GetHashCode() ^ k) & 7).ThenBy(kind => kind, StringComparer.Ordinal))
            {
                var (person, code, _) = attempts[kind][k];
                results[kind].Add(await Http.ActivateAsync(person, ActivationCodes.Display(code)));
            }
        }

        var all = results.Values.SelectMany(r => r).ToList();
        var body = all[0].Body;
        foreach (var response in all)
        {
            Assert.True(response.Status == 200, response.ToString());
            Assert.Equal(body, response.Body);
        }
        Assert.Equal(RefusedOnly, all[0].UserErrorCodes("activateVault"));
        Assert.Null(all[0].Field("activateVault")!["session"]);
        output.WriteLine($"refusal body ({body.Length} bytes, identical for all {all.Count}): {body}");
        foreach (var (kind, list) in results)
        {
            var ms = list.Select(r => r.Elapsed.TotalMilliseconds).Order().ToList();
            output.WriteLine($"refusal time, {kind,-14}: mean {ms.Average():F2} ms, median {ms[ms.Count / 2]:F2} ms, min {ms[0]:F2}, max {ms[^1]:F2} (n={ms.Count})");
        }

        // Every attempt is audited, once, on the chain of the vault id derived from the NIR: the person's vault when
        // the registry knows them, a chain of the same kind for a NIR it does not know (the same work either way).
        // These attempts proved the person's secrets, so each counted once on the valid code.
        foreach (var kind in new[] { "wrong code", "expired code", "revoked code" })
        {
            foreach (var (person, _, chain) in attempts[kind])
            {
                Assert.Equal(1L, await Db.DenialsAsync(chain!));
                Assert.Equal(1, (await Db.LatestCodeAsync(person)).Attempts);
            }
        }
        foreach (var (person, _, _) in attempts["unknown person"])
        {
            Assert.Equal(1L, await Db.DenialsAsync(E2e.VaultId(person.Nir)));
        }

        // The person's own access history, once activated, shows the refused attempt on their vault.
        var owner = fixture.Person(wrong[0]);
        var activated = await Http.ActivateAsync(owner, await Db.CodeOfAsync(owner));
        var token = activated.Field("activateVault")!["session"]!["token"]!.GetValue<string>();
        var history = (await Http.PostAsync(RawGraphQL.ReadVault, new { id = fixture.VaultId(wrong[0]) }, token)).Field("vault")!["accessHistory"]!["nodes"]!.AsArray();
        Assert.Contains(history, e => e!["operation"]!.GetValue<string>() == "vault.activate" && !e["allowed"]!.GetValue<bool>());
        Assert.Contains(history, e => e!["operation"]!.GetValue<string>() == "vault.activate" && e["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Three_wrong_codes_lock_the_code_so_the_right_one_is_refused_until_a_reissue()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var right = await Db.CodeOfAsync(person);
        var unknownBefore = await Db.DenialsAsync("activation-unknown");

        var bodies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            bodies.Add((await Http.ActivateAsync(person, RolloutDatabase.WrongCode(right))).Body);
        }
        Assert.Equal(((short)CodeStatus.Locked, (short)3), ((await Db.LatestCodeAsync(person)).Status, (await Db.LatestCodeAsync(person)).Attempts));

        var rightRefused = await Http.ActivateAsync(person, right);
        Assert.Equal(RefusedOnly, rightRefused.UserErrorCodes("activateVault"));
        Assert.All(bodies, b => Assert.Equal(rightRefused.Body, b));
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(person));

        // All four attempts audited on the vault's chain (the one on the locked code too), none elsewhere.
        var onVault = await Db.DenialsAsync(fixture.VaultId(index));
        var unknownDelta = await Db.DenialsAsync("activation-unknown") - unknownBefore;
        output.WriteLine($"lockout: denials on the vault chain {onVault}, in activation-unknown {unknownDelta}");
        Assert.Equal((4L, 0L), (onVault, unknownDelta));

        // A re-issue (operator, lost or locked code) revokes the locked code and delivers a new one that works.
        var reissue = await fixture.Reissue.ReissueAsync(NationalRolloutFixture.CampaignId, E2e.NirHash(person.Nir));
        Assert.True(reissue is { Revoked: 1, Issued: true }, reissue.ToString());
        var fresh = await Db.CodeOfAsync(person);
        Assert.NotEqual(right, fresh);
        Assert.Equal(RefusedOnly, (await Http.ActivateAsync(person, right)).UserErrorCodes("activateVault"));
        var activated = await Http.ActivateAsync(person, fresh);
        Assert.True(activated.Field("activateVault")?["session"] is JsonObject, activated.ToString());
        Assert.Equal((short)PersonStatus.Activated, await Db.PersonStatusAsync(person));
    }

    [Fact]
    public async Task Clock_skew_up_to_five_minutes_is_tolerated_on_both_ends_of_the_validity()
    {
        var people = fixture.People.TakeAdults(4);
        var (expired4, expired6, early4, early6) = (fixture.Person(people[0]), fixture.Person(people[1]), fixture.Person(people[2]), fixture.Person(people[3]));
        var codes = new Dictionary<PersonRecord, string>();
        foreach (var p in new[] { expired4, expired6, early4, early6 })
        {
            codes[p] = await Db.CodeOfAsync(p);
        }
        // Verifier's clock ahead of the issuer's: the code expired 4 or 6 minutes ago. Behind: issued 4 or 6 minutes from now.
        await Db.ExecuteAsync($"UPDATE activation_code SET expires_at = now() - interval '4 minutes' WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(expired4.Nir));
        await Db.ExecuteAsync($"UPDATE activation_code SET expires_at = now() - interval '6 minutes' WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(expired6.Nir));
        await Db.ExecuteAsync($"UPDATE activation_code SET issued_at = now() + interval '4 minutes' WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(early4.Nir));
        await Db.ExecuteAsync($"UPDATE activation_code SET issued_at = now() + interval '6 minutes' WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(early6.Nir));

        var ok4 = await Http.ActivateAsync(expired4, codes[expired4]);
        var ko6 = await Http.ActivateAsync(expired6, codes[expired6]);
        var okEarly = await Http.ActivateAsync(early4, codes[early4]);
        var koEarly = await Http.ActivateAsync(early6, codes[early6]);

        Assert.True(ok4.Field("activateVault")?["session"] is JsonObject, "expired 4 min ago: " + ok4);
        Assert.True(okEarly.Field("activateVault")?["session"] is JsonObject, "issued 4 min ahead: " + okEarly);
        Assert.Equal(RefusedOnly, ko6.UserErrorCodes("activateVault"));
        Assert.Equal(ko6.Body, koEarly.Body);
        Assert.Equal((short)PersonStatus.Activated, await Db.PersonStatusAsync(expired4));
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(expired6));
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(early6));
    }

    [Fact]
    public async Task Each_alias_is_one_attempt_so_six_aliases_in_one_request_lock_the_code()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var right = await Db.CodeOfAsync(person);
        var unknownBefore = await Db.DenialsAsync("activation-unknown");

        var response = await Http.ActivateAliasedAsync([.. Enumerable.Range(0, 6).Select(_ => (person, RolloutDatabase.WrongCode(right)))]);
        Assert.True(response.Status == 200, response.ToString());
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(RefusedOnly, response.UserErrorCodes($"a{i}"));
        }
        var code = await Db.LatestCodeAsync(person);
        Assert.Equal(((short)CodeStatus.Locked, (short)3), (code.Status, code.Attempts));
        Assert.Equal(6L, await Db.DenialsAsync(fixture.VaultId(index)) + await Db.DenialsAsync("activation-unknown") - unknownBefore);
        Assert.Equal(RefusedOnly, (await Http.ActivateAsync(person, right)).UserErrorCodes("activateVault"));
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(person));
    }

    [Fact]
    public async Task More_than_thirty_aliases_are_refused_with_400_before_any_attempt()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var right = await Db.CodeOfAsync(person);
        var vaultEventsBefore = await Db.AuditEventsAsync(fixture.VaultId(index));
        var unknownBefore = await Db.AuditEventsAsync("activation-unknown");

        var attempts = Enumerable.Range(0, 30).Select(_ => (person, RolloutDatabase.WrongCode(right))).Append((person, right)).ToList();
        var response = await Http.ActivateAliasedAsync(attempts);
        Assert.True(response.Status == 400, response.ToString());
        Assert.Contains("MAX_ALIASES", response.ErrorCodes);
        Assert.Null(response.Json["data"]);

        var code = await Db.LatestCodeAsync(person);
        Assert.Equal(((short)CodeStatus.Valid, (short)0), (code.Status, code.Attempts));
        Assert.Equal(vaultEventsBefore, await Db.AuditEventsAsync(fixture.VaultId(index)));
        Assert.Equal(unknownBefore, await Db.AuditEventsAsync("activation-unknown"));
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(person));

        // Thirty aliases pass validation, and each is an attempt: the code locks after three.
        var thirty = await Http.ActivateAliasedAsync([.. attempts.Take(30)]);
        Assert.True(thirty.Status == 200, thirty.ToString());
        Assert.Equal(RefusedOnly, thirty.UserErrorCodes("a29"));
        code = await Db.LatestCodeAsync(person);
        Assert.Equal(((short)CodeStatus.Locked, (short)3), (code.Status, code.Attempts));
    }

    [Fact]
    public async Task Opposition_by_phone_before_issuance_leaves_no_code_a_purged_row_and_a_receipt()
    {
        var person = fixture.Person(fixture.OpposedBeforeIssuance);
        var nirHash = E2e.NirHash(person.Nir);
        var printed = fixture.OppositionCommand.Json;
        output.WriteLine("coffre opposition: " + fixture.OppositionCommand.Stdout);
        var receipt = printed["receipt"]!.GetValue<string>();
        Assert.StartsWith("opp-", receipt, StringComparison.Ordinal);
        Assert.False(printed["vaultClosed"]!.GetValue<bool>());
        Assert.Equal(0, printed["codesRevoked"]!.GetValue<int>());

        Assert.Equal(receipt, await Db.ScalarAsync<string>("SELECT receipt_id FROM opposition WHERE nir_hash = $1", nirHash));
        Assert.Equal(1L, await Db.ScalarAsync<long>(
            "SELECT count(*) FROM registry_person WHERE nir_hash = $1 AND status = 1 AND family_name IS NULL AND given_names IS NULL AND birth_date IS NULL AND email IS NULL AND address_line1 IS NULL AND vitale_hash IS NULL",
            nirHash));
        Assert.Equal(0L, await Db.ScalarAsync<long>($"SELECT count(*) FROM activation_code WHERE person_no = {E2e.PersonOf}", nirHash));
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE recipient = $1", fixture.VaultId(fixture.OpposedBeforeIssuance)));
        // Everyone else eligible got exactly one code: 999 codes for 1 000 people.
        Assert.Equal(NationalRolloutFixture.Size - 1L, fixture.IssueCommand.Json["issued"]!.GetValue<long>());

        var attempt = await Http.ActivateAsync(person, ActivationCodes.Generate());
        Assert.Equal(RefusedOnly, attempt.UserErrorCodes("activateVault"));
    }

    [Fact]
    public async Task Opposition_online_after_issuance_revokes_the_code_and_a_wrong_proof_is_refused_like_an_unknown_nir()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var code = await Db.CodeOfAsync(person);
        var stranger = Population.Unknown(300);
        string Birth(PersonRecord p) => p.BirthDate.ToString("yyyy-MM-dd");

        var wrongProof = await Http.PostAsync(RawGraphQL.Oppose, new { input = new { nir = person.Nir, birthDate = Birth(person), vitaleSerial = "000000000000001" } });
        var unknownNir = await Http.PostAsync(RawGraphQL.Oppose, new { input = new { nir = stranger.Nir, birthDate = Birth(stranger), vitaleSerial = stranger.VitaleSerial } });
        Assert.True(wrongProof.Status == 200, wrongProof.ToString());
        Assert.Equal(new[] { "OPPOSITION_REFUSED" }, wrongProof.UserErrorCodes("recordOpposition"));
        Assert.Equal(unknownNir.Body, wrongProof.Body);
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM opposition WHERE nir_hash = $1", E2e.NirHash(person.Nir)));
        Assert.Equal((short)CodeStatus.Valid, (await Db.LatestCodeAsync(person)).Status);

        var recorded = await Http.PostAsync(RawGraphQL.Oppose, new { input = new { nir = person.Nir, birthDate = Birth(person), vitaleSerial = person.VitaleSerial } });
        var receipt = recorded.Field("recordOpposition")?["receipt"];
        Assert.True(receipt is JsonObject, recorded.ToString());
        Assert.StartsWith("opp-", receipt!["receiptId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, receipt["codesRevoked"]!.GetValue<int>());
        Assert.False(receipt["vaultClosed"]!.GetValue<bool>());

        Assert.Equal((short)CodeStatus.Revoked, (await Db.LatestCodeAsync(person)).Status);
        Assert.Equal((short)PersonStatus.Opposed, await Db.PersonStatusAsync(person));
        Assert.Equal((short)OppositionChannel.Person, await Db.ScalarAsync<short>("SELECT channel FROM opposition WHERE nir_hash = $1", E2e.NirHash(person.Nir)));
        var attempt = await Http.ActivateAsync(person, code);
        Assert.Equal(RefusedOnly, attempt.UserErrorCodes("activateVault"));
        Assert.Equal((short)PersonStatus.Opposed, await Db.PersonStatusAsync(person));
    }

    [Fact]
    public async Task Opposition_by_an_operator_after_activation_closes_the_vault()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var activated = await Http.ActivateAsync(person, await Db.CodeOfAsync(person));
        var token = activated.Field("activateVault")?["session"]?["token"]?.GetValue<string>();
        Assert.True(token is not null, activated.ToString());
        Assert.Equal("ACTIVE", (await Http.PostAsync(RawGraphQL.ReadVault, new { id = fixture.VaultId(index) }, token)).Field("vault")!["status"]!.GetValue<string>());

        var recorded = await Http.PostAsync(RawGraphQL.Oppose, new { input = new { nir = person.Nir } }, E2e.OperatorToken());
        var receipt = recorded.Field("recordOpposition")?["receipt"];
        Assert.True(receipt is JsonObject, recorded.ToString());
        Assert.True(receipt!["vaultClosed"]!.GetValue<bool>());
        Assert.Equal(0, receipt["codesRevoked"]!.GetValue<int>());
        Assert.Equal((short)PersonStatus.Closed, await Db.PersonStatusAsync(person));
        Assert.Equal((short)OppositionChannel.Operator, await Db.ScalarAsync<short>("SELECT channel FROM opposition WHERE nir_hash = $1", E2e.NirHash(person.Nir)));

        var read = await Http.PostAsync(RawGraphQL.ReadVault, new { id = fixture.VaultId(index) }, token);
        output.WriteLine("the person's token after the operator's opposition: " + read.Body);
        Assert.Equal("CLOSED", read.Field("vault")!["status"]!.GetValue<string>());
        var documents = await Http.PostAsync("query($id: ID!) { vault(id: $id) { documents(first: 5) { totalCount } } }", new { id = fixture.VaultId(index) }, token);
        output.WriteLine("documents of the closed vault: " + documents.Body);
        Assert.True(documents.Json["errors"] is JsonArray { Count: > 0 } || documents.Field("vault")?["documents"] is null, documents.ToString());
    }

    /// <summary>
    /// <c>coffre opposition</c> records the opposition in the registry and, the person having activated, closes the
    /// vault through the cluster (an Orleans client), so a vault in use closes at once.
    /// </summary>
    [Fact]
    public async Task Opposition_by_phone_through_the_cli_after_activation_closes_the_vault_the_person_is_using()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var activated = await Http.ActivateAsync(person, await Db.CodeOfAsync(person));
        var token = activated.Field("activateVault")?["session"]?["token"]?.GetValue<string>();
        Assert.True(token is not null, activated.ToString());
        Assert.Equal("ACTIVE", (await Http.PostAsync(RawGraphQL.ReadVault, new { id = fixture.VaultId(index) }, token)).Field("vault")!["status"]!.GetValue<string>());

        var command = await CoffreCli.RunAsync(fixture.Cli, TimeSpan.FromMinutes(2), "opposition", "--nir", person.Nir, "--by", "operator:phone-e2e");
        output.WriteLine("coffre opposition (after activation): " + command);
        Assert.True(command.ExitCode == 0, command.ToString());
        Assert.True(command.Json["vaultClosed"]!.GetValue<bool>(), command.ToString());
        Assert.True(command.Json["vaultClosedNow"]!.GetValue<bool>(), command.ToString());
        Assert.Equal((short)PersonStatus.Closed, await Db.PersonStatusAsync(person));

        // The command says the vault is closed: the person, still signed in, must see it closed.
        var read = await Http.PostAsync(RawGraphQL.ReadVault, new { id = fixture.VaultId(index) }, token);
        output.WriteLine("the person's token after the CLI opposition: " + read.Body);
        Assert.Equal("CLOSED", read.Field("vault")?["status"]?.GetValue<string>());
    }
}
