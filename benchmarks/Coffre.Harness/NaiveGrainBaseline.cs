using System.Diagnostics;
using Coffre.Domain.Rollout;
using Coffre.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
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
        using var host = InProcessSilo.Build(connectionString, serviceId, services => services.AddSingleton(hasher));
        await host.StartAsync();
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var clock = Stopwatch.StartNew();
            var (errors, latencies) = await InProcessSilo.CallAllAsync(keys.Count, loops, "naive grain", i => grains.GetGrain<INaiveCodeGrain>(keys[i]).IssueAsync());
            return new Result(keys.Count, errors, clock.Elapsed.TotalSeconds, latencies, serviceId);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
