using Coffre.Grains.Operations;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;
using Orleans.Serialization.TypeSystem;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>The cached grain interface types answer what Orleans' own resolution does, for every grain interface.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CachedGrainInterfaceTypesTests(ClusterFixture fixture)
{
    [Fact]
    public void Every_grain_interface_resolves_as_orleans_resolves_it_and_the_silo_uses_the_cache()
    {
        var services = fixture.Cluster.GetSiloServiceProvider();
        Assert.Single(services.GetServices<IGrainInterfaceTypeProvider>(), p => p is CachedGrainInterfaceTypes);
        Assert.DoesNotContain(services.GetServices<IGrainInterfaceTypeProvider>(), p => p is AttributeGrainInterfaceTypeProvider);
        var cached = services.GetRequiredService<GrainInterfaceTypeResolver>();
        var orleans = new GrainInterfaceTypeResolver([new AttributeGrainInterfaceTypeProvider(services)], services.GetRequiredService<TypeConverter>());
        var interfaces = typeof(Coffre.Grains.Rollout.IActivationGrain).Assembly.GetTypes()
            .Concat(typeof(Coffre.Grains.GrainServices).Assembly.GetTypes())
            .Where(t => t.IsInterface && typeof(IGrain).IsAssignableFrom(t) && !t.ContainsGenericParameters)
            .ToList();
        Assert.True(interfaces.Count > 20, $"found {interfaces.Count} grain interfaces");
        foreach (var type in interfaces)
        {
            Assert.Equal(orleans.GetGrainInterfaceType(type), cached.GetGrainInterfaceType(type));
            Assert.Equal(orleans.GetGrainInterfaceType(type), cached.GetGrainInterfaceType(type)); // from the cache
        }
    }
}
