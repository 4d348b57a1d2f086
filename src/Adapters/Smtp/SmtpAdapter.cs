using Coffre.Application.Alerts;
using Coffre.Application.Contact;
using Coffre.Application.Mail;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Coffre.Adapters.Smtp;

/// <summary>Registers SMTP behind the mail port and the email channel that uses it.</summary>
public static class SmtpAdapter
{
    /// <summary>
    /// The SMTP transport and the outbox's email channel (<see cref="EmailDeliveryChannel"/>); <see cref="SmtpOptions"/>
    /// are bound and validated by the composition. Needs the rollout store and the delivery cipher.
    /// </summary>
    public static IServiceCollection AddCoffreSmtp(this IServiceCollection services)
    {
        services.AddOptions<SmtpOptions>();
        services.AddSingleton<Coffre.Application.Mail.IMailTransport, SmtpMailTransport>();
        services.AddSingleton(sp =>
        {
            var smtp = sp.GetRequiredService<IOptions<SmtpOptions>>().Value;
            return new ActivationEmail(new ActivationEmailOptions { ActivationUrl = new Uri(smtp.ActivationUrl), TimeZone = smtp.TimeZone });
        });
        services.AddSingleton<IDeliveryChannel>(sp => new EmailDeliveryChannel(
            sp.GetRequiredService<IRolloutStore>(),
            sp.GetRequiredService<DeliveryCodeCipher>(),
            sp.GetRequiredService<Coffre.Application.Mail.IMailTransport>(),
            sp.GetRequiredService<ActivationEmail>(),
            sp.GetService<TimeProvider>()));
        // Alerts (new message, reminder, first access, break-glass) over the same transport; needs the contact directory.
        services.AddSingleton<IDeliveryChannel>(sp => new AlertEmailChannel(
            sp.GetRequiredService<IContactDirectory>(),
            sp.GetRequiredService<IOutbox>(),
            sp.GetRequiredService<Coffre.Application.Mail.IMailTransport>(),
            sp.GetService<TimeProvider>()));
        return services;
    }
}
