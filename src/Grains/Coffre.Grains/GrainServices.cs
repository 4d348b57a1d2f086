using Coffre.Application.Audit;
using Coffre.Domain.Access;
using Coffre.Grains.Events;
using Coffre.Grains.Operations;
using Coffre.Grains.Rollout;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Coffre.Grains;

/// <summary>What the grains need from their silo beyond the ports' adapters and the keys.</summary>
public static class GrainServices
{
    /// <summary>
    /// The habilitation matrix and the one access evaluator (every role: the API explains decisions too).
    /// </summary>
    public static IServiceCollection AddCoffreAccess(this IServiceCollection services)
    {
        services.AddSingleton(HabilitationMatrix.Default);
        services.AddSingleton<AccessEvaluator>();
        return services;
    }

    /// <summary>
    /// The registry view of the rollout store, the grains' options, and the silo's counting of appended audit events
    /// around the audit log an adapter registered before (call this after the adapter).
    /// </summary>
    public static IServiceCollection AddCoffreGrainServices(this IServiceCollection services)
    {
        services.AddOptions<VaultOptions>();
        services.AddOptions<ActivationOptions>();
        services.AddSingleton<RolloutRegistry>();
        services.AddSingleton<IVaultRegistry>(sp => sp.GetRequiredService<RolloutRegistry>());
        services.AddSingleton<IActivationStore>(sp => sp.GetRequiredService<RolloutRegistry>());
        services.AddSingleton<ActivationSettler>();
        // The API in this process hands activation attempts to this silo's settler directly (a gateway uses the grain).
        services.AddSingleton<SiloActivations>();
        services.AddSingleton<IActivations>(sp => sp.GetRequiredService<SiloActivations>());
        services.AddSingleton<PersonNotifier>();
        // Exports read this clock (a test moves it to expire archives without moving the silo's).
        services.TryAddKeyedSingleton<TimeProvider>(Exports.ExportGrain.ClockKey, (sp, _) => sp.GetService<TimeProvider>() ?? TimeProvider.System);
        // The event transport: the durable log (an adapter's IVaultEventLog) then the hub grains (see LoggedVaultEventPublisher).
        services.TryAddSingleton<IVaultEventPublisher, LoggedVaultEventPublisher>();
        services.AddHostedService<Coffre.Application.Events.VaultEventRetention>();
        var audit = services.LastOrDefault(d => d.ServiceType == typeof(IAuditLog))
            ?? throw new InvalidOperationException("register an audit log adapter before the grain services");
        services.Remove(audit);
        services.AddSingleton<IAuditLog>(sp => new CountingAuditLog(Resolve(audit, sp)));
        return services;
    }

    private static IAuditLog Resolve(ServiceDescriptor descriptor, IServiceProvider services) =>
        (IAuditLog)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
