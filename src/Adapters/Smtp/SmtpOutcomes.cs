using Coffre.Application.Mail;

namespace Coffre.Adapters.Smtp;

/// <summary>Where in the SMTP exchange a reply came.</summary>
public enum SmtpStage
{
    /// <summary>Connecting, greeting, STARTTLS, authentication.</summary>
    Connect = 0,

    /// <summary>MAIL FROM: the server refusing our sender is our problem, never the recipient's.</summary>
    Sender = 1,

    /// <summary>RCPT TO.</summary>
    Recipient = 2,

    /// <summary>DATA and the message itself.</summary>
    Message = 3,
}

/// <summary>
/// The one rule that turns an SMTP reply into an outcome (pure): a 5xx reply to the recipient or the message is a
/// permanent refusal — a bounce; a 4xx reply, anything at connection or sender stage (a 5xx there is about our
/// configuration: authentication, sender, relay policy) and a lost connection are transient. The detail holds the
/// stage and the reply code only.
/// </summary>
public static class SmtpOutcomes
{
    public static MailOutcome Classify(SmtpStage stage, int statusCode)
    {
        var detail = $"SMTP {statusCode} at {stage.ToString().ToLowerInvariant()}";
        return stage is SmtpStage.Recipient or SmtpStage.Message && statusCode is >= 500 and <= 599
            ? new MailOutcome(MailOutcomeKind.Refused, detail)
            : new MailOutcome(MailOutcomeKind.Transient, detail);
    }

    /// <summary>A failure without a reply (connection refused or lost, timeout, TLS).</summary>
    public static MailOutcome Unreplied(Exception e) => new(MailOutcomeKind.Transient, $"no SMTP reply ({e.GetType().Name})");

    /// <summary>An address MimeKit cannot parse: no server could ever take it.</summary>
    public static MailOutcome UnusableAddress { get; } = new(MailOutcomeKind.Refused, "the address is not a valid mailbox");
}
