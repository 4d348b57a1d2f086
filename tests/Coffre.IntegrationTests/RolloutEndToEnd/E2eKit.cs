using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffre.Adapters.Blob;
using Coffre.Adapters.Postgres;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Cluster;
using Coffre.IntegrationTests.Infrastructure;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Npgsql;
using Xunit;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>The end-to-end rollout tests start real processes: they run one at a time, never beside other collections.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RolloutEndToEndCollection
{
    public const string Name = "RolloutEndToEnd";
}

/// <summary>
/// Fixed keys (random bytes, written down once) shared by the silo processes, the operator CLI processes and the
/// test itself, so the test can hash NIRs, verify and decrypt codes, and mint operator tokens.
/// </summary>
internal static class E2e
{
    public const string NirKey = "bcFlF1Y1SssVY3mULt9b3g9ijergsnXpfk2hFQTxat4=";
    public const string CodeKey1 = "dTGmkwigTDCYvcBd9D34VfoRmzM6dnN5I4qlG6Jaa6Y=";
    public const string CodeKey2 = "2m4u3nVDC5tBec8hyXrvUp/cJNMZ9pHlr2trxpEVf7A=";
    public const string DeliveryKey1 = "C/lrEynWcCCb9N0slEz2sj1lFCo4/Vo2xY8VIQTm5Ms=";
    public const string SigningKey = "YQuGBZJMLtVOcyJ8IZbzDKjWcbT6aBTHhLq51YJQZlM=";
    public const string AuditHeadKey = "QjbddcrHR20HHwpDZ932SjuJ7+0tMga04wgRr7gT03g=";

    public static NirHasher NirHasher { get; } = new(Convert.FromBase64String(NirKey));

    /// <summary>Both code keys, so the test verifies codes issued before and after a rotation.</summary>
    public static CodeHasher Verifier { get; } = new(new Dictionary<short, byte[]>
    {
        [1] = Convert.FromBase64String(CodeKey1),
        [2] = Convert.FromBase64String(CodeKey2),
    }, 1);

    /// <summary>What the operator's tools hash new codes with before the rotation (key 1 only).</summary>
    public static CodeHasher IssuingHasher { get; } = new(new Dictionary<short, byte[]> { [1] = Convert.FromBase64String(CodeKey1) }, 1);

    public static DeliveryCodeCipher Cipher { get; } = new(1, Convert.FromBase64String(DeliveryKey1));

    /// <summary>
    /// SQL for the registry person number of the NIR hash in <c>$1</c>: what a person's codes are found by (their NIR hash
    /// on a code has no index since migration 0024).
    /// </summary>
    public const string PersonOf = "(SELECT person_no FROM registry_person WHERE nir_hash = $1)";

    public static byte[] NirHash(string nir)
    {
        var hash = new byte[NirHasher.HashSize];
        NirHasher.Hash(nir, hash);
        return hash;
    }

    public static string VaultId(string nir) => RegistryVaultIds.For(NirHash(nir));

    /// <summary>Settings a silo gets on top of what <see cref="LocalCluster"/> sets (the same keys as the CLI).</summary>
    public static Dictionary<string, string> SiloSettings(int maxAttempts = 3, int perClientPerMinute = 1_000_000, bool rotated = false, int perPersonPerHour = 1_000_000)
    {
        var settings = new Dictionary<string, string>
        {
            ["Coffre__Identity__NirKey"] = NirKey,
            ["Coffre__Auth__SigningKey"] = SigningKey,
            ["Coffre__Audit__HeadKey"] = AuditHeadKey,
            ["Coffre__Activation__CodeKeys__1"] = CodeKey1,
            ["Coffre__Activation__DeliveryKeys__1"] = DeliveryKey1,
            ["Coffre__Activation__MaxAttempts"] = maxAttempts.ToString(CultureInfo.InvariantCulture),
            ["Coffre__Activation__RateLimits__PerClientPerMinute"] = perClientPerMinute.ToString(CultureInfo.InvariantCulture),
            ["Coffre__Activation__RateLimits__PerPersonPerHour"] = perPersonPerHour.ToString(CultureInfo.InvariantCulture),
            ["Coffre__Activation__RateLimits__GlobalPerSecond"] = "100000",
        };
        if (rotated)
        {
            settings["Coffre__Activation__CodeKeys__2"] = CodeKey2;
            settings["Coffre__Activation__CurrentCodeKeyId"] = "2";
        }
        return settings;
    }

    /// <summary>The environment of an operator command against the cluster's PostgreSQL database and Blob container.</summary>
    public static Dictionary<string, string> CliEnvironment(string connectionString, string container, bool rotated = false)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["ConnectionStrings__Blob"] = TestServices.Blob,
            ["Coffre__BlobContainer"] = container,
            ["Coffre__Identity__NirKey"] = NirKey,
            // The commands register the cluster's storage as a silo does (CommandHost): they take a silo's keys.
            ["Coffre__Audit__HeadKey"] = AuditHeadKey,
            ["Coffre__Activation__CodeKeys__1"] = CodeKey1,
            ["Coffre__Activation__DeliveryKeys__1"] = DeliveryKey1,
        };
        if (rotated)
        {
            environment["Coffre__Activation__CodeKeys__2"] = CodeKey2;
            environment["Coffre__Activation__CurrentCodeKeyId"] = "2";
        }
        return environment;
    }

    /// <summary>A token signed with <see cref="SigningKey"/>, as LocalCluster mints them.</summary>
    public static string Token(string role, string subject, string? operatorRoles = null)
    {
        var settings = new AuthSettings { SigningKey = SigningKey };
        var key = settings.ResolveSigningKey(new CoffreOptions { Role = CoffreRole.Silo })!;
        // Operators get every role unless told, as the `token` verb gives by default.
        return TokenIssuer.Mint(settings, key, role, subject, null, TimeSpan.FromHours(1),
            operatorRoles: role == "operator" ? operatorRoles ?? "support rollout directory-admin" : null);
    }

    public static string OperatorToken() => Token("operator", "op-e2e");

    /// <summary>A social worker's token (assistant de service social, profession SOC-AS) with a fresh valid RPPS.</summary>
    public static (string Token, string Rpps) SocialWorkerToken()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9", CultureInfo.InvariantCulture);
        var rpps = body + Luhn.CheckDigit(body);
        var settings = new AuthSettings { SigningKey = SigningKey };
        var key = settings.ResolveSigningKey(new CoffreOptions { Role = CoffreRole.Silo })!;
        return (TokenIssuer.Mint(settings, key, "professional", "sw-" + rpps, rpps, TimeSpan.FromHours(1), "SOC-AS"), rpps);
    }

    public static string NewContainerName() => "t-" + Guid.NewGuid().ToString("N")[..20];

    public static string TempDirectory(string label)
    {
        var path = Path.Combine(Path.GetTempPath(), $"coffre-e2e-{label}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Writes people 0..count-1 of the synthetic population (seed 42) as a population file.</summary>
    public static string WritePopulation(string directory, long count)
    {
        var path = Path.Combine(directory, $"population-{count}.csv");
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        SyntheticPopulation.WriteCsv(writer, count);
        return path;
    }

    public static PopulationImporter Importer(IRolloutStore store) => new(store, NirHasher, new PopulationImportOptions { ChunkSize = 10_000 });

    public static IssuanceService Issuance(IRolloutStore store, IContentStore content, CodeHasher? hasher = null) =>
        new(store, content, hasher ?? IssuingHasher, Cipher, new IssuanceOptions { ChunkSize = 1_000, Writers = 1 });

    /// <summary>Writes a synthetic population of <paramref name="size"/>, imports it, creates <paramref name="campaign"/> and issues its codes (library calls, as the CLI does); asserts every row went through.</summary>
    public static async Task ImportAndIssueAsync(RolloutDatabase db, string directory, string campaign, int size, string? name = null)
    {
        var file = WritePopulation(directory, size);
        Assert.Equal(size, (await Importer(db.Store).ImportAsync(campaign, file, file + ".rejects")).Accepted);
        await db.Store.CreateCampaignAsync(new NewCampaign(campaign, name ?? campaign, null, "operator:e2e"), DateTimeOffset.UtcNow);
        Assert.Equal(size, (await Issuance(db.Store, db.Content).IssueAsync(campaign)).Issued);
    }

    public static double Mean(IEnumerable<TimeSpan> values) => values.Select(v => v.TotalMilliseconds).DefaultIfEmpty(0).Average();
}

/// <summary>The people of a synthetic population (seed 42) the test imported, by index and by vault id.</summary>
/// <summary>
/// One <c>coffre silo</c> process with its own database and container, a synthetic population of a given size imported
/// and a campaign issued: the scene of the single-silo rollout tests. Disposing stops the silo and deletes the files.
/// </summary>
internal sealed class CampaignSilo : IAsyncDisposable
{
    private CampaignSilo(LocalCluster cluster, RolloutDatabase db, string directory) => (Cluster, Db, Directory) = (cluster, db, directory);

    public LocalCluster Cluster { get; }
    public RolloutDatabase Db { get; }
    public string Directory { get; }

    /// <param name="beforeImport">What happens on the running silo before the population is imported (a referent's opening).</param>
    public static async Task<CampaignSilo> StartAsync(string campaign, string name, int size, Dictionary<string, string> settings,
        Func<LocalCluster, Task>? beforeImport = null)
    {
        var cluster = await LocalCluster.StartAsync(silos: 1, gateway: false, settings: settings);
        var silo = new CampaignSilo(cluster, new RolloutDatabase(cluster.ConnectionString, cluster.BlobContainer), E2e.TempDirectory(campaign));
        try
        {
            if (beforeImport is not null)
            {
                await beforeImport(cluster);
            }
            await E2e.ImportAndIssueAsync(silo.Db, silo.Directory, campaign, size, name);
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        await Cluster.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

internal sealed class Population
{
    private readonly Dictionary<string, int> _byVault = new(StringComparer.Ordinal);
    private int _nextAdult;

    public Population(int count)
    {
        People = [.. SyntheticPopulation.Generate(count)];
        VaultIds = [.. People.Select(p => E2e.VaultId(p.Nir))];
        for (var i = 0; i < count; i++)
        {
            _byVault[VaultIds[i]] = i;
        }
    }

    public IReadOnlyList<PersonRecord> People { get; }
    public IReadOnlyList<string> VaultIds { get; }

    public int? IndexOf(string vaultId) => _byVault.TryGetValue(vaultId, out var i) ? i : null;

    /// <summary>The next adults (they have a Vitale serial, so they can activate), each handed out once.</summary>
    public int[] TakeAdults(int count)
    {
        var taken = new List<int>(count);
        lock (_byVault)
        {
            while (taken.Count < count)
            {
                if (_nextAdult >= People.Count)
                {
                    throw new InvalidOperationException("the population has no more adults to hand out");
                }
                var i = _nextAdult++;
                if (People[i].VitaleSerial is not null)
                {
                    taken.Add(i);
                }
            }
        }
        return [.. taken];
    }

    /// <summary>Adults of the same seed beyond the imported file: valid NIRs the registry does not know.</summary>
    public static PersonRecord Unknown(int k)
    {
        for (var i = 5_000_000L + (k * 20L); ; i++)
        {
            if (SyntheticPopulation.Person(i) is { VitaleSerial: not null } person)
            {
                return person;
            }
        }
    }
}

/// <summary>A <c>dotnet coffre.dll VERB ...</c> operator command as a real process, output captured.</summary>
internal sealed class CoffreCli : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CoffreCli(Process process)
    {
        _process = process;
    }

    public bool HasExited => _process.HasExited;

    public static CoffreCli Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(CoffreProcess.Executable);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var cli = new CoffreCli(process);
        process.OutputDataReceived += (_, e) => Append(cli._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(cli._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        await using var cli = Start(environment, args);
        return await cli.WaitAsync(timeout, string.Join(' ', args));
    }

    public async Task<CliResult> WaitAsync(TimeSpan timeout, string description)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"coffre {description} did not exit within {timeout}:\n{Text(_stderr)}");
        }
        // WaitForExitAsync returns once the output streams are drained too.
        return new CliResult(_process.ExitCode, Text(_stdout), Text(_stderr));
    }

    /// <summary>kill -9 of the command (no chance to release anything).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    public string Stderr => Text(_stderr);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (builder)
        {
            builder.AppendLine(line);
        }
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonNode Json => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("the command printed no JSON");

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>GraphQL over HTTP with the raw body and the round-trip time (what a front end, or an attacker, sees).</summary>
internal sealed class RawGraphQL(Uri baseAddress) : IDisposable
{
    public const string Activate = """
        mutation Activate($input: ActivateVaultInput!) {
          activateVault(input: $input) { session { vaultId token } userErrors { code field message } }
        }
        """;

    public const string Oppose = """
        mutation Oppose($input: RecordOppositionInput!) {
          recordOpposition(input: $input) { receipt { receiptId recordedAt vaultClosed codesRevoked } userErrors { code field message } }
        }
        """;

    public const string ReadVault = """
        query Mine($id: ID!) {
          vault(id: $id) {
            status
            identity { familyName givenNames birthDate nirMasked }
            accessHistory(first: 100) { totalCount nodes { operation allowed actorKind } }
          }
        }
        """;

    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async Task<RawResponse> PostAsync(string query, object? variables = null, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var clock = Stopwatch.StartNew();
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        clock.Stop();
        return new RawResponse((int)response.StatusCode, body, clock.Elapsed);
    }

    public static object ActivationInput(PersonRecord person, string code, string? vitaleSerial = null, DateOnly? birthDate = null) => new
    {
        input = new
        {
            code,
            nir = person.Nir,
            birthDate = (birthDate ?? person.BirthDate).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            vitaleSerial = vitaleSerial ?? person.VitaleSerial,
        },
    };

    public Task<RawResponse> ActivateAsync(PersonRecord person, string code, string? vitaleSerial = null, DateOnly? birthDate = null) =>
        PostAsync(Activate, ActivationInput(person, code, vitaleSerial, birthDate));

    /// <summary>One request whose <paramref name="attempts"/> are aliased <c>activateVault</c> fields (a0, a1, …).</summary>
    public Task<RawResponse> ActivateAliasedAsync(IReadOnlyList<(PersonRecord Person, string Code)> attempts)
    {
        var query = new StringBuilder("mutation Many {\n");
        for (var i = 0; i < attempts.Count; i++)
        {
            var (person, code) = attempts[i];
            query.Append(CultureInfo.InvariantCulture, $"  a{i}: activateVault(input: {{ code: \"{code}\", nir: \"{person.Nir}\", ")
                .Append(CultureInfo.InvariantCulture, $"birthDate: \"{person.BirthDate:yyyy-MM-dd}\", vitaleSerial: \"{person.VitaleSerial}\" }}) ")
                .Append("{ session { vaultId } userErrors { code } }\n");
        }
        query.Append('}');
        return PostAsync(query.ToString());
    }

    public void Dispose() => _http.Dispose();
}

internal sealed record RawResponse(int Status, string Body, TimeSpan Elapsed)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("empty body");

    /// <summary><c>data.activateVault</c> (or the named field).</summary>
    public JsonNode? Field(string name) => Json["data"]?[name];

    public IReadOnlyList<string> UserErrorCodes(string field) =>
        Field(field)?["userErrors"]?.AsArray().Select(e => e!["code"]!.GetValue<string>()).ToList() ?? [];

    public IReadOnlyList<string> ErrorCodes =>
        Json["errors"]?.AsArray().Select(e => e?["extensions"]?["code"]?.GetValue<string>() ?? "").ToList() ?? [];

    public override string ToString() => $"HTTP {Status} in {Elapsed.TotalMilliseconds:F1} ms: {Body}";
}

/// <summary>
/// The rollout's tables and print batches seen from the test: codes read in clear from what was delivered (committed
/// print batches in Blob storage, activation emails in the outbox), and the SQL checks.
/// </summary>
internal sealed class RolloutDatabase(string connectionString, string container) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _data = NpgsqlDataSource.Create(connectionString);

    public string ConnectionString { get; } = connectionString;
    public string Container { get; } = container;
    public NpgsqlDataSource Data => _data;
    public PostgresRolloutStore Store => new(_data);

    /// <summary>The store as the silo composes it: with the audit log, so a settlement appends its activations' events itself.</summary>
    public PostgresRolloutStore StoreWith(PostgresAuditLog audit) => new(_data, audit: audit);
    public BlobContentStore Content { get; } = new(new Azure.Storage.Blobs.BlobServiceClient(TestServices.Blob).GetBlobContainerClient(container));

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = _data.CreateCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        var value = await command.ExecuteScalarAsync();
        return value is T typed ? typed : (T)Convert.ChangeType(value!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async Task<int> ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = _data.CreateCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>The person's valid code as delivered to them (email or letter), checked against its stored hash.</summary>
    public async Task<string> CodeOfAsync(PersonRecord person)
    {
        var nirHash = E2e.NirHash(person.Nir);
        var vaultId = RegistryVaultIds.For(nirHash);
        short keyId;
        byte[] hash;
        short channel;
        int? batchNo;
        string campaign;
        await using (var command = _data.CreateCommand($"SELECT key_id, code_hash, channel, batch_no, campaign_id FROM activation_code WHERE person_no = {E2e.PersonOf} AND status = 0"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = nirHash });
            await using var reader = await command.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
            {
                throw new InvalidOperationException($"vault {vaultId} has no valid code");
            }
            (keyId, hash, channel, batchNo, campaign) = (reader.GetInt16(0), reader.GetFieldValue<byte[]>(1), reader.GetInt16(2),
                reader.IsDBNull(3) ? (int?)null : reader.GetInt32(3), reader.GetString(4));
        }
        var candidates = new List<string>();
        if (channel == (short)CodeChannel.Email)
        {
            // The lines of the campaign's email batch files addressed to the vault (the one helper every test reads them with).
            candidates.AddRange((await Rollout.EmailBatchLines.ReadAsync(Store, Content, campaign))
                .Where(l => l.VaultId == vaultId).Select(l => E2e.Cipher.DecryptCode(l.PayloadJson, vaultId)));
        }
        else
        {
            var batch = (await Store.ListPrintBatchesAsync(campaign)).Single(b => b.BatchNo == batchNo);
            var letters = await PrintBatchFiles.ReadAsync(Content, batch);
            candidates.AddRange(letters.Where(l => l.VaultId == vaultId).Select(l => Canonical(l.Code)));
        }
        return candidates.SingleOrDefault(c => E2e.Verifier.Verify(c, keyId, hash))
            ?? throw new InvalidOperationException($"no delivered code of vault {vaultId} matches its valid code ({candidates.Count} candidates)");
    }

    public static string Canonical(string code) =>
        ActivationCodes.TryNormalise(code, out var canonical) ? canonical : throw new FormatException($"'{code}' is not an activation code");

    /// <summary>A well-formed code (right check symbol) that is not the person's.</summary>
    public static string WrongCode(string notThis)
    {
        while (true)
        {
            var code = ActivationCodes.Generate();
            if (code != notThis)
            {
                return code;
            }
        }
    }

    public Task<long> DenialsAsync(string chain) =>
        ScalarAsync<long>("SELECT count(*) FROM audit_event WHERE vault_id = $1 AND operation = 'vault.activate' AND NOT allowed", chain);

    public Task<long> AuditEventsAsync(string chain) => ScalarAsync<long>("SELECT count(*) FROM audit_event WHERE vault_id = $1", chain);

    /// <summary>The person's valid code, else their most recently issued one.</summary>
    public async Task<(short Status, short Attempts, short KeyId)> LatestCodeAsync(PersonRecord person)
    {
        await using var command = _data.CreateCommand($"SELECT status, attempts, key_id FROM activation_code WHERE person_no = {E2e.PersonOf} ORDER BY status = 0 DESC, issued_at DESC, closed_at DESC NULLS FIRST LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter { Value = E2e.NirHash(person.Nir) });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? (reader.GetInt16(0), reader.GetInt16(1), reader.GetInt16(2))
            : throw new InvalidOperationException("the person has no code");
    }

    public Task<short> PersonStatusAsync(PersonRecord person) =>
        ScalarAsync<short>("SELECT status FROM registry_person WHERE nir_hash = $1", E2e.NirHash(person.Nir));

    public async ValueTask DisposeAsync() => await _data.DisposeAsync();
}
