using Coffre.Application.Alerts;
using Coffre.Application.Contact;
using Coffre.Application.Outbox;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Adapters.Sms;

/// <summary>Registers the HTTP SMS provider behind <see cref="ISmsProvider"/> and the alert SMS channel that uses it.</summary>
public static class SmsAdapter
{
    /// <summary><see cref="SmsOptions"/> are bound and validated by the composition. Needs the contact directory and the outbox.</summary>
    public static IServiceCollection AddCoffreSms(this IServiceCollection services)
    {
        services.AddOptions<SmsOptions>();
        services.AddSingleton<ISmsProvider, HttpSmsProvider>();
        services.AddSingleton<IDeliveryChannel>(sp => new AlertSmsChannel(
            sp.GetRequiredService<IContactDirectory>(),
            sp.GetRequiredService<IOutbox>(),
            sp.GetRequiredService<ISmsProvider>(),
            sp.GetService<TimeProvider>()));
        return services;
    }
}
