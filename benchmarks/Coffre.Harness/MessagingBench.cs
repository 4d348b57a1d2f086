using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffre.Adapters.Local;
using Coffre.Adapters.Postgres;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Messaging;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Messaging;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Hosting;

namespace Coffre.Harness;

/// <summary>
/// Messages per second between N conversation pairs (issue 12), on one in-process silo composed like the embedded default
/// (memory grain state, in-memory audit chains and outbox, the servers' own grain services): N people, each with a vault
/// opened by a social worker and a grant to a doctor; the doctor starts one conversation per person; then C concurrent
/// loops send messages for S seconds, each on a random pair, alternately from the doctor and the person. Every send is a
/// conversation grain call that asks the person's vault (decision + audit event), writes the message page and the header,
/// and (from the doctor) queues the person's notification. Same-run baseline: the same loops for the same time calling
/// <see cref="IConversationGrain.GetAsync"/> on the same conversations (a raw grain call: no vault, no write).
/// <code>Coffre.Harness messaging [--pairs 10000] [--seconds 30] [--concurrency 64] [--postgres CONNECTION] [--out FILE.json]</code>
/// With <c>--postgres</c> the silo is composed like the cluster's silo role: grain state, audit chains, outbox and event
/// log on that (migrated) PostgreSQL database, every write durable.
/// </summary>
public static class MessagingBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var pairs = 10_000;
        var seconds = 30;
        var concurrency = 64;
        string? outFile = null;
        string? postgres = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--pairs": pairs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": outFile = args[++i]; break;
                case "--postgres": postgres = args[++i]; break;
                default:
                    Console.Error.WriteLine($"messaging: unknown argument {args[i]}");
                    return 2;
            }
        }

        var dataPath = Path.Combine(Path.GetTempPath(), "coffre-msgbench-" + Guid.NewGuid().ToString("N")[..8]);
        await using var dataSource = postgres is null ? null : NpgsqlDataSource.Create(postgres);
        if (dataSource is not null)
        {
            await new SchemaMigrator(dataSource).MigrateAsync();
        }
        void Compose(IServiceCollection services)
        {
            services.AddSingleton(TimeProvider.System);
            services.AddCoffreAccess();
            if (dataSource is null)
            {
                services.AddCoffreLocal(dataPath, new byte[32]);
            }
            else
            {
                services.AddCoffrePostgres(dataSource, new byte[32]);
                services.AddSingleton<Coffre.Domain.Content.IContentStore>(new LocalDiskContentStore(dataPath));
            }
            services.AddSingleton(new NirHasher(new byte[32]));
            services.AddSingleton(new Coffre.Domain.Rollout.CodeHasher(new Dictionary<short, byte[]> { [1] = new byte[32] }, 1));
            services.AddCoffreGrainServices();
        }
        using var host = postgres is null ? EmbeddedHost(Compose) : InProcessSilo.Build(postgres, "bench-messaging-" + Guid.NewGuid().ToString("N")[..8], Compose);
        await host.StartAsync();
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var social = Caller.Professional(Rpps("1"), "SOC-AS");
            var consent = new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, DateTimeOffset.UtcNow.AddYears(1), "bench");
            var scenes = new (string VaultId, Caller Doctor, IConversationGrain Conversation)[pairs];

            var setup = Stopwatch.StartNew();
            var (setupErrors, _) = await InProcessSilo.CallAllAsync(pairs, concurrency, "setup", async i =>
            {
                var vaultId = Ids.NewVaultId();
                var vault = grains.GetGrain<IVaultGrain>(vaultId);
                await vault.OpenAsync(social, new OpenVault(new IdentityTraits("Martin", "Paul", new DateOnly(1975, 3, 2), Sex.Male), consent));
                var doctor = Caller.Professional(Rpps("2"), "10");
                await vault.GrantAccessAsync(Caller.Patient(vaultId), new GrantRequest(GranteeKind.Professional, doctor.Rpps!, DocumentScope.All, DateTimeOffset.UtcNow.AddYears(1)));
                var conversation = grains.GetGrain<IConversationGrain>(Ids.NewConversationId());
                await conversation.StartAsync(doctor, new StartConversation(vaultId, "Suivi", new NewMessage(MessageType.FreeText, "Bonjour", [])));
                scenes[i] = (vaultId, doctor, conversation);
            });
            var setupSeconds = setup.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"messaging: {pairs} pairs ready in {setupSeconds:F1} s ({setupErrors} errors)");

            var body = new NewMessage(MessageType.FreeText, "Votre ordonnance est prête, passez la chercher à l'accueil.", []);
            var baseline = await TimedAsync(seconds, concurrency, scenes.Length, "baseline get", i => scenes[i].Conversation.GetAsync(scenes[i].Doctor));
            var sends = await TimedAsync(seconds, concurrency, scenes.Length, "send", i =>
                (i & 1) == 0 ? scenes[i].Conversation.SendAsync(scenes[i].Doctor, body) : scenes[i].Conversation.SendAsync(Caller.Patient(scenes[i].VaultId), body));

            var result = new JsonObject
            {
                ["scenario"] = "messaging",
                ["host"] = postgres is null
                    ? "in-process silo, embedded default composition (memory grain state, in-memory audit and outbox)"
                    : "in-process silo, cluster silo composition (PostgreSQL grain state, audit chains, outbox, event log)",
                ["pairs"] = pairs,
                ["seconds"] = seconds,
                ["concurrency"] = concurrency,
                ["setupSeconds"] = ResourceProbe.Round(setupSeconds, 1),
                ["setupErrors"] = setupErrors,
                ["send"] = sends.ToJson(),
                ["baselineGet"] = baseline.ToJson(),
                ["ratioSendToBaseline"] = ResourceProbe.Round(sends.PerSecond / Math.Max(baseline.PerSecond, 1e-9), 3),
                ["processorCount"] = Environment.ProcessorCount,
            };
            var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            Console.WriteLine(json);
            if (outFile is not null)
            {
                await File.WriteAllTextAsync(outFile, json);
            }
            return sends.Errors == 0 && setupErrors == 0 ? 0 : 1;
        }
        finally
        {
            await host.StopAsync();
            try { Directory.Delete(dataPath, recursive: true); } catch (IOException) { }
        }
    }

    private static IHost EmbeddedHost(Action<IServiceCollection> compose)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        compose(builder.Services);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort(), serviceId: "bench-messaging", clusterId: "bench-messaging");
            silo.AddMemoryGrainStorage(GrainNames.Storage);
        });
        return builder.Build();
    }

    private sealed record Timed(long Calls, long Errors, double Seconds, double[] LatencyMs)
    {
        public double PerSecond => (Calls - Errors) / Math.Max(Seconds, 1e-6);

        public JsonObject ToJson() => new()
        {
            ["calls"] = Calls,
            ["errors"] = Errors,
            ["perSecond"] = ResourceProbe.Round(PerSecond, 1),
            ["latencyMs"] = Latency.Summarise(LatencyMs),
        };
    }

    /// <summary><paramref name="loops"/> loops call <paramref name="call"/> on random indexes until <paramref name="seconds"/> have passed.</summary>
    private static async Task<Timed> TimedAsync(int seconds, int loops, int count, string what, Func<int, Task> call)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double[]>();
        long calls = 0, errors = 0;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, loops).Select(loop => Task.Run(async () =>
        {
            var random = new Random(loop);
            var mine = new List<double>();
            while (clock.Elapsed < end)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(random.Next(count));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (Interlocked.Increment(ref errors) <= 3)
                    {
                        Console.Error.WriteLine($"{what} failed: {e.GetType().Name}: {e.Message}");
                    }
                }
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref calls);
            }
            latencies.Add([.. mine]);
        })));
        return new Timed(calls, errors, clock.Elapsed.TotalSeconds, latencies.SelectMany(l => l).ToArray());
    }

    private static string Rpps(string first)
    {
        var body = first + Random.Shared.NextInt64(0, 999_999_999).ToString("D9", CultureInfo.InvariantCulture);
        return body + Luhn.CheckDigit(body);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
