using Coffre.Application.Outbox;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Application;

/// <summary>Registers the application layer's background work.</summary>
public static class ApplicationServices
{
    /// <summary>The outbox dispatcher (a hosted service); it needs an <see cref="IOutbox"/> and the delivery channels from adapters.</summary>
    public static IServiceCollection AddCoffreOutboxDispatcher(this IServiceCollection services)
    {
        services.AddOptions<OutboxDispatcherOptions>();
        services.AddHostedService<OutboxDispatcher>();
        return services;
    }
}
