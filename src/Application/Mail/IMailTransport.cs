namespace Coffre.Application.Mail;

/// <summary>A composed plain-text email. <see cref="Id"/> is the outbox message it delivers (Message-ID and outcome key).</summary>
public sealed record MailMessage(Guid Id, string To, string? ToName, string Subject, string TextBody);

/// <summary>What became of one message handed to a mail transport.</summary>
public enum MailOutcomeKind
{
    /// <summary>The server took it (250 after DATA).</summary>
    Sent = 0,

    /// <summary>The server refused it for good (an SMTP 5xx reply to the recipient or the message): a bounce.</summary>
    Refused = 1,

    /// <summary>It may go through later: a 4xx reply, a lost or refused connection, a timeout.</summary>
    Transient = 2,
}

/// <summary>
/// One message's outcome. <see cref="Detail"/> is the server's reply code and kind of failure (for the outbox row's
/// last error), never an address or the message's text.
/// </summary>
public sealed record MailOutcome(MailOutcomeKind Kind, string Detail)
{
    public static MailOutcome Sent { get; } = new(MailOutcomeKind.Sent, "sent");
}

/// <summary>
/// Sends mail (SMTP in <c>Coffre.Adapters.Smtp</c>). A batch goes over as few connections as the transport is
/// configured for; every message gets its own outcome, so one refused recipient never fails the others.
/// </summary>
public interface IMailTransport
{
    /// <summary>
    /// Sends the messages; the answer has one outcome per message id. Cancelled, it returns the outcomes so far (the
    /// sent ones stand; one cut off in flight is transient; those not started have none) instead of throwing.
    /// </summary>
    Task<IReadOnlyDictionary<Guid, MailOutcome>> SendAsync(IReadOnlyList<MailMessage> messages, CancellationToken cancellationToken = default);
}
