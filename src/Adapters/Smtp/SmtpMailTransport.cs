using System.Net.Sockets;
using Coffre.Application.Mail;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Coffre.Adapters.Smtp;

/// <summary>
/// The mail transport over SMTP (MailKit). A batch is spread over at most <see cref="SmtpOptions.Connections"/>
/// connections, each sending its share one message after another (one MAIL FROM / RCPT TO / DATA per message, the
/// connection kept between messages); every message gets its outcome through <see cref="SmtpOutcomes"/>. A connection
/// lost mid-batch is opened again for the rest of its share. Logs carry counts, stages and reply codes only.
/// </summary>
public sealed partial class SmtpMailTransport(IOptions<SmtpOptions> options, ILogger<SmtpMailTransport> logger) : Coffre.Application.Mail.IMailTransport
{
    private readonly SmtpOptions _options = options.Value;

    public async Task<IReadOnlyDictionary<Guid, MailOutcome>> SendAsync(IReadOnlyList<MailMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var outcomes = new Dictionary<Guid, MailOutcome>(messages.Count);
        if (messages.Count == 0)
        {
            return outcomes;
        }
        var connections = Math.Min(_options.Connections, messages.Count);
        var shares = Enumerable.Range(0, connections)
            .Select(c => messages.Where((_, i) => i % connections == c).ToList())
            .ToList();
        var results = await Task.WhenAll(shares.Select(share => SendShareAsync(share, cancellationToken))).ConfigureAwait(false);
        foreach (var result in results)
        {
            foreach (var (id, outcome) in result)
            {
                outcomes[id] = outcome;
            }
        }
        var refused = outcomes.Values.Count(o => o.Kind == MailOutcomeKind.Refused);
        var transient = outcomes.Values.Count(o => o.Kind == MailOutcomeKind.Transient);
        LogBatch(messages.Count, messages.Count - refused - transient, refused, transient, connections);
        return outcomes;
    }

    private async Task<List<(Guid, MailOutcome)>> SendShareAsync(List<MailMessage> share, CancellationToken cancellationToken)
    {
        var outcomes = new List<(Guid, MailOutcome)>(share.Count);
        using var client = new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        Guid? inFlight = null;
        try
        {
            foreach (var message in share)
            {
                cancellationToken.ThrowIfCancellationRequested();
                MimeMessage mime;
                try
                {
                    mime = Compose(message);
                }
                catch (ParseException)
                {
                    outcomes.Add((message.Id, SmtpOutcomes.UnusableAddress));
                    continue;
                }
                if (!client.IsConnected)
                {
                    try
                    {
                        await ConnectAsync(client, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        // The server is out of reach: the rest of this share waits for a retry.
                        var outcome = e is SmtpCommandException command ? SmtpOutcomes.Classify(SmtpStage.Connect, (int)command.StatusCode) : SmtpOutcomes.Unreplied(e);
                        LogConnectFailed(outcome.Detail);
                        outcomes.AddRange(share.Skip(outcomes.Count).Select(m => (m.Id, outcome)));
                        return outcomes;
                    }
                }
                inFlight = message.Id;
                outcomes.Add((message.Id, await SendOneAsync(client, mime, cancellationToken).ConfigureAwait(false)));
                inFlight = null;
            }
            return outcomes;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Out of time: the messages sent so far stand (not sent again); the one cut off in flight is transient,
            // the rest has no outcome (not started).
            if (inFlight is { } id)
            {
                outcomes.Add((id, new MailOutcome(MailOutcomeKind.Transient, "cancelled while the SMTP server was answering")));
            }
            return outcomes;
        }
        finally
        {
            if (client.IsConnected)
            {
                try
                {
                    await client.DisconnectAsync(quit: true, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or ProtocolException or OperationCanceledException or TimeoutException)
                {
                    // Already sent or already failed: the outcomes stand.
                }
            }
        }
    }

    private static async Task<MailOutcome> SendOneAsync(SmtpClient client, MimeMessage mime, CancellationToken cancellationToken)
    {
        try
        {
            await client.SendAsync(mime, cancellationToken).ConfigureAwait(false);
            return MailOutcome.Sent;
        }
        catch (SmtpCommandException e)
        {
            var stage = e.ErrorCode switch
            {
                SmtpErrorCode.RecipientNotAccepted => SmtpStage.Recipient,
                SmtpErrorCode.SenderNotAccepted => SmtpStage.Sender,
                SmtpErrorCode.MessageNotAccepted => SmtpStage.Message,
                _ => SmtpStage.Connect,
            };
            return SmtpOutcomes.Classify(stage, (int)e.StatusCode);
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException or TimeoutException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The connection is gone; the next message opens a new one.
            if (client.IsConnected)
            {
                try
                {
                    await client.DisconnectAsync(quit: false, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ignored) when (ignored is IOException or SocketException or ProtocolException)
                {
                }
            }
            return SmtpOutcomes.Unreplied(e);
        }
    }

    private async Task ConnectAsync(SmtpClient client, CancellationToken cancellationToken)
    {
        var security = _options.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTls,
        };
        await client.ConnectAsync(_options.Host, _options.Port, security, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(_options.UserName))
        {
            await client.AuthenticateAsync(_options.UserName, _options.Password ?? "", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The MIME form: plain text, UTF-8, a Message-ID made of the outbox message id (so a resend is recognisable).</summary>
    public MimeMessage Compose(MailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var to = MailboxAddress.Parse(message.To);
        if (message.ToName is { Length: > 0 } name)
        {
            to.Name = name;
        }
        var mime = new MimeMessage
        {
            Subject = message.Subject,
            MessageId = $"{message.Id:N}@{DomainOf(_options.SenderAddress)}",
            Body = new TextPart(MimeKit.Text.TextFormat.Plain) { Text = message.TextBody },
        };
        mime.From.Add(new MailboxAddress(_options.SenderName, _options.SenderAddress));
        mime.To.Add(to);
        return mime;
    }

    private static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..];

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "SMTP batch of {Count}: {Sent} sent, {Refused} refused, {Transient} to retry, over {Connections} connections")]
    private partial void LogBatch(int count, int sent, int refused, int transient, int connections);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "SMTP connection failed: {Detail}")]
    private partial void LogConnectFailed(string detail);
}
