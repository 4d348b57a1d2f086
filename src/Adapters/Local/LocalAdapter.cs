using Coffre.Application.Audit;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Adapters.Local;

/// <summary>Registers the embedded default's adapters, and the file delivery channels every role uses today.</summary>
public static class LocalAdapter
{
    /// <summary>Audit log, outbox and rollout store in memory; content on the local disk under <paramref name="dataPath"/>/content.</summary>
    public static IServiceCollection AddCoffreLocal(this IServiceCollection services, string dataPath, byte[] auditHeadKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataPath);
        ArgumentNullException.ThrowIfNull(auditHeadKey);
        var contentRoot = Path.Combine(Path.GetFullPath(dataPath), "content");
        services.AddSingleton<IContentStore>(_ => new LocalDiskContentStore(contentRoot));
        services.AddSingleton<IAuditLog>(_ => new InMemoryAuditLog(auditHeadKey));
        services.AddSingleton<IOutbox>(sp => new InMemoryOutbox(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRolloutStore>(sp => new InMemoryRolloutStore(sp.GetRequiredService<IOutbox>()));
        return services;
    }

    /// <summary>One JSON-lines file per outbox channel under <paramref name="folder"/> (what a mail or SMS router picks up).</summary>
    public static IServiceCollection AddCoffreFileDelivery(this IServiceCollection services, string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        foreach (var channel in FileDeliveryChannel.ForAllChannels(Path.GetFullPath(folder)))
        {
            services.AddSingleton<IDeliveryChannel>(channel);
        }
        return services;
    }
}
