using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Coffre.Domain.Rollout;
using Coffre.Grains;
using Coffre.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Coffre.Harness;

/// <summary>A person's code kept in the person's own grain (the naive design the batched issuance replaces).</summary>
public interface INaiveCodeGrain : IGrainWithStringKey
{
    Task IssueAsync();
}

[GenerateSerializer]
public sealed class NaiveCodeState
{
    [Id(0)] public short KeyId { get; set; }
    [Id(1)] public byte[] CodeHash { get; set; } = [];
    [Id(2)] public DateTimeOffset IssuedAt { get; set; }
    [Id(3)] public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>Generates a code, hashes it and persists the hash with <c>WriteStateAsync</c>: one ADO.NET write (one commit) per person.</summary>
public sealed class NaiveCodeGrain(
    [PersistentState("naive-code-v1", GrainNames.Storage)] IPersistentState<NaiveCodeState> state,
    CodeHasher hasher) : Grain, INaiveCodeGrain
{
    public async Task IssueAsync()
    {
        Span<char> code = stackalloc char[ActivationCodes.CanonicalLength];
        ActivationCodes.Generate(code);
        var hash = new byte[CodeHasher.HashSize];
        hasher.Hash(code, hash);
        var now = DateTimeOffset.UtcNow;
        state.State.KeyId = hasher.CurrentKeyId;
        state.State.CodeHash = hash;
        state.State.IssuedAt = now;
        state.State.ExpiresAt = now.AddDays(42);
        await state.WriteStateAsync();
    }
}

/// <summary>
/// An in-process silo with the silo role's PostgreSQL grain-state wiring (<see cref="OrleansHosting.AddCoffrePostgresState"/>)
/// on the benchmark database, and 64 concurrent loops each calling <see cref="INaiveCodeGrain.IssueAsync"/> on distinct grains.
/// </summary>
public static class NaiveGrainBaseline
{
    public sealed record Result(int Calls, int Errors, double Seconds, double[] LatencyMs, string ServiceId)
    {
        public double CallsPerSecond => (Calls - Errors) / Math.Max(Seconds, 1e-6);
    }

    public static async Task<Result> RunAsync(string connectionString, CodeHasher hasher, IReadOnlyList<string> keys, int loops)
    {
        var serviceId = "bench-naive-" + Guid.NewGuid().ToString("N")[..8];
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(hasher);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort(), serviceId: serviceId, clusterId: serviceId);
            silo.AddCoffrePostgresState(connectionString);
        });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var latencies = new double[keys.Count];
            var next = -1;
            var errors = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
            {
                while (true)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= keys.Count)
                    {
                        return;
                    }
                    var start = Stopwatch.GetTimestamp();
                    try
                    {
                        await grains.GetGrain<INaiveCodeGrain>(keys[i]).IssueAsync();
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        if (Interlocked.Increment(ref errors) <= 3)
                        {
                            Console.Error.WriteLine($"naive grain call failed: {e.GetType().Name}: {e.Message}");
                        }
                    }
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            })));
            return new Result(keys.Count, errors, clock.Elapsed.TotalSeconds, latencies, serviceId);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
