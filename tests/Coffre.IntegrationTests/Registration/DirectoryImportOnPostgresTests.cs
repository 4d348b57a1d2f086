using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Coffre.Domain.Directory;
using Coffre.IntegrationTests.Cluster;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;

namespace Coffre.IntegrationTests.Registration;

/// <summary>
/// Registration by list and by API against a real silo process on PostgreSQL and Azurite: the <c>coffre directory
/// import</c> command (an Orleans client of the cluster) stopped midway and run again, the HTTP upload, and the bulk
/// mutation's idempotency kept in PostgreSQL grain state.
/// </summary>
public sealed class DirectoryImportOnPostgresTests : IAsyncLifetime
{
    private const int Establishments = 60;
    private const int Professionals = 90;

    private LocalCluster _cluster = null!;
    private HttpClient _http = null!;
    private string _folder = "";

    public async Task InitializeAsync()
    {
        _cluster = await LocalCluster.StartAsync(silos: 1, gateway: false);
        _http = new HttpClient { BaseAddress = _cluster.Silos[0].BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        _folder = System.IO.Directory.CreateTempSubdirectory("coffre-directory-").FullName;
        using (var writer = new StreamWriter(Path.Combine(_folder, "establishments.csv")))
        {
            SyntheticDirectory.WriteEstablishments(writer, Establishments, seed: 11);
        }
        using (var writer = new StreamWriter(Path.Combine(_folder, "professionals.csv")))
        {
            SyntheticDirectory.WriteProfessionals(writer, Professionals, Establishments, seed: 11);
            // One row naming an establishment nobody registered, one with a wrong check digit.
            var stranger = SyntheticDirectory.Professional(Professionals, 0, seed: 11) with
            {
                Memberships = [new MembershipTerms(SyntheticDirectory.FinessOf(Establishments + 5), null, null, null, false)],
            };
            writer.Write(DirectoryCsv.Format(stranger) + "\n");
            writer.Write("10000000008;Dr Faux;10;HEALTH;\n");
        }
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
        System.IO.Directory.Delete(_folder, recursive: true);
    }

    private async Task<JsonObject> ImportAsync(string kind, params string[] extra)
    {
        var file = Path.Combine(_folder, kind + ".csv");
        var (exitCode, output) = await CoffreProcess.RunToExitAsync("directory", _cluster.Environment, TimeSpan.FromMinutes(3),
            ["import", "--kind", kind, "--file", file, "--chunk-size", "20", .. extra]);
        Assert.True(exitCode == 0, output);
        // stdout holds the result (JSON); progress lines (stderr) may come before it.
        var json = output[(output.StartsWith('{') ? 0 : output.LastIndexOf("\n{", StringComparison.Ordinal) + 1)..];
        return JsonNode.Parse(json[..(json.IndexOf("\n}", StringComparison.Ordinal) + 2)])!.AsObject();
    }

    private static long Long(JsonObject o, string name) => o[name]!.GetValue<long>();

    [Fact]
    public async Task Import_stopped_midway_resumes_and_reports_every_line_once()
    {
        var establishments = await ImportAsync("establishments");
        Assert.Equal((Establishments, 0L, true), (Long(establishments, "accepted"), Long(establishments, "rejected"), establishments["complete"]!.GetValue<bool>()));

        // Interrupted after 40 rows (two chunks), then run again with the same file.
        var stopped = await ImportAsync("professionals", "--max-rows", "40");
        Assert.Equal((40L, false), (Long(stopped, "linesDone"), stopped["complete"]!.GetValue<bool>()));
        var resumed = await ImportAsync("professionals");
        Assert.Equal((40L, Professionals + 2L, true), (Long(resumed, "resumedAt"), Long(resumed, "linesDone"), resumed["complete"]!.GetValue<bool>()));
        Assert.Equal((Professionals, 2L), (Long(resumed, "accepted"), Long(resumed, "rejected")));
        var again = await ImportAsync("professionals");
        Assert.True(again["alreadyComplete"]!.GetValue<bool>());

        var report = await File.ReadAllLinesAsync(Path.Combine(_folder, "professionals.csv.report.csv"));
        Assert.Equal(DirectoryCsv.ReportHeader, report[0]);
        Assert.Equal(Enumerable.Range(2, Professionals + 2).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), report.Skip(1).Select(l => l.Split(';')[0]));
        Assert.EndsWith(";REJECTED;memberships[0].finess;names no registered establishment", report[^2], StringComparison.Ordinal);
        Assert.EndsWith(";REJECTED;identifier;has a wrong check digit (Luhn)", report[^1], StringComparison.Ordinal);

        // One state row per professional in PostgreSQL: re-registration never duplicates.
        Assert.Equal(Professionals, await TestServices.ScalarAsync<long>(_cluster.ConnectionString,
            "SELECT count(*) FROM orleans_storage WHERE graintypestring = 'professional-v1'"));

        // The upload: the same list over HTTP, now all UNCHANGED (two REJECTED).
        var uploaded = await UploadAsync("professionals", await File.ReadAllBytesAsync(Path.Combine(_folder, "professionals.csv")), _cluster.OperatorToken());
        Assert.Equal(HttpStatusCode.OK, uploaded.Status);
        Assert.Equal((Professionals, 2L, 0L), (Long(uploaded.Body, "unchanged"), Long(uploaded.Body, "rejected"), Long(uploaded.Body, "accepted")));
        Assert.Equal(Professionals + 2, uploaded.Body["rows"]!.AsArray().Count);

        var tooBig = await UploadAsync("establishments", new byte[5 * 1024 * 1024], _cluster.OperatorToken());
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "VALIDATION", "body"), (tooBig.Status, Code(tooBig.Body), Field(tooBig.Body)));
        var header = await UploadAsync("establishments", Encoding.UTF8.GetBytes("finess;name\n"), _cluster.OperatorToken());
        Assert.Equal((HttpStatusCode.BadRequest, "header"), (header.Status, Field(header.Body)));
    }

    [Fact]
    public async Task Bulk_mutation_is_idempotent_on_postgres()
    {
        var token = _cluster.OperatorToken();
        var establishment = SyntheticDirectory.Establishment(0, seed: 99);
        var professional = SyntheticDirectory.Professional(0, 1, seed: 99);
        object Input(string name) => new
        {
            idempotencyKey = "bulk-1",
            establishments = new[] { new { finess = establishment.Finess, name = establishment.Name, kind = "LEGAL_ENTITY", categoryCode = establishment.CategoryCode, sector = "HEALTH", town = establishment.Town, postalCode = establishment.PostalCode } },
            professionals = new[]
            {
                new
                {
                    identifier = professional.Identifier, displayName = name, professionCode = professional.ProfessionCode,
                    sector = DirectoryCsv.SectorName(professional.Sector),
                    memberships = new[] { new { finess = establishment.Finess, role = "médecin", startsAt = "2025-01-01T00:00:00Z" } },
                },
            },
        };
        const string Mutation = """
            mutation($i: RegisterDirectoryEntriesInput!) { registerDirectoryEntries(input: $i) {
              report { replayed accepted updated unchanged rejected establishments { outcome field } professionals { key outcome field rule } }
              userErrors { code field message } } }
            """;
        var first = (await GraphQLAsync(token, Mutation, new { i = Input("Hélène Dupré") }))["registerDirectoryEntries"]!;
        Assert.Equal((false, 2), (first["report"]!["replayed"]!.GetValue<bool>(), first["report"]!["accepted"]!.GetValue<int>()));
        var replay = (await GraphQLAsync(token, Mutation, new { i = Input("Hélène Dupré") }))["registerDirectoryEntries"]!;
        Assert.True(replay["report"]!["replayed"]!.GetValue<bool>());
        Assert.Equal("ACCEPTED", replay["report"]!["professionals"]![0]!["outcome"]!.GetValue<string>());
        var conflict = (await GraphQLAsync(token, Mutation, new { i = Input("Autre") }))["registerDirectoryEntries"]!;
        Assert.Equal(("IDEMPOTENCY_CONFLICT", "idempotencyKey"), (conflict["userErrors"]![0]!["code"]!.GetValue<string>(), conflict["userErrors"]![0]!["field"]!.GetValue<string>()));
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(_cluster.ConnectionString, "SELECT count(*) FROM orleans_storage WHERE graintypestring = 'directory-bulk-v1'"));
    }

    private static string Code(JsonObject body) => body["errors"]![0]!["extensions"]!["code"]!.GetValue<string>();

    private static string? Field(JsonObject body) => body["errors"]![0]!["extensions"]!["field"]?.GetValue<string>();

    private async Task<(HttpStatusCode Status, JsonObject Body)> UploadAsync(string kind, byte[] body, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/directory/imports/{kind}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private async Task<JsonObject> GraphQLAsync(string token, string query, object variables)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(body["errors"] is null, body.ToJsonString());
        return body["data"]!.AsObject();
    }
}
