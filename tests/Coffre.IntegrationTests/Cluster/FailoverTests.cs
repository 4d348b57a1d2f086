using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Coffre.Domain.Identifiers;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Cluster;

/// <summary>
/// 3 silo processes + 1 gateway process on real PostgreSQL and Azurite. Writes go through the gateway's GraphQL
/// endpoint; a silo is killed with SIGKILL, or restarted gracefully, and every acknowledged write must survive.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Register = """
        mutation($input: RegisterProfessionalInput!) {
          registerProfessional(input: $input) { professional { rpps displayName } userErrors { code field message } }
        }
        """;

    private const string Read = "query($rpps: Rpps!) { professional(rpps: $rpps) { displayName } }";

    private LocalCluster _cluster = null!;
    private GraphQLHttpClient _client = null!;
    private readonly ConcurrentDictionary<string, string> _acknowledged = new();
    private int _sequence;

    public async Task InitializeAsync()
    {
        _cluster = await LocalCluster.StartAsync(silos: 3);
        _client = new GraphQLHttpClient(_cluster.Gateway!.BaseAddress, _cluster.OperatorToken(), TimeSpan.FromSeconds(15));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Killed_silo_loses_no_acknowledged_write_and_rejoins()
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, 120), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) => await WriteAsync(ct));
        Assert.Equal(120, _acknowledged.Count);

        var clock = Stopwatch.StartNew();
        await _cluster.Silos[1].KillAsync();

        // Recovery: the first moment a full round (every acknowledged grain read, plus new writes) succeeds.
        TimeSpan? recovered = null;
        var failedCalls = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var round = await Task.WhenAll(_acknowledged.Keys.ToList().Select(TryReadAsync).Concat(Enumerable.Range(0, 8).Select(_ => TryWriteAsync())));
            failedCalls += round.Count(ok => !ok);
            if (round.All(ok => ok))
            {
                recovered = clock.Elapsed;
                break;
            }
            await Task.Delay(200);
        }

        Assert.True(recovered is not null, "calls never succeeded again after the kill\n" + _cluster.Diagnostics());
        foreach (var (rpps, name) in _acknowledged)
        {
            Assert.Equal(name, await ReadWithRetryAsync(rpps));
        }

        var rejoined = Stopwatch.StartNew();
        await _cluster.StartSiloAsync(1);
        while (await _cluster.MembersWithStatusAsync(3) != 3 && rejoined.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(250);
        }
        Assert.Equal(3L, await _cluster.MembersWithStatusAsync(3));
        Assert.Equal(1L, await _cluster.MembersWithStatusAsync(6));

        Report($"failover: kill -9 of 1 of 3 silos; calls all succeed again after {recovered!.Value.TotalSeconds:F1} s " +
               $"({failedCalls} calls failed meanwhile); {_acknowledged.Count} acknowledged writes checked, 0 lost; restarted silo ready and Active in membership after {rejoined.Elapsed.TotalSeconds:F1} s");
        Assert.True(recovered < TimeSpan.FromSeconds(10), $"recovery took {recovered}, the target is under 10 s");
    }

    [Fact]
    public async Task Graceful_restart_under_light_load_fails_no_call_that_a_retry_cannot_absorb()
    {
        using var stop = new CancellationTokenSource();
        var retried = 0;
        var failed = new ConcurrentBag<string>();
        var load = Enumerable.Range(0, 4).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                var ok = await TryWriteAsync();
                if (!ok)
                {
                    Interlocked.Increment(ref retried);
                    await Task.Delay(2000);
                    if (!await TryWriteAsync())
                    {
                        failed.Add("write failed twice");
                    }
                }
                await Task.Delay(50);
            }
        }).ToList();

        await Task.Delay(2000);
        await _cluster.Silos[2].StopGracefullyAsync(TimeSpan.FromSeconds(60));
        await _cluster.StartSiloAsync(2);
        await Task.Delay(3000);
        stop.Cancel();
        await Task.WhenAll(load);

        Assert.Empty(failed);
        foreach (var (rpps, name) in _acknowledged)
        {
            Assert.Equal(name, await ReadWithRetryAsync(rpps));
        }
        Report($"graceful restart: {_acknowledged.Count} writes acknowledged under load, {retried} needed a retry, 0 failed after retry, all read back");
    }

    /// <summary>Grain calls wait this long for an answer (Coffre:Cluster:ResponseTimeout's default): a hang detector, not a target.</summary>
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(10);

    private sealed record Outcome(string Kind, int Status, TimeSpan Latency, string? Code, bool RetryAfter, string Detail)
    {
        /// <summary>2xx with no GraphQL error, or 503 UNAVAILABLE with Retry-After: what a client can act on.</summary>
        public bool Acceptable => Status is >= 200 and < 300 ? Code is null : Status == 503 && Code == "UNAVAILABLE" && RetryAfter;
        public bool Failed => Status is < 200 or >= 300 || Code is not null;
    }

    [Fact]
    public async Task During_failover_every_path_answers_2xx_or_503_with_Retry_After_and_fails_fast()
    {
        using var http = new HttpClient { BaseAddress = _cluster.Gateway!.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        var social = _cluster.Token("professional", "sw-1", body + Luhn.CheckDigit(body), "SOC-AS");
        var operatorToken = _cluster.OperatorToken();
        // The directory decides professionals: the social worker is registered first.
        var registered = await HonouringRetryAfterAsync(() => PostGraphQLAsync(http, operatorToken, Register,
            new { input = new { rpps = body + Luhn.CheckDigit(body), displayName = "Mme Failover", professionCode = "SOC-AS", sector = "SOCIAL" } }));
        Assert.True(registered.Status == 200 && registered.Body["errors"] is null, registered.Body.ToJsonString());

        // Vaults spread over the three silos, each with a document uploaded through the gateway.
        var documents = new ConcurrentBag<(string VaultId, string DownloadPath)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 24), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, _) =>
        {
            var opened = await HonouringRetryAfterAsync(() => PostGraphQLAsync(http, social, """
                mutation($i: OpenVaultInput!) { openVault(input: $i) { vault { vaultId } userErrors { field message } } }
                """, new { i = new { identity = new { familyName = "Failover", givenNames = $"Person{i}", birthDate = "1990-02-03", sex = "FEMALE" },
                    consent = new { method = "SIGNED_PAPER", expiresAt = DateTimeOffset.UtcNow.AddMonths(6), evidence = "form 7" } } }));
            Assert.True(opened.Status == 200 && opened.Body["errors"] is null, opened.Body.ToJsonString());
            var vaultId = opened.Body["data"]!["openVault"]!["vault"]!["vaultId"]!.GetValue<string>();
            var (status, uploaded, _) = await HonouringRetryAfterAsync(() => UploadAsync(http, social, vaultId));
            Assert.True(status == 201, uploaded.ToJsonString());
            documents.Add((vaultId, uploaded["data"]!["downloadPath"]!.GetValue<string>()));
        });
        var corpus = documents.ToArray();

        // Load from 3 s before the kill (calls in flight when the silo dies) to 15 s after it (the recovery window):
        // GraphQL reads and writes, downloads and uploads, 8 at a time.
        var outcomes = new ConcurrentBag<Outcome>();
        var kinds = new[] { "read", "write", "download", "upload" };
        var clock = Stopwatch.StartNew();
        var killAt = TimeSpan.FromSeconds(3);
        var workers = Enumerable.Range(0, 8).Select(async worker =>
        {
            for (var n = worker; clock.Elapsed < killAt + TimeSpan.FromSeconds(15); n++)
            {
                var (vaultId, path) = corpus[Random.Shared.Next(corpus.Length)];
                var kind = kinds[n % kinds.Length];
                outcomes.Add(await MeasureAsync(kind, () => kind switch
                {
                    "read" => PostGraphQLAsync(http, social, "query($id: ID!) { vault(id: $id) { vaultId documentCount } }", new { id = vaultId }),
                    "write" => PostGraphQLAsync(http, operatorToken, Register, new { input = new { rpps = NewRpps(), displayName = "Dr Failover", professionCode = "10", sector = "HEALTH" } }),
                    "download" => GetAsync(http, social, path),
                    _ => UploadAsync(http, social, vaultId),
                }));
            }
        }).ToList();
        await Task.Delay(killAt);
        await _cluster.Silos[1].KillAsync();
        var killed = Stopwatch.StartNew();
        await Task.WhenAll(workers);

        // Settled: every document downloads again.
        TimeSpan? settled = null;
        while (killed.Elapsed < TimeSpan.FromSeconds(40) && settled is null)
        {
            var round = await Task.WhenAll(corpus.Select(d => GetAsync(http, social, d.DownloadPath)));
            settled = round.All(r => r.Status == 200) ? killed.Elapsed : null;
            if (settled is null)
            {
                await Task.Delay(250);
            }
        }

        var all = outcomes.ToList();
        var failed = all.Where(o => o.Failed).Select(o => o.Latency.TotalMilliseconds).Order().ToList();
        var succeeded = all.Where(o => !o.Failed).Select(o => o.Latency.TotalMilliseconds).Order().ToList();
        var byStatus = string.Join(", ", all.GroupBy(o => $"{o.Kind} {o.Status}{(o.Code is null ? "" : " " + o.Code)}").OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
        Report($"failover under load: kill -9 of 1 of 3 silos, 8 clients through the gateway from 3 s before to 15 s after: {all.Count} calls ({byStatus}); " +
               $"failed calls: {failed.Count}, max {Max(failed):F0} ms, p99 {Percentile(failed, 0.99):F0} ms; " +
               $"successful calls: max {Max(succeeded):F0} ms, p99 {Percentile(succeeded, 0.99):F0} ms; every document downloads again {settled?.TotalSeconds:F1} s after the kill (first check after the window)");

        foreach (var line in _cluster.Gateway!.Output.Split('\n').Where(l => l.Contains("unhandled", StringComparison.Ordinal)).Take(20))
        {
            output.WriteLine("gateway: " + line);
        }
        var unacceptable = all.Where(o => !o.Acceptable).ToList();
        Assert.True(unacceptable.Count == 0, $"{unacceptable.Count} answers neither 2xx nor 503 UNAVAILABLE + Retry-After:\n" +
            string.Join("\n", unacceptable.Take(10).Select(o => $"{o.Kind} {o.Status} {o.Code} after {o.Latency.TotalMilliseconds:F0} ms: {o.Detail}")) + "\n" + _cluster.Diagnostics());
        Assert.True(all.All(o => o.Latency < ResponseTimeout), $"a call took {all.Max(o => o.Latency)} (response timeout {ResponseTimeout})");
        Assert.True(settled is not null, "documents never downloaded again after the kill\n" + _cluster.Diagnostics());
    }

    private static double Max(List<double> sorted) => sorted.Count == 0 ? 0 : sorted[^1];

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<Outcome> MeasureAsync(string kind, Func<Task<(int Status, JsonObject Body, bool RetryAfter)>> call)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var (status, body, retryAfter) = await call();
            var code = body["errors"] is JsonArray { Count: > 0 } errors ? errors[0]?["extensions"]?["code"]?.GetValue<string>() ?? "(no code)" : null;
            return new Outcome(kind, status, clock.Elapsed, code, retryAfter, body["errors"]?.ToJsonString() ?? "");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return new Outcome(kind, 0, clock.Elapsed, e.GetType().Name, false, e.Message);
        }
    }

    private static async Task<(int Status, JsonObject Body, bool RetryAfter)> PostGraphQLAsync(HttpClient http, string token, string query, object variables)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await SendAsync(http, request);
    }

    private static async Task<(int Status, JsonObject Body, bool RetryAfter)> GetAsync(HttpClient http, string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await SendAsync(http, request);
    }

    /// <summary>
    /// Setup calls behave as the guide tells clients to: a 503 with Retry-After (a freshly started cluster on a busy
    /// machine can answer one while its grains first activate) is tried again, a few times.
    /// </summary>
    private static async Task<(int Status, JsonObject Body, bool RetryAfter)> HonouringRetryAfterAsync(Func<Task<(int Status, JsonObject Body, bool RetryAfter)>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            var answer = await call();
            if (answer.Status != 503 || !answer.RetryAfter || attempt == 5)
            {
                return answer;
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    private static async Task<(int Status, JsonObject Body, bool RetryAfter)> UploadAsync(HttpClient http, string token, string vaultId)
    {
        var bytes = RandomNumberGenerator.GetBytes(4096);
        using var form = new MultipartFormDataContent();
        form.Add(JsonContent.Create(new { title = "Attestation", classCode = "52", typeCode = "ATTEST-DROITS-AM", size = bytes.Length, sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)) }), "metadata");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        form.Add(file, "file", "attestation");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/vaults/{vaultId}/documents") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await SendAsync(http, request);
    }

    /// <summary>Status, JSON body (empty for content), and whether a Retry-After header came with it; reads content to the end.</summary>
    private static async Task<(int Status, JsonObject Body, bool RetryAfter)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var json = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true && bytes.Length > 0
            ? System.Text.Json.JsonSerializer.Deserialize<JsonObject>(bytes) ?? []
            : [];
        return ((int)response.StatusCode, json, response.Headers.RetryAfter is not null);
    }

    private async Task WriteAsync(CancellationToken ct = default)
    {
        var rpps = NewRpps();
        var name = $"Dr Test {Interlocked.Increment(ref _sequence)}";
        var data = await _client.DataAsync(Register, new { input = new { rpps, displayName = name, professionCode = "10", sector = "HEALTH" } }, ct);
        if (data["registerProfessional"]?["professional"]?["rpps"]?.GetValue<string>() != rpps)
        {
            throw new GraphQLCallFailedException("write not acknowledged: " + data.ToJsonString());
        }
        _acknowledged[rpps] = name;
    }

    private async Task<bool> TryWriteAsync()
    {
        try
        {
            await WriteAsync();
            return true;
        }
        catch (Exception e) when (e is GraphQLCallFailedException or HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> TryReadAsync(string rpps)
    {
        try
        {
            var data = await _client.DataAsync(Read, new { rpps });
            return data["professional"]?["displayName"]?.GetValue<string>() == _acknowledged[rpps];
        }
        catch (Exception e) when (e is GraphQLCallFailedException or HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task<string?> ReadWithRetryAsync(string rpps)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var data = await _client.DataAsync(Read, new { rpps });
                return data["professional"]?["displayName"]?.GetValue<string>();
            }
            catch (Exception) when (attempt < 3)
            {
                await Task.Delay(1000);
            }
        }
    }

    private void Report(string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("COFFRE_TEST_REPORT") is { Length: > 0 } path)
        {
            File.AppendAllText(path, line + Environment.NewLine);
        }
    }

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }
}
