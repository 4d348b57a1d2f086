using Coffre.Application.Audit;
using Coffre.Application.Contact;
using Coffre.Application.Directory;
using Coffre.Application.Events;
using Coffre.Application.Mail;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Adapters.Local;

/// <summary>Registers the embedded default's adapters, and the file delivery channels every role uses today.</summary>
public static class LocalAdapter
{
    /// <summary>Audit log, outbox, rollout store and directory index in memory; content on the local disk under <paramref name="dataPath"/>/content.</summary>
    public static IServiceCollection AddCoffreLocal(this IServiceCollection services, string dataPath, byte[] auditHeadKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataPath);
        ArgumentNullException.ThrowIfNull(auditHeadKey);
        var contentRoot = Path.Combine(Path.GetFullPath(dataPath), "content");
        services.AddSingleton<IContentStore>(_ => new LocalDiskContentStore(contentRoot));
        services.AddSingleton<IAuditLog>(_ => new InMemoryAuditLog(auditHeadKey));
        services.AddSingleton<IOutbox>(sp => new InMemoryOutbox(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRolloutStore>(sp => new InMemoryRolloutStore(sp.GetRequiredService<IOutbox>(), sp.GetService<TimeProvider>()));
        services.AddSingleton<IDirectoryIndex>(_ => new InMemoryDirectoryIndex());
        services.AddSingleton<IVaultEventLog>(_ => new InMemoryVaultEventLog());
        services.AddSingleton<IContactDirectory>(_ => new InMemoryContactDirectory());
        return services;
    }

    /// <summary>
    /// One JSON-lines file per outbox channel under <paramref name="folder"/> (what a mail or SMS router picks up), but for
    /// the channels in <paramref name="except"/> (delivered by another adapter, e.g. email over SMTP). The email sink also
    /// receives campaign email batches, one line per email, through their router (<see cref="EmailBatchChannel"/>, which
    /// needs the rollout store and the content store).
    /// </summary>
    public static IServiceCollection AddCoffreFileDelivery(this IServiceCollection services, string folder, params OutboxChannel[] except)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var root = Path.GetFullPath(folder);
        foreach (var channel in Enum.GetValues<OutboxChannel>().Except(except))
        {
            // Created (with its folder) when the dispatcher first needs it: a host that never dispatches writes nothing.
            if (channel != OutboxChannel.Email)
            {
                services.AddSingleton<IDeliveryChannel>(_ => new FileDeliveryChannel(root, channel));
                continue;
            }
            // One email sink for ordinary messages and for the batch router's lines (keyed: the dispatcher lists it once).
            services.AddKeyedSingleton<IDeliveryChannel>(EmailSinkKey, (_, _) => new FileDeliveryChannel(root, channel));
            services.AddSingleton(sp => sp.GetRequiredKeyedService<IDeliveryChannel>(EmailSinkKey));
            services.AddSingleton<IDeliveryChannel>(sp => EmailBatchChannel.Around(sp, sp.GetRequiredKeyedService<IDeliveryChannel>(EmailSinkKey)));
        }
        return services;
    }

    private const string EmailSinkKey = "coffre-email-file-sink";
}
