using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffre.Domain.Identifiers;
using Coffre.Silo.Security;
using Microsoft.IdentityModel.Tokens;

namespace Coffre.Harness;

/// <summary>
/// Issue 10's read path on the activation phase's silo: a doctor (profession 10, registered in the directory) with a
/// grant on <see cref="HarnessOptions.ReadVaults"/> vaults, each opened by a social worker and holding
/// <see cref="HarnessOptions.ReadDocuments"/> biology reports deposited by the person through the upload endpoint.
/// Closed-loop runs of <see cref="HarnessOptions.ReadSeconds"/> at <see cref="HarnessOptions.ReadConnections"/>
/// connections, with the doctor's token: first <c>{ __typename }</c> (the same-run baseline: HTTP, token validation,
/// caller resolution and GraphQL execution with no grain call), then the vault-documents query spread over the
/// vaults, then the vault alone and the documents' count (where the documents query's cost goes). Each run is preceded
/// by a short unmeasured warm-up. With the silo's EventPipe watcher (<paramref name="siloGc"/>), each run also reports
/// the silo's collections and allocations while it lasted, as the activation runs do.
/// </summary>
public sealed class ReadPathPhase(HarnessOptions options, ResourceProbe probe, Uri baseAddress, byte[] signingKey, Action<string> say,
    SiloGcPauses? siloGc = null)
{
    public const string DocumentsQuery =
        "query Documents($id: ID!) { vault(id: $id) { documents(first: 20) { edges { node { documentId title typeCode createdAt size } } } } }";
    private const string Typename = "{ __typename }";
    private const string SummaryQuery = "query Summary($id: ID!) { vault(id: $id) { vaultId } }";
    private const string CountQuery = "query Count($id: ID!) { vault(id: $id) { documents(first: 20) { totalCount } } }";

    private readonly Uri _graphql = new(baseAddress, "/graphql");

    public async Task<JsonObject> RunAsync()
    {
        var report = new JsonObject();
        using var http = ActivationLoad.Client(Math.Max(options.ReadConnections, 8));
        var setup = await probe.BeginAsync("readSetup");
        var (doctor, vaults) = await SetUpAsync(http);
        var setupFigures = await setup.EndAsync();
        setupFigures["vaults"] = vaults.Count;
        setupFigures["documentsPerVault"] = options.ReadDocuments;
        report["setup"] = setupFigures;
        say($"read      set up {vaults.Count} vaults × {options.ReadDocuments} documents and a granted doctor in {setupFigures["seconds"]} s");

        await using var load = LoadClient.Create(options.LoadClient, baseAddress, options.ReadConnections, ActivationLoad.RequestTimeout);
        LoadRequest Post(string query, string? vault) => load.Post(_graphql.AbsolutePath, Body(query, vault), doctor);
        var baselineRequest = Post(Typename, null);
        var documentRequests = vaults.Select(v => Post(DocumentsQuery, v)).ToArray();
        var summaryRequests = vaults.Select(v => Post(SummaryQuery, v)).ToArray();
        var countRequests = vaults.Select(v => Post(CountQuery, v)).ToArray();
        var baseline = await MeasureAsync(load, "readBaseline", "{ __typename }", _ => baselineRequest, root => root.TryGetProperty("data", out var d) && d.TryGetProperty("__typename", out _));
        var documents = await MeasureAsync(load, "readDocuments", "vault documents(first: 20)", i => documentRequests[i % documentRequests.Length],
            root => !root.TryGetProperty("errors", out _) && root.GetProperty("data").GetProperty("vault").GetProperty("documents").GetProperty("edges").GetArrayLength() == options.ReadDocuments);
        report["baseline"] = baseline;
        report["documents"] = documents;
        // Where the difference goes: the same vault read without documents (grain call, decision, audit append), then
        // with the documents listed but only counted (the evaluator over the 20 documents, no nodes to serialise).
        var summary = await MeasureAsync(load, "readSummary", "vault { vaultId }", i => summaryRequests[i % summaryRequests.Length],
            root => !root.TryGetProperty("errors", out _) && root.GetProperty("data").GetProperty("vault").ValueKind == JsonValueKind.Object);
        var counted = await MeasureAsync(load, "readCount", "vault documents(first: 20) totalCount", i => countRequests[i % countRequests.Length],
            root => !root.TryGetProperty("errors", out _) && root.GetProperty("data").GetProperty("vault").GetProperty("documents").GetProperty("totalCount").GetInt32() == options.ReadDocuments);
        report["attribution"] = new JsonObject
        {
            ["summaryOnly"] = summary,
            ["documentsCounted"] = counted,
            ["notes"] = "same loop and token: vault { vaultId } (one grain call and one audit append, no documents), then documents(first: 20) { totalCount } (the list decided, no nodes serialised)",
        };
        var ratio = documents["requestsPerSecond"]!.GetValue<double>() / Math.Max(baseline["requestsPerSecond"]!.GetValue<double>(), 1e-9);
        report["ratioToBaseline"] = ResourceProbe.Round(ratio, 3);
        report["goal"] = "documents rate ≥ 0.8 × the { __typename } rate of the same server in the same run; p99 < 20 ms at 32 connections";
        report["query"] = DocumentsQuery;
        report["notes"] = "closed loop over HTTP/1.1 keep-alive connections from the harness on the same machine; the doctor's bearer token on every request (baseline included); success = HTTP 200 without errors (and the 20 edges for the documents query)";
        say($"read      documents/baseline = {ratio:F3} (goal ≥ 0.8), documents p99 {documents["latencyMs"]!["p99"]} ms (goal < 20 ms)");
        return report;
    }

    // ------------------------------------------------------------------ the scene

    private async Task<(string Doctor, List<string> Vaults)> SetUpAsync(HttpClient http)
    {
        var admin = Token("operator", "op-bench-directory", operatorRoles: "directory-admin");
        var socialRpps = NewRpps();
        var doctorRpps = NewRpps();
        await RegisterAsync(http, admin, socialRpps, "SOC-AS", "SOCIAL");
        await RegisterAsync(http, admin, doctorRpps, "10", "HEALTH");
        var social = Token("professional", "pro-" + socialRpps, rpps: socialRpps);
        var doctor = Token("professional", "pro-" + doctorRpps, rpps: doctorRpps);

        var vaults = new List<string>();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(Enumerable.Range(0, options.ReadVaults).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var open = await GqlAsync(http, social, """
                    mutation Open($input: OpenVaultInput!) { openVault(input: $input) { vault { vaultId } userErrors { code field message } } }
                    """, new JsonObject
                {
                    ["input"] = new JsonObject
                    {
                        ["identity"] = new JsonObject { ["familyName"] = "Banc", ["givenNames"] = $"Personne {i}", ["birthDate"] = "1970-01-01", ["sex"] = "FEMALE" },
                        ["consent"] = new JsonObject { ["method"] = "IN_APP", ["expiresAt"] = DateTimeOffset.UtcNow.AddYears(1).ToString("O") },
                    },
                });
                var vaultId = open.GetProperty("openVault").GetProperty("vault").GetProperty("vaultId").GetString()!;
                var owner = Token("patient", vaultId);
                for (var d = 0; d < options.ReadDocuments; d++)
                {
                    await DepositAsync(http, owner, vaultId, $"Biologie {d + 1}");
                }
                await GqlAsync(http, owner, """
                    mutation Grant($input: GrantAccessInput!) { grantAccess(input: $input) { grant { id } userErrors { code field message } } }
                    """, new JsonObject { ["input"] = new JsonObject { ["vaultId"] = vaultId, ["rpps"] = doctorRpps } });
                lock (vaults)
                {
                    vaults.Add(vaultId);
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return (doctor, vaults);
    }

    private async Task RegisterAsync(HttpClient http, string admin, string rpps, string profession, string sector) =>
        await GqlAsync(http, admin, """
            mutation Register($input: RegisterProfessionalInput!) { registerProfessional(input: $input) { professional { rpps } userErrors { code field message } } }
            """, new JsonObject { ["input"] = new JsonObject { ["rpps"] = rpps, ["displayName"] = "Bench " + profession, ["professionCode"] = profession, ["sector"] = sector } });

    private async Task DepositAsync(HttpClient http, string owner, string vaultId, string title)
    {
        var content = Encoding.UTF8.GetBytes($"{title} — synthetic report {Guid.NewGuid():N}");
        var metadata = new JsonObject
        {
            ["title"] = title, ["classCode"] = "10", ["typeCode"] = "11502-2",
            ["size"] = content.Length, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(content)),
        };
        using var form = new MultipartFormDataContent();
        var metadataPart = new StringContent(metadata.ToJsonString(), Encoding.UTF8, "application/json");
        form.Add(metadataPart, "metadata", "metadata.json");
        var filePart = new ByteArrayContent(content);
        filePart.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(filePart, "file", "document");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, $"/vaults/{vaultId}/documents")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"read path setup: upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>POSTs a setup operation and fails the phase on any error or userError.</summary>
    private async Task<JsonElement> GqlAsync(HttpClient http, string token, string query, JsonObject variables)
    {
        using var request = Request(new JsonObject { ["query"] = query, ["variables"] = variables }.ToJsonString(), token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var root = JsonDocument.Parse(text).RootElement.Clone();
        var failed = response.StatusCode != HttpStatusCode.OK || root.TryGetProperty("errors", out _)
            || root.GetProperty("data").EnumerateObject().Any(p => p.Value.TryGetProperty("userErrors", out var e) && e.GetArrayLength() > 0);
        return failed ? throw new InvalidOperationException($"read path setup: {text[..Math.Min(text.Length, 400)]}") : root.GetProperty("data");
    }

    // ------------------------------------------------------------------ the closed loop

    private async Task<JsonObject> MeasureAsync(LoadClient load, string name, string what, Func<int, LoadRequest> request, Func<JsonElement, bool> ok)
    {
        await LoopAsync(load, request, ok, TimeSpan.FromSeconds(Math.Min(3, options.ReadSeconds / 4)));
        var phase = await probe.BeginAsync(name);
        var started = DateTime.UtcNow;
        var (latencies, errors, firstError, seconds) = await LoopAsync(load, request, ok, TimeSpan.FromSeconds(options.ReadSeconds));
        var ended = DateTime.UtcNow;
        var resources = await phase.EndAsync();
        var requests = latencies.Count;
        var figures = new JsonObject
        {
            ["query"] = what,
            ["connections"] = options.ReadConnections,
            ["seconds"] = ResourceProbe.Round(seconds, 3),
            ["requests"] = requests,
            ["errors"] = errors,
            ["firstError"] = firstError,
            ["requestsPerSecond"] = ResourceProbe.Round((requests - errors) / Math.Max(seconds, 1e-6), 1),
            ["latencyMs"] = Latency.Summarise(latencies),
        };
        double Us(string key) => resources[key] is { } v ? ResourceProbe.Round(v.GetValue<double>() * 1e6 / Math.Max(1, requests), 1) : 0;
        figures["cpuMicrosecondsPerRequest"] = new JsonObject
        {
            ["silo"] = Us("cpuSecondsSilo"),
            ["postgres"] = Us("cpuSecondsPostgres"),
            ["harness"] = Us("cpuSecondsHarness"),
        };
        foreach (var (k, v) in resources)
        {
            figures["resources." + k] = v?.DeepClone();
        }
        if (siloGc is not null)
        {
            await siloGc.AddRunAsync(figures, started, ended);
        }
        var lat = (JsonObject)figures["latencyMs"]!;
        var cpu = (JsonObject)figures["cpuMicrosecondsPerRequest"]!;
        say($"{name,-13} {what}: {figures["requestsPerSecond"]}/s at {options.ReadConnections} connections, p50 {lat["p50"]} p95 {lat["p95"]} p99 {lat["p99"]} max {lat["max"]} ms, errors {errors}"
            + $" [CPU µs/request: silo {cpu["silo"]}, postgres {cpu["postgres"]}, harness {cpu["harness"]}]" + (firstError is null ? "" : $" first error: {firstError}"));
        return figures;
    }

    private async Task<(List<double> Latencies, int Errors, string? FirstError, double Seconds)> LoopAsync(
        LoadClient load, Func<int, LoadRequest> request, Func<JsonElement, bool> ok, TimeSpan duration)
    {
        var latencies = new List<double>[options.ReadConnections];
        var errors = 0;
        string? firstError = null;
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.ReadConnections).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<double>(4096);
            while (clock.Elapsed < duration)
            {
                var i = Interlocked.Increment(ref next);
                var start = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    var (status, bytes) = await load.SendAsync(request(i));
                    using var json = status == (int)HttpStatusCode.OK ? JsonDocument.Parse(bytes) : null;
                    error = json is not null && ok(json.RootElement)
                        ? null
                        : $"HTTP {status}: {Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 300)))}";
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or JsonException or TimeoutException or KeyNotFoundException or InvalidOperationException)
                {
                    error = $"{e.GetType().Name}: {e.Message}";
                }
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (error is not null)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
        })));
        return ([.. latencies.SelectMany(l => l)], errors, firstError, clock.Elapsed.TotalSeconds);
    }

    private HttpRequestMessage Request(byte[] body, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _graphql) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private HttpRequestMessage Request(string body, string token) => Request(Encoding.UTF8.GetBytes(body), token);

    private static byte[] Body(string query, string? vaultId) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["query"] = query,
        ["variables"] = vaultId is null ? null : new JsonObject { ["id"] = vaultId },
    }.ToJsonString());

    private string Token(string role, string subject, string? rpps = null, string? operatorRoles = null) =>
        TokenIssuer.Mint(new AuthSettings(), new SymmetricSecurityKey(signingKey), role, subject, rpps, TimeSpan.FromHours(2), operatorRoles: operatorRoles);

    private static string NewRpps()
    {
        var body = "1" + RandomNumberGenerator.GetInt32(0, 999_999_999).ToString("D9", System.Globalization.CultureInfo.InvariantCulture);
        return body + Luhn.CheckDigit(body);
    }
}
