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
/// Upload and download through a real silo process whose content store is Azurite and whose grain state,
/// audit and outbox are in PostgreSQL: the hash is checked both ways, and every rejected upload leaves no blob.
/// </summary>
public sealed class DocumentContentOnAzuriteTests : IAsyncLifetime
{
    private LocalCluster _cluster = null!;
    private HttpClient _http = null!;
    private BlobContainerClient _container = null!;
    private string _vaultId = "";
    private string _social = "";

    public async Task InitializeAsync()
    {
        _cluster = await LocalCluster.StartAsync(silos: 1, gateway: false, new Dictionary<string, string>
        {
            ["Coffre__Vaults__MaxDocumentBytes"] = "200000",
            ["Coffre__Vaults__QuotaBytes"] = "300000",
        });
        _http = new HttpClient { BaseAddress = _cluster.Silos[0].BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _container = new BlobServiceClient(TestServices.Blob).GetBlobContainerClient(_cluster.BlobContainer);
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        var rpps = body + Luhn.CheckDigit(body);
        // The directory decides professionals: register the social worker first (the operator token has every role).
        var registered = await GraphQLAsync(_cluster.Token("operator", "op-1"), """
            mutation($i: RegisterProfessionalInput!) { registerProfessional(input: $i) { professional { rpps } userErrors { field message } } }
            """, new { i = new { rpps, displayName = "Mme Diallo", professionCode = "SOC-AS", sector = "SOCIAL" } });
        Assert.Equal(rpps, registered["registerProfessional"]!["professional"]!["rpps"]!.GetValue<string>());
        _social = _cluster.Token("professional", "sw-1", rpps, "SOC-AS");
        var opened = await GraphQLAsync(_social, """
            mutation($i: OpenVaultInput!) { openVault(input: $i) { vault { vaultId } userErrors { field message } } }
            """, new { i = new { identity = new { familyName = "Nguyen", givenNames = "Lan", birthDate = "1990-02-03", sex = "FEMALE" },
                consent = new { method = "SIGNED_PAPER", expiresAt = DateTimeOffset.UtcNow.AddMonths(6), evidence = "form 7" } } });
        _vaultId = opened["openVault"]!["vault"]!["vaultId"]!.GetValue<string>();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
        await _container.DeleteIfExistsAsync();
    }

    private async Task<JsonObject> GraphQLAsync(string token, string query, object variables)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        var json = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(json["errors"] is null, json.ToJsonString());
        return json["data"]!.AsObject();
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> UploadAsync(byte[] bytes, string contentType, string? declaredSha = null, long? declaredSize = null, string typeCode = "ATTEST-DROITS-AM", string classCode = "52")
    {
        using var form = new MultipartFormDataContent();
        form.Add(JsonContent.Create(new
        {
            title = "Attestation de droits",
            classCode,
            typeCode,
            size = declaredSize ?? bytes.Length,
            sha256 = declaredSha ?? Convert.ToHexStringLower(SHA256.HashData(bytes)),
        }), "metadata");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", "attestation");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/vaults/{_vaultId}/documents") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _social);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!);
    }

    private Task<int> BlobCountAsync() => TestServices.CountBlobsAsync(_container, $"vaults/{_vaultId}/");

    [Fact]
    public async Task Round_trip_keeps_bytes_and_hash_and_rejections_store_nothing()
    {
        var bytes = RandomNumberGenerator.GetBytes(150_000);
        var (status, body) = await UploadAsync(bytes, "application/pdf");
        Assert.Equal(HttpStatusCode.Created, status);
        var path = body["data"]!["downloadPath"]!.GetValue<string>();
        Assert.Equal(1, await BlobCountAsync());

        var patient = _cluster.Token("patient", _vaultId);
        using (var download = new HttpRequestMessage(HttpMethod.Get, path))
        {
            download.Headers.Authorization = new AuthenticationHeaderValue("Bearer", patient);
            using var response = await _http.SendAsync(download);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var downloaded = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(bytes, downloaded);
            Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))}\"", response.Headers.ETag!.Tag);
        }

        var small = RandomNumberGenerator.GetBytes(1000);
        var wrongHash = await UploadAsync(small, "application/pdf", declaredSha: Convert.ToHexStringLower(SHA256.HashData([1, 2, 3])));
        Assert.Equal(HttpStatusCode.BadRequest, wrongHash.Status);
        Assert.Equal("sha256", wrongHash.Body["errors"]![0]!["extensions"]!["field"]!.GetValue<string>());

        var oversized = await UploadAsync(RandomNumberGenerator.GetBytes(250_000), "application/pdf");
        Assert.Equal("size", oversized.Body["errors"]![0]!["extensions"]!["field"]!.GetValue<string>());

        var forbidden = await UploadAsync(small, "application/x-msdownload");
        Assert.Equal("contentType", forbidden.Body["errors"]![0]!["extensions"]!["field"]!.GetValue<string>());

        var lying = await UploadAsync(RandomNumberGenerator.GetBytes(2000), "application/pdf", declaredSize: 1000);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, lying.Status);

        var quota = await UploadAsync(RandomNumberGenerator.GetBytes(160_000), "application/pdf");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, quota.Status);
        Assert.Equal("QUOTA_EXCEEDED", quota.Body["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());

        Assert.Equal(1, await BlobCountAsync());
        var documents = await GraphQLAsync(patient, "query($id: ID!) { vault(id: $id) { documentCount usedBytes } }", new { id = _vaultId });
        Assert.Equal(1, documents["vault"]!["documentCount"]!.GetValue<int>());
        Assert.Equal(150_000, documents["vault"]!["usedBytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task Tampered_blob_is_not_served_as_valid_content()
    {
        var bytes = RandomNumberGenerator.GetBytes(4096);
        var (_, body) = await UploadAsync(bytes, "application/pdf");
        var documentId = body["data"]!["documentId"]!.GetValue<string>();
        var blob = _container.GetBlobClient($"vaults/{_vaultId}/{documentId}");
        var metadata = (await blob.GetPropertiesAsync()).Value.Metadata;
        bytes[10] ^= 0xFF;
        await blob.UploadAsync(new BinaryData(bytes), new Azure.Storage.Blobs.Models.BlobUploadOptions { Metadata = metadata });

        using var download = new HttpRequestMessage(HttpMethod.Get, $"/vaults/{_vaultId}/documents/{documentId}/content");
        download.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _cluster.Token("patient", _vaultId));
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () =>
        {
            using var response = await _http.SendAsync(download);
            await response.Content.ReadAsByteArrayAsync();
        });
    }
}
