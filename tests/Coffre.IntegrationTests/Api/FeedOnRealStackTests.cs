using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Coffre.Domain.Identifiers;
using Coffre.IntegrationTests.Cluster;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;

namespace Coffre.IntegrationTests.Api;

/// <summary>
/// The bulk feed (<c>POST /feeds/documents</c>) on the real stack: a <c>coffre silo</c> process whose grain state,
/// audit and outbox are in PostgreSQL and whose content store is Azurite. A hospital (category 355) registered by a
/// directory-admin operator feeds people a social worker opened vaults for with their NIR: what is accepted is one blob
/// whose bytes come back with the same SHA-256 and one <c>document.feed</c> event in the person's audit chain; a
/// duplicate, an unknown NIR and an opposed person store nothing; the establishment's counters add up.
/// </summary>
public sealed class FeedOnRealStackTests : IAsyncLifetime
{
    private const string Report = "CR de séjour";
    private LocalCluster _cluster = null!;
    private HttpClient _http = null!;
    private GraphQLHttpClient _operator = null!;
    private BlobContainerClient _container = null!;
    private string _finess = "";
    private string _system = "";

    public async Task InitializeAsync()
    {
        _cluster = await LocalCluster.StartAsync(silos: 1, gateway: false);
        _http = new HttpClient { BaseAddress = _cluster.Silos[0].BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _operator = new GraphQLHttpClient(_cluster.Silos[0].BaseAddress, _cluster.OperatorToken(), TimeSpan.FromSeconds(60));
        _container = new BlobServiceClient(TestServices.Blob).GetBlobContainerClient(_cluster.BlobContainer);
        _finess = NewFiness();
        var registered = await _operator.DataAsync("""
            mutation($i: RegisterEstablishmentInput!) { registerEstablishment(input: $i) { establishment { finess } userErrors { code field message } } }
            """, new { i = new { finess = _finess, name = "Centre hospitalier de test", kind = "LEGAL_ENTITY", categoryCode = "355", sector = "HEALTH" } });
        Assert.Equal(_finess, registered["registerEstablishment"]!["establishment"]?["finess"]?.GetValue<string>());
        // What the token verb (and client credentials at Coffre's provider) gives an establishment's system.
        _system = _cluster.Token("establishment", "dpi-test", finess: _finess);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _operator.Dispose();
        await _cluster.DisposeAsync();
        await _container.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task Feed_stores_one_blob_per_accepted_document_audits_it_and_stores_nothing_for_duplicates_unknown_or_opposed_people()
    {
        using var social = await SocialWorkerAsync();
        var (nir, vaultId) = await OpenVaultAsync(social);
        var unknownNir = NewNir();
        var content = Pdf();
        var accepted = new FeedItem("DPI-0001", nir, content);
        var unknown = new FeedItem("DPI-0002", unknownNir, Pdf());

        // (1) One person known by NIR, one not.
        var first = await FeedAsync(accepted, unknown);
        Assert.Equal(["ACCEPTED", "REFUSED"], Statuses(first));
        var documentId = first[0]!["documentId"]!.GetValue<string>();
        Assert.Equal(vaultId, first[0]!["vaultId"]!.GetValue<string>());
        Assert.Equal("UNKNOWN_PERSON", first[1]!["code"]!.GetValue<string>());
        Assert.Equal("items[1].nir", first[1]!["field"]!.GetValue<string>());
        Assert.Null(first[1]!["documentId"]);

        // (2) The same request again: the first document, nothing stored again.
        var again = await FeedAsync(accepted, unknown);
        Assert.Equal(["DUPLICATE", "REFUSED"], Statuses(again));
        Assert.Equal(documentId, again[0]!["documentId"]!.GetValue<string>());
        Assert.Equal("UNKNOWN_PERSON", again[1]!["code"]!.GetValue<string>());

        // On Azurite: exactly the accepted document's blob, under its key; nothing for anyone else.
        Assert.Equal(1, await TestServices.CountBlobsAsync(_container, $"vaults/{vaultId}/"));
        Assert.True(await _container.GetBlobClient($"vaults/{vaultId}/{documentId}").ExistsAsync());
        Assert.Equal(1, await TestServices.CountBlobsAsync(_container, "vaults/"));

        // The person downloads the same bytes (hash checked both ways).
        using (var download = new HttpRequestMessage(HttpMethod.Get, $"/vaults/{vaultId}/documents/{documentId}/content"))
        {
            download.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _cluster.Token("patient", vaultId));
            using var response = await _http.SendAsync(download);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(Sha256(content), Sha256(bytes));
            Assert.Equal($"\"{Sha256(content)}\"", response.Headers.ETag!.Tag);
        }

        // In PostgreSQL: the person's audit chain has the deposit once, allowed, naming the document, and the chain verifies.
        Assert.Equal(1L, await AuditedFeedsAsync(vaultId, $"document:{documentId}"));
        using var person = Person(vaultId);
        var history = await person.DataAsync("""
            query($id: ID!) { vault(id: $id) { accessHistory(first: 50) { nodes { operation actorKind actorRole basis allowed target } } } }
            """, new { id = vaultId });
        var fed = history["vault"]!["accessHistory"]!["nodes"]!.AsArray().Where(e => e!["operation"]!.GetValue<string>() == "document.feed").ToList();
        Assert.Single(fed);
        Assert.Equal($"finess:{_finess}", fed[0]!["actorRole"]!.GetValue<string>());
        Assert.Equal("ESTABLISHMENT", fed[0]!["actorKind"]!.GetValue<string>());
        Assert.Equal("FEED", fed[0]!["basis"]!.GetValue<string>());
        Assert.Equal($"document:{documentId}", fed[0]!["target"]!.GetValue<string>());
        var verified = await _operator.DataAsync("""
            mutation($i: VaultRefInput!) { verifyAuditChain(input: $i) { report { intact problem } } }
            """, new { i = new { vaultId } });
        Assert.True(verified["verifyAuditChain"]!["report"]!["intact"]!.GetValue<bool>(), verified.ToJsonString());

        var statistics = await StatisticsAsync();
        Assert.Equal(2L, statistics["requests"]!.GetValue<long>());
        Assert.Equal(1L, statistics["accepted"]!.GetValue<long>());
        Assert.Equal(1L, statistics["duplicate"]!.GetValue<long>());
        Assert.Equal(new Dictionary<string, long> { ["UNKNOWN_PERSON"] = 2 }, Refused(statistics));

        // (3) A second person opposes after their vault was opened: refused, nothing stored, nothing audited as a deposit.
        var (opposedNir, opposedVault) = await OpenVaultAsync(social);
        var opposition = await _operator.DataAsync("""
            mutation($i: RecordOppositionInput!) { recordOpposition(input: $i) { receipt { receiptId } userErrors { code field message } } }
            """, new { i = new { nir = opposedNir } });
        Assert.Empty(opposition["recordOpposition"]!["userErrors"]!.AsArray());
        var opposed = await FeedAsync(new FeedItem("DPI-0003", opposedNir, Pdf()));
        Assert.Equal(["REFUSED"], Statuses(opposed));
        Assert.Equal("OPPOSED", opposed[0]!["code"]!.GetValue<string>());
        Assert.Null(opposed[0]!["documentId"]);
        Assert.Equal(0, await TestServices.CountBlobsAsync(_container, $"vaults/{opposedVault}/"));
        Assert.Equal(1, await TestServices.CountBlobsAsync(_container, "vaults/"));
        Assert.Equal(0L, await AuditedFeedsAsync(opposedVault, null));

        statistics = await StatisticsAsync();
        Assert.Equal(3L, statistics["requests"]!.GetValue<long>());
        Assert.Equal(1L, statistics["accepted"]!.GetValue<long>());
        Assert.Equal(1L, statistics["duplicate"]!.GetValue<long>());
        Assert.Equal(new Dictionary<string, long> { ["OPPOSED"] = 1, ["UNKNOWN_PERSON"] = 2 }, Refused(statistics));
    }

    private sealed record FeedItem(string ExternalId, string Nir, byte[] Content);

    /// <summary>One feed request (manifest, then each document's part) as the establishment's system; returns its items.</summary>
    private async Task<JsonArray> FeedAsync(params FeedItem[] items)
    {
        using var form = new MultipartFormDataContent();
        form.Add(JsonContent.Create(new
        {
            items = items.Select((item, i) => new
            {
                externalId = item.ExternalId,
                nir = item.Nir,
                title = Report,
                classCode = "10",
                typeCode = "34112-3",
                part = $"doc{i}",
                size = item.Content.Length,
                sha256 = Sha256(item.Content),
            }),
        }), "manifest", "manifest.json");
        for (var i = 0; i < items.Length; i++)
        {
            var file = new ByteArrayContent(items[i].Content);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
            form.Add(file, $"doc{i}", $"doc{i}.pdf");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "/feeds/documents") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _system);
        using var response = await _http.SendAsync(request);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body.ToJsonString()}");
        return body["data"]!["items"]!.AsArray();
    }

    private static string[] Statuses(JsonArray items) => [.. items.Select(i => i!["status"]!.GetValue<string>())];

    private async Task<JsonObject> StatisticsAsync()
    {
        using var system = new GraphQLHttpClient(_cluster.Silos[0].BaseAddress, _system, TimeSpan.FromSeconds(60));
        var data = await system.DataAsync("""
            query($f: Finess!) { establishment(finess: $f) { feedStatistics { requests accepted duplicate refused { code count } } } }
            """, new { f = _finess });
        return data["establishment"]!["feedStatistics"]!.AsObject();
    }

    private static Dictionary<string, long> Refused(JsonObject statistics) =>
        statistics["refused"]!.AsArray().ToDictionary(r => r!["code"]!.GetValue<string>(), r => r!["count"]!.GetValue<long>());

    /// <summary>Allowed <c>document.feed</c> events in the vault's audit chain (of this target, or any).</summary>
    private Task<long> AuditedFeedsAsync(string vaultId, string? target) =>
        TestServices.ScalarAsync<long>(_cluster.ConnectionString,
            $"SELECT count(*) FROM audit_event WHERE vault_id = '{vaultId}' AND operation = 'document.feed' AND allowed" +
            (target is null ? "" : $" AND target = '{target}'"));

    private GraphQLHttpClient Person(string vaultId) => new(_cluster.Silos[0].BaseAddress, _cluster.Token("patient", vaultId), TimeSpan.FromSeconds(60));

    /// <summary>A social worker registered in the directory (the directory decides professionals).</summary>
    private async Task<GraphQLHttpClient> SocialWorkerAsync()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9", CultureInfo.InvariantCulture);
        var rpps = body + Luhn.CheckDigit(body);
        var registered = await _operator.DataAsync("""
            mutation($i: RegisterProfessionalInput!) { registerProfessional(input: $i) { professional { rpps } userErrors { field message } } }
            """, new { i = new { rpps, displayName = "Mme Diallo", professionCode = "SOC-AS", sector = "SOCIAL" } });
        Assert.Equal(rpps, registered["registerProfessional"]!["professional"]?["rpps"]?.GetValue<string>());
        return new GraphQLHttpClient(_cluster.Silos[0].BaseAddress, _cluster.Token("professional", "sw-" + rpps, rpps, "SOC-AS"), TimeSpan.FromSeconds(60));
    }

    /// <summary>A vault the social worker opens with the person's NIR; returns the NIR and the vault id.</summary>
    private static async Task<(string Nir, string VaultId)> OpenVaultAsync(GraphQLHttpClient social)
    {
        var nir = NewNir();
        var opened = await social.DataAsync("""
            mutation($i: OpenVaultInput!) { openVault(input: $i) { vault { vaultId status } userErrors { code field message } } }
            """, new { i = new { identity = new { familyName = "Nguyen", givenNames = "Lan", birthDate = "1990-02-03", sex = "FEMALE" }, nir,
                consent = new { method = "SIGNED_PAPER", expiresAt = DateTimeOffset.UtcNow.AddMonths(6), evidence = "form 7" } } });
        Assert.Empty(opened["openVault"]!["userErrors"]!.AsArray());
        Assert.Equal("ACTIVE", opened["openVault"]!["vault"]!["status"]!.GetValue<string>());
        return (nir, opened["openVault"]!["vault"]!["vaultId"]!.GetValue<string>());
    }

    private static string NewFiness()
    {
        var body = "75" + Random.Shared.Next(0, 999_999).ToString("D6", CultureInfo.InvariantCulture);
        return body + Luhn.CheckDigit(body);
    }

    /// <summary>A valid NIR of a woman born in February 1990 in Paris (as the opened identity), then its key.</summary>
    private static string NewNir()
    {
        var body = "2900275" + Random.Shared.Next(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        return body + Nir.ComputeKey(body).ToString("D2", CultureInfo.InvariantCulture);
    }

    private static byte[] Pdf() => [.. "%PDF-1.7\n"u8, .. RandomNumberGenerator.GetBytes(4096)];

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
