using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;

namespace Coffre.Grains.Operations;

/// <summary>
/// Orleans' grain interface type of each interface, worked out once. <c>GrainFactory.GetGrain</c> asks for it on every
/// call, and the default provider reads the interface's custom attributes each time (reflection that allocates): with
/// one <c>GetGrain</c> per activation it was 4 % of the silo's CPU samples at N = 1 M. This provider takes its place and
/// answers what the resolver would have (the attribute's type, else the naming convention) from a cache.
/// </summary>
public sealed class CachedGrainInterfaceTypes(IServiceProvider services) : IGrainInterfaceTypeProvider
{
    private readonly AttributeGrainInterfaceTypeProvider _attributes = new(services);
    private readonly ConcurrentDictionary<Type, GrainInterfaceType> _types = new();

    public bool TryGetGrainInterfaceType(Type type, out GrainInterfaceType grainInterfaceType)
    {
        grainInterfaceType = _types.GetOrAdd(type, static (interfaceType, self) => self.Resolve(interfaceType), this);
        return true;
    }

    /// <summary>
    /// The attribute's answer, else the convention's (which already carries a constructed generic interface's arguments;
    /// the resolver adds them only to a type whose arguments are still open).
    /// </summary>
    private GrainInterfaceType Resolve(Type type) =>
        _attributes.TryGetGrainInterfaceType(type, out var fromAttribute)
            ? fromAttribute
            : services.GetRequiredService<GrainInterfaceTypeResolver>().GetGrainInterfaceTypeByConvention(type);

    /// <summary>Takes the place of Orleans' attribute provider (call inside the silo's or the client's configuration, after its defaults).</summary>
    public static IServiceCollection Use(IServiceCollection services)
    {
        var index = services.ToList().FindIndex(d => d.ServiceType == typeof(IGrainInterfaceTypeProvider)
            && d.ImplementationType == typeof(AttributeGrainInterfaceTypeProvider));
        if (index < 0)
        {
            throw new InvalidOperationException("Orleans' attribute grain interface type provider is not registered: configure Orleans first");
        }
        services[index] = ServiceDescriptor.Singleton<IGrainInterfaceTypeProvider, CachedGrainInterfaceTypes>();
        return services;
    }
}
