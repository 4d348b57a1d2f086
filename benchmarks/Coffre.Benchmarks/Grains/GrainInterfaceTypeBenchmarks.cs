using BenchmarkDotNet.Attributes;
using Coffre.Grains.Operations;
using Coffre.Grains.Rollout;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Orleans.Metadata;

namespace Coffre.Benchmarks.Grains;

/// <summary>
/// What <c>GrainFactory.GetGrain</c> spends naming the grain interface, on every call: Orleans' default provider (reads
/// the interface's custom attributes each time; baseline) against <see cref="CachedGrainInterfaceTypes"/> (once per
/// interface). Both resolvers come from an Orleans client's own services.
/// </summary>
[MemoryDiagnoser]
public class GrainInterfaceTypeBenchmarks
{
    private ServiceProvider _default = null!;
    private ServiceProvider _cached = null!;
    private GrainInterfaceTypeResolver _orleans = null!;
    private GrainInterfaceTypeResolver _coffre = null!;

    [GlobalSetup]
    public void Setup()
    {
        _default = Client(cached: false);
        _cached = Client(cached: true);
        _orleans = _default.GetRequiredService<GrainInterfaceTypeResolver>();
        _coffre = _cached.GetRequiredService<GrainInterfaceTypeResolver>();
        if (_orleans.GetGrainInterfaceType(typeof(IActivationGrain)) != _coffre.GetGrainInterfaceType(typeof(IActivationGrain)))
        {
            throw new InvalidOperationException("the cached provider names the interface differently");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _default.Dispose();
        _cached.Dispose();
    }

    [Benchmark(Baseline = true)]
    public GrainInterfaceType OrleansDefault() => _orleans.GetGrainInterfaceType(typeof(IActivationGrain));

    [Benchmark]
    public GrainInterfaceType Cached() => _coffre.GetGrainInterfaceType(typeof(IActivationGrain));

    private static ServiceProvider Client(bool cached)
    {
        var services = new ServiceCollection();
        services.AddOrleansClient(client =>
        {
            client.UseLocalhostClustering();
            if (cached)
            {
                CachedGrainInterfaceTypes.Use(client.Services);
            }
        });
        return services.BuildServiceProvider();
    }
}
