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
    /// The SMTP transport, the outbox's email channel (<see cref="EmailDeliveryChannel"/>) and the router of campaign email
    /// batches around it (<see cref="EmailBatchChannel"/>); <see cref="SmtpOptions"/> are bound and validated by the
    /// composition. Needs the rollout store, the content store and the delivery cipher.
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
        services.AddSingleton(sp => new EmailDeliveryChannel(
            sp.GetRequiredService<IRolloutStore>(),
            sp.GetRequiredService<DeliveryCodeCipher>(),
            sp.GetRequiredService<Coffre.Application.Mail.IMailTransport>(),
            sp.GetRequiredService<ActivationEmail>(),
            sp.GetService<TimeProvider>()));
        services.AddSingleton<IDeliveryChannel>(sp => sp.GetRequiredService<EmailDeliveryChannel>());
        // Campaign email batches: the router sends each batch file's lines through the same email channel.
        services.AddSingleton<IDeliveryChannel>(sp => EmailBatchChannel.Around(sp, sp.GetRequiredService<EmailDeliveryChannel>()));
        // Alerts (new message, reminder, first access, break-glass) over the same transport; needs the contact directory.
        services.AddSingleton<IDeliveryChannel>(sp => new AlertEmailChannel(
            sp.GetRequiredService<IContactDirectory>(),
            sp.GetRequiredService<IOutbox>(),
            sp.GetRequiredService<Coffre.Application.Mail.IMailTransport>(),
            sp.GetService<TimeProvider>()));
        return services;
    }
}
