using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Xunit;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// One person, one vault, and a way in for everyone, over real HTTP against one <c>coffre silo</c> process after a
/// national import: a referent opening an imported person's vault by NIR, activation racing with it, hand-over sheets,
/// attachNir conflicts and the operator merge.
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class IdentityOverHttpTests(NationalRolloutFixture fixture) : IClassFixture<NationalRolloutFixture>
{
    private const string OpenVault = """
        mutation Open($input: OpenVaultInput!) { openVault(input: $input) { vault { vaultId status } userErrors { code field message } } }
        """;

    private const string VaultByNir = """
        query ByNir($nir: Nir!) { vaultByNir(nir: $nir) { vaultId status } }
        """;

    private const string Documents = """
        query Docs($id: ID!) { vault(id: $id) { status documents(first: 50) { totalCount nodes { documentId title } } } }
        """;

    private const string IssueHandOver = """
        mutation Issue($input: IssueHandOverInput!) { issueHandOver(input: $input) { sheet { vaultId reference code expiresAt } userErrors { code field } } }
        """;

    private const string ActivateWithHandOver = """
        mutation HandOver($input: ActivateWithHandOverInput!) { activateWithHandOver(input: $input) { session { vaultId token } userErrors { code field message } } }
        """;

    private const string SignIn = """
        mutation SignIn($input: SignInInput!) { signIn(input: $input) { session { vaultId token } userErrors { code field message } } }
        """;

    private const string AttachNir = """
        mutation Attach($input: AttachNirInput!) { attachNir(input: $input) { vault { vaultId } userErrors { code field message } } }
        """;

    private const string MergeVaults = """
        mutation Merge($input: MergeVaultsInput!) { mergeVaults(input: $input) { merge { sourceVaultId targetVaultId documentsMoved } userErrors { code field message } } }
        """;

    private const string History = """
        query History($id: ID!) { vault(id: $id) { status accessHistory(first: 200) { nodes { operation allowed actorKind actorId } } } }
        """;

    private RawGraphQL Http => fixture.Http;
    private RolloutDatabase Db => fixture.Db;

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static object OpenInput(PersonRecord? person, DateOnly birth, string? nir) => new
    {
        input = new
        {
            identity = new { familyName = person?.FamilyName ?? "Sans", givenNames = person?.GivenNames ?? "Domicile", birthDate = Date(birth), sex = "FEMALE" },
            nir,
            consent = new { method = "SIGNED_PAPER", expiresAt = DateTimeOffset.UtcNow.AddYears(1).ToString("O"), evidence = "form CCAS 2026-17" },
        },
    };

    private Task<JsonNode> OkAsync(string query, object variables, string token, string field) => OkAsync(Http, query, variables, token, field);

    private static async Task<JsonNode> OkAsync(RawGraphQL http, string query, object variables, string token, string field)
    {
        var response = await http.PostAsync(query, variables, token);
        Assert.True(response.Status == 200 && response.Json["errors"] is null, response.ToString());
        return response.Field(field)!;
    }

    private Task<(string Token, string Rpps)> SocialWorkerAsync() => SocialWorkerAsync(Http);

    /// <summary>A social worker the directory knows (registered by a directory-admin operator), with their token.</summary>
    private static async Task<(string Token, string Rpps)> SocialWorkerAsync(RawGraphQL http)
    {
        var (token, rpps) = E2e.SocialWorkerToken();
        var registered = await OkAsync(http, """
            mutation($i: RegisterProfessionalInput!) { registerProfessional(input: $i) { professional { rpps } userErrors { field message } } }
            """, new { i = new { rpps, displayName = "Mme Diallo", professionCode = "SOC-AS", sector = "SOCIAL" } }, E2e.OperatorToken(), "registerProfessional");
        Assert.Equal(rpps, registered["professional"]!["rpps"]!.GetValue<string>());
        return (token, rpps);
    }

    private async Task UploadAsync(string vaultId, string token, string title)
    {
        var bytes = RandomNumberGenerator.GetBytes(2_000);
        using var http = new HttpClient { BaseAddress = fixture.Cluster.Silos[0].BaseAddress };
        using var form = new MultipartFormDataContent();
        form.Add(JsonContent.Create(new { title, classCode = "52", typeCode = "ATTEST-DROITS-AM", size = bytes.Length, sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)) }), "metadata");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        form.Add(file, "file", "attestation.pdf");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/vaults/{vaultId}/documents") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Referent_opens_an_imported_person_by_nir_and_the_persons_code_then_opens_that_same_vault_with_its_documents()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var registryVault = fixture.VaultId(index);
        var (social, _) = await SocialWorkerAsync();

        // Imported, not activated: vaultByNir finds the registry vault.
        var before = await OkAsync(VaultByNir, new { nir = person.Nir }, E2e.OperatorToken(), "vaultByNir");
        Assert.Equal(registryVault, before["vaultId"]!.GetValue<string>());

        var opened = await OkAsync(OpenVault, OpenInput(person, person.BirthDate, person.Nir), social, "openVault");
        Assert.True(opened["userErrors"]!.AsArray().Count == 0, opened.ToJsonString());
        Assert.Equal(registryVault, opened["vault"]!["vaultId"]!.GetValue<string>());
        await UploadAsync(registryVault, social, "Attestation de droits déposée avant activation");

        var activated = await Http.ActivateAsync(person, await Db.CodeOfAsync(person));
        var session = activated.Field("activateVault")!["session"];
        Assert.True(session is JsonObject, activated.ToString());
        Assert.Equal(registryVault, session!["vaultId"]!.GetValue<string>());

        var mine = await OkAsync(Documents, new { id = registryVault }, session["token"]!.GetValue<string>(), "vault");
        Assert.Equal("ACTIVE", mine["status"]!.GetValue<string>());
        Assert.Contains(mine["documents"]!["nodes"]!.AsArray(), d => d!["title"]!.GetValue<string>() == "Attestation de droits déposée avant activation");

        var after = await OkAsync(VaultByNir, new { nir = person.Nir }, social, "vaultByNir");
        Assert.Equal(registryVault, after["vaultId"]!.GetValue<string>());
        Assert.Equal("ACTIVE", after["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_vault_a_referent_opened_before_the_import_is_the_one_the_persons_code_activates_and_nobody_elses_activation_loads_a_claim()
    {
        // Before the import, a social worker opens a vault for a person by NIR: the registry does not know them yet, so it
        // is a new vault, and the person's identity grain records its claim first. Then the population is imported and
        // the campaign issued (on its own silo: the shared fixture's population is imported already).
        const int Size = 12;
        var people = new Population(Size);
        var claimedPerson = people.People[people.TakeAdults(1)[0]];
        string? claimedVault = null;
        await using var silo = await CampaignSilo.StartAsync("claimed", "Claimed identity", Size, E2e.SiloSettings(), async cluster =>
        {
            using var http = new RawGraphQL(cluster.Silos[0].BaseAddress);
            var (social, _) = await SocialWorkerAsync(http);
            var opened = await OkAsync(http, OpenVault, OpenInput(claimedPerson, claimedPerson.BirthDate, claimedPerson.Nir), social, "openVault");
            Assert.True(opened["userErrors"]!.AsArray().Count == 0, opened.ToJsonString());
            claimedVault = opened["vault"]!["vaultId"]!.GetValue<string>();
        });
        Assert.NotNull(claimedVault);
        Assert.NotEqual(E2e.VaultId(claimedPerson.Nir), claimedVault);
        using var api = new RawGraphQL(silo.Cluster.Silos[0].BaseAddress);
        var other = people.People[people.TakeAdults(1)[0]];
        Assert.True((await silo.Db.Store.FindValidCodeAsync(E2e.NirHash(claimedPerson.Nir)))!.IdentityClaimed);
        Assert.False((await silo.Db.Store.FindValidCodeAsync(E2e.NirHash(other.Nir)))!.IdentityClaimed);

        // The claimed person's code activates the vault the referent opened (through their identity grain), not the
        // registry vault derived from their NIR.
        var activated = await api.ActivateAsync(claimedPerson, await silo.Db.CodeOfAsync(claimedPerson));
        var session = activated.Field("activateVault")!["session"];
        Assert.True(session is JsonObject, activated.ToString());
        Assert.Equal(claimedVault, session!["vaultId"]!.GetValue<string>());
        var mine = await OkAsync(api, History, new { id = claimedVault }, session["token"]!.GetValue<string>(), "vault");
        Assert.Equal("ACTIVE", mine["status"]!.GetValue<string>());
        Assert.Contains(mine["accessHistory"]!["nodes"]!.AsArray(), n => n!["operation"]!.GetValue<string>() == "vault.activate" && n["allowed"]!.GetValue<bool>());

        // Anyone else activates their registry vault; the activation is on its chain as the vault's own grain would write it.
        var plain = await api.ActivateAsync(other, await silo.Db.CodeOfAsync(other));
        var otherSession = plain.Field("activateVault")!["session"];
        Assert.True(otherSession is JsonObject, plain.ToString());
        Assert.Equal(E2e.VaultId(other.Nir), otherSession!["vaultId"]!.GetValue<string>());
        var theirs = await OkAsync(api, History, new { id = E2e.VaultId(other.Nir) }, otherSession["token"]!.GetValue<string>(), "vault");
        Assert.Equal("ACTIVE", theirs["status"]!.GetValue<string>());
        Assert.Contains(theirs["accessHistory"]!["nodes"]!.AsArray(),
            n => n!["operation"]!.GetValue<string>() == "vault.activate" && n["allowed"]!.GetValue<bool>() && n["actorKind"]!.GetValue<string>() == "OPERATOR");
    }

    [Fact]
    public async Task OpenVault_and_activation_racing_for_the_same_person_end_in_one_vault()
    {
        const int Rounds = 12;
        var people = fixture.People.TakeAdults(Rounds);
        var codes = new List<string>();
        foreach (var i in people)
        {
            codes.Add(await Db.CodeOfAsync(fixture.Person(i)));
        }
        for (var round = 0; round < Rounds; round++)
        {
            var person = fixture.Person(people[round]);
            var registryVault = fixture.VaultId(people[round]);
            var (social, _) = await SocialWorkerAsync();
            var open = Http.PostAsync(OpenVault, OpenInput(person, person.BirthDate, person.Nir), social);
            var activate = Http.ActivateAsync(person, codes[round]);
            await Task.WhenAll(open, activate);

            var session = (await activate).Field("activateVault")!["session"];
            Assert.True(session is JsonObject, (await activate).ToString());
            Assert.Equal(registryVault, session!["vaultId"]!.GetValue<string>());
            var opened = (await open).Field("openVault")!;
            var errors = opened["userErrors"]!.AsArray();
            if (errors.Count == 0)
            {
                Assert.Equal(registryVault, opened["vault"]!["vaultId"]!.GetValue<string>());
            }
            else
            {
                Assert.Equal("CONFLICT", errors[0]!["code"]!.GetValue<string>());
            }
            var found = await OkAsync(VaultByNir, new { nir = person.Nir }, E2e.OperatorToken(), "vaultByNir");
            Assert.Equal(registryVault, found["vaultId"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Hand_over_sheet_from_issue_to_sign_in_with_uniform_refusals_lockout_and_a_second_sheet()
    {
        var (social, rpps) = await SocialWorkerAsync();
        var birth = new DateOnly(1971, 4, 9);
        var opened = await OkAsync(OpenVault, OpenInput(null, birth, null), social, "openVault");
        var vaultId = opened["vault"]!["vaultId"]!.GetValue<string>();

        var issued = await OkAsync(IssueHandOver, new { input = new { vaultId } }, social, "issueHandOver");
        var sheet = issued["sheet"]!;
        Assert.Equal(vaultId, sheet["vaultId"]!.GetValue<string>());
        var code = sheet["code"]!.GetValue<string>();

        const string Passphrase = "un long chemin vers la maison";
        object Attempt(string v, string c, DateOnly b, string p = Passphrase) => new { input = new { vaultId = v, code = c, birthDate = Date(b), passphrase = p } };

        // Wrong code, wrong birth date, unknown vault, malformed vault id: one answer.
        var wrongCode = await Http.PostAsync(ActivateWithHandOver, Attempt(vaultId, RolloutDatabase.WrongCode(code), birth));
        var wrongBirth = await Http.PostAsync(ActivateWithHandOver, Attempt(vaultId, code, birth.AddDays(1)));
        var unknown = await Http.PostAsync(ActivateWithHandOver, Attempt(Ids.NewVaultId(), code, birth));
        var malformed = await Http.PostAsync(ActivateWithHandOver, Attempt("not-a-vault", code, birth));
        Assert.Equal(["HAND_OVER_REFUSED"], wrongCode.UserErrorCodes("activateWithHandOver"));
        Assert.Equal(wrongCode.Body, wrongBirth.Body);
        Assert.Equal(wrongCode.Body, unknown.Body);
        Assert.Equal(wrongCode.Body, malformed.Body);

        var activated = await Http.PostAsync(ActivateWithHandOver, Attempt(vaultId, code.ToLowerInvariant(), birth));
        var session = activated.Field("activateWithHandOver")!["session"];
        Assert.True(session is JsonObject, activated.ToString());
        var token = session!["token"]!.GetValue<string>();
        Assert.Equal(wrongCode.Body, (await Http.PostAsync(ActivateWithHandOver, Attempt(vaultId, code, birth))).Body); // single use

        // The person sees the sheet handed over (by whom) and the attempts in their history.
        var history = await OkAsync(History, new { id = vaultId }, token, "vault");
        Assert.Equal("ACTIVE", history["status"]!.GetValue<string>());
        var events = history["accessHistory"]!["nodes"]!.AsArray();
        Assert.Contains(events, e => e!["operation"]!.GetValue<string>() == "hand-over.issue" && e["allowed"]!.GetValue<bool>() && e["actorId"]!.GetValue<string>().Contains(rpps, StringComparison.Ordinal));
        Assert.Contains(events, e => e!["operation"]!.GetValue<string>() == "vault.hand-over-activate" && !e["allowed"]!.GetValue<bool>());

        // Later: sign in with the vault id (no NIR), birth date and passphrase.
        var signedIn = await Http.PostAsync(SignIn, new { input = new { vaultId, birthDate = Date(birth), passphrase = Passphrase } });
        Assert.Equal(vaultId, signedIn.Field("signIn")!["session"]!["vaultId"]!.GetValue<string>());
        var refusedSignIn = await Http.PostAsync(SignIn, new { input = new { vaultId, birthDate = Date(birth), passphrase = "pas la bonne phrase du tout" } });
        Assert.Equal(["SIGN_IN_REFUSED"], refusedSignIn.UserErrorCodes("signIn"));

        // Lost passphrase: a second sheet (operator). Five wrong codes after the right birth date lock it.
        var second = (await OkAsync(IssueHandOver, new { input = new { vaultId } }, E2e.OperatorToken(), "issueHandOver"))["sheet"]!["code"]!.GetValue<string>();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(wrongCode.Body, (await Http.PostAsync(ActivateWithHandOver, Attempt(vaultId, RolloutDatabase.WrongCode(second), birth, "une autre phrase assez longue"))).Body);
        }
        Assert.Equal(wrongCode.Body, (await Http.PostAsync(ActivateWithHandOver, Attempt(vaultId, second, birth, "une autre phrase assez longue"))).Body);

        var third = (await OkAsync(IssueHandOver, new { input = new { vaultId } }, social, "issueHandOver"))["sheet"]!["code"]!.GetValue<string>();
        var recovered = await Http.PostAsync(ActivateWithHandOver, Attempt(vaultId, third, birth, "une autre phrase assez longue"));
        Assert.True(recovered.Field("activateWithHandOver")!["session"] is JsonObject, recovered.ToString());
        var newSignIn = await Http.PostAsync(SignIn, new { input = new { vaultId, birthDate = Date(birth), passphrase = "une autre phrase assez longue" } });
        Assert.Equal(vaultId, newSignIn.Field("signIn")!["session"]!["vaultId"]!.GetValue<string>());
        var oldSignIn = await Http.PostAsync(SignIn, new { input = new { vaultId, birthDate = Date(birth), passphrase = Passphrase } });
        Assert.Equal(["SIGN_IN_REFUSED"], oldSignIn.UserErrorCodes("signIn"));
    }

    [Fact]
    public async Task AttachNir_conflicts_with_the_persons_vault_and_the_operator_merge_brings_the_documents_to_it()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var registryVault = fixture.VaultId(index);
        var (social, _) = await SocialWorkerAsync();

        // Opened without a NIR (the person had no papers that day), a document deposited.
        var sourceId = (await OkAsync(OpenVault, OpenInput(person, person.BirthDate, null), social, "openVault"))["vault"]!["vaultId"]!.GetValue<string>();
        await UploadAsync(sourceId, social, "Domiciliation CCAS");

        var attach = await OkAsync(AttachNir, new { input = new { vaultId = sourceId, nir = person.Nir } }, social, "attachNir");
        var error = Assert.Single(attach["userErrors"]!.AsArray());
        Assert.Equal(("CONFLICT", "nir"), (error!["code"]!.GetValue<string>(), error["field"]!.GetValue<string>()));

        var notOperator = await Http.PostAsync(MergeVaults, new { input = new { sourceVaultId = sourceId, targetVaultId = registryVault, reason = "même personne, pièce d'identité vue" } }, social);
        Assert.Contains("FORBIDDEN", notOperator.ErrorCodes);
        var merged = await OkAsync(MergeVaults, new { input = new { sourceVaultId = sourceId, targetVaultId = registryVault, reason = "même personne, pièce d'identité vue" } }, E2e.OperatorToken(), "mergeVaults");
        Assert.Equal(1, merged["merge"]!["documentsMoved"]!.GetValue<int>());

        var session = (await Http.ActivateAsync(person, await Db.CodeOfAsync(person))).Field("activateVault")!["session"]!;
        Assert.Equal(registryVault, session["vaultId"]!.GetValue<string>());
        var mine = await OkAsync(Documents, new { id = registryVault }, session["token"]!.GetValue<string>(), "vault");
        Assert.Contains(mine["documents"]!["nodes"]!.AsArray(), d => d!["title"]!.GetValue<string>() == "Domiciliation CCAS");
        var targetHistory = await OkAsync(History, new { id = registryVault }, session["token"]!.GetValue<string>(), "vault");
        Assert.Contains(targetHistory["accessHistory"]!["nodes"]!.AsArray(), e => e!["operation"]!.GetValue<string>() == "vault.merge-in");

        var source = await OkAsync(History, new { id = sourceId }, E2e.Token("patient", sourceId), "vault");
        Assert.Equal("CLOSED", source["status"]!.GetValue<string>());
        Assert.Contains(source["accessHistory"]!["nodes"]!.AsArray(), e => e!["operation"]!.GetValue<string>() == "vault.merge-out");
    }
}
