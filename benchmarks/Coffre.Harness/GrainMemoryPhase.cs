using System.Diagnostics;
using System.Runtime;
using Coffre.Adapters.Postgres;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Grains;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans;

namespace Coffre.Harness;

/// <summary>The same-run floor for grain memory: an Orleans grain with no state and no dependencies.</summary>
public interface IEmptyProbeGrain : IGrainWithStringKey
{
    Task PingAsync();
}

public sealed class EmptyProbeGrain : Grain, IEmptyProbeGrain
{
    public Task PingAsync() => Task.CompletedTask;
}

/// <summary>
/// Memory per idle vault grain in one silo: an in-process silo composed with the grain services of the silo role
/// (PostgreSQL registry, audit log and grain state on the benchmark database), M registry vaults activated with a call
/// that reads nothing once the vault is loaded (an anonymous <c>explain</c>: the activation reads the vault's stored
/// state and the registry row, then the call is refused without an audit), and the managed heap measured after full
/// blocking compacting collections before and after. The same-run baseline activates M empty grains first, so the
/// report separates what Orleans keeps per activation from what the vault adds.
/// </summary>
public static class GrainMemoryPhase
{
    public sealed record Result(int Grains, int EmptyErrors, int VaultErrors, long HeapBefore, long HeapAfterEmpty, long HeapAfterVaults,
        long RssBefore, long RssAfterEmpty, long RssAfterVaults, int ActivationsCounted, double EmptySeconds, double VaultSeconds)
    {
        public double EmptyBytesPerGrain => (HeapAfterEmpty - HeapBefore) / (double)Math.Max(1, Grains);
        public double VaultBytesPerGrain => (HeapAfterVaults - HeapAfterEmpty) / (double)Math.Max(1, Grains);
        public double VaultRssBytesPerGrain => (RssAfterVaults - RssAfterEmpty) / (double)Math.Max(1, Grains);
    }

    public static async Task<Result> RunAsync(string connectionString, NpgsqlDataSource dataSource, IContentStore content, NirHasher nirHasher,
        CodeHasher codeHasher, byte[] auditHeadKey, int grains, int loops)
    {
        var vaultIds = await VaultIdsAsync(dataSource, grains);
        var emptyKeys = Enumerable.Range(0, vaultIds.Count).Select(i => "e" + i.ToString("D21", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var serviceId = "bench-memory-" + Guid.NewGuid().ToString("N")[..8];
        using var host = InProcessSilo.Build(connectionString, serviceId, services =>
        {
            services.AddSingleton(TimeProvider.System);
            services.AddCoffreAccess();
            services.AddCoffrePostgres(dataSource, auditHeadKey);
            services.AddSingleton(content);
            services.AddSingleton(nirHasher);
            services.AddSingleton(codeHasher);
            services.AddCoffreGrainServices();
            // Idle vaults must stay in memory for the whole measurement (the default collection age is longer than the
            // phase; this only makes it explicit).
            services.Configure<Orleans.Configuration.GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromHours(2));
        });
        await host.StartAsync();
        try
        {
            var factory = host.Services.GetRequiredService<IGrainFactory>();
            var (heapBefore, rssBefore) = Settle();
            var clock = Stopwatch.StartNew();
            var (emptyErrors, _) = await InProcessSilo.CallAllAsync(emptyKeys.Length, loops, "empty grain", i => factory.GetGrain<IEmptyProbeGrain>(emptyKeys[i]).PingAsync());
            var emptySeconds = clock.Elapsed.TotalSeconds;
            var (heapEmpty, rssEmpty) = Settle();
            clock.Restart();
            var (vaultErrors, _) = await InProcessSilo.CallAllAsync(vaultIds.Count, loops, "vault grain",
                i => factory.GetGrain<IVaultGrain>(vaultIds[i]).ExplainAsync(Caller.Anonymous, VaultAction.ListDocuments, null));
            var vaultSeconds = clock.Elapsed.TotalSeconds;
            var (heapVaults, rssVaults) = Settle();
            var statistics = await factory.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
            var counted = statistics.Where(s => s.GrainType.Contains("Vault", StringComparison.OrdinalIgnoreCase) || s.GrainType.Contains("EmptyProbe", StringComparison.Ordinal))
                .Sum(s => s.ActivationCount);
            GC.KeepAlive(vaultIds);
            GC.KeepAlive(emptyKeys);
            return new Result(vaultIds.Count, emptyErrors, vaultErrors, heapBefore, heapEmpty, heapVaults, rssBefore, rssEmpty, rssVaults, counted, emptySeconds, vaultSeconds);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Managed heap and resident set after full, blocking, compacting collections (twice: finalizers run in between).</summary>
    private static (long Heap, long Rss) Settle()
    {
        for (var i = 0; i < 2; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: false), self.WorkingSet64);
    }

    private static async Task<List<string>> VaultIdsAsync(NpgsqlDataSource dataSource, int count)
    {
        var ids = new List<string>(count);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT vault_id FROM registry_person WHERE status IN (0, 2) ORDER BY status DESC LIMIT $1", connection) { CommandTimeout = 600 };
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }
}
