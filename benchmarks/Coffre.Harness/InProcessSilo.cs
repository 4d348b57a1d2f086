using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Coffre.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

namespace Coffre.Harness;

/// <summary>
/// A silo inside the harness process (localhost clustering on free ports, the silo role's PostgreSQL grain state on the
/// benchmark database), for the phases that call grains directly: the naive per-grain baseline and grain memory.
/// </summary>
public static class InProcessSilo
{
    public static IHost Build(string connectionString, string serviceId, Action<IServiceCollection> services)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        services(builder.Services);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort(), serviceId: serviceId, clusterId: serviceId);
            silo.AddCoffrePostgresState(connectionString);
        });
        return builder.Build();
    }

    /// <summary>
    /// Calls <paramref name="call"/> for 0 … <paramref name="count"/> − 1 from <paramref name="loops"/> concurrent loops;
    /// the errors (the first three printed) and each call's latency in milliseconds.
    /// </summary>
    public static async Task<(int Errors, double[] LatencyMs)> CallAllAsync(int count, int loops, string what, Func<int, Task> call)
    {
        var latencies = new double[count];
        var next = -1;
        var errors = 0;
        await Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count)
                {
                    return;
                }
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(i);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (Interlocked.Increment(ref errors) <= 3)
                    {
                        Console.Error.WriteLine($"{what} call failed: {e.GetType().Name}: {e.Message}");
                    }
                }
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        })));
        return (errors, latencies);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
