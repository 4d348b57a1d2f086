using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Coffre.Application.Alerts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Coffre.Adapters.Sms;

/// <summary>
/// SMS through an HTTP provider: one JSON POST <c>{to, text, reference}</c> per message (reference = the outbox id, so
/// the provider can drop a retried duplicate), at most <see cref="SmsOptions.Parallelism"/> at once, each bounded by
/// <see cref="SmsOptions.Timeout"/>. 2xx = sent; 400, 410 and 422 = the provider's answers for an invalid or unreachable
/// number (a bounce, for good); every other status (401/403 for a wrong or rotated API key, 404 for a wrong URL, 408, 413,
/// 415, 429, 5xx), timeouts and connection failures are transient: retried with back-off, so a configuration mistake
/// delays alerts instead of settling them all as bounced (and is logged with its status code). Outcome details and
/// logs hold status codes only, never the number. Cancelled (the dispatcher's delivery timeout), it returns the outcomes
/// so far: the messages in flight count as transient, those not started get no outcome.
/// </summary>
public sealed partial class HttpSmsProvider : ISmsProvider, IDisposable
{
    private readonly HttpClient _http;
    private readonly SmsOptions _options;
    private readonly Uri _url;
    private readonly ILogger<HttpSmsProvider> _logger;

    public HttpSmsProvider(IOptions<SmsOptions> options, ILogger<HttpSmsProvider>? logger = null)
    {
        _logger = logger ?? NullLogger<HttpSmsProvider>.Instance;
        _options = options.Value;
        _url = new Uri(_options.Url, UriKind.Absolute);
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = _options.Timeout })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Add(_options.ApiKeyHeader, _options.ApiKey);
    }

    public async Task<IReadOnlyDictionary<Guid, AlertSendOutcome>> SendAsync(IReadOnlyList<SmsMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var outcomes = new ConcurrentDictionary<Guid, AlertSendOutcome>();
        try
        {
            await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken },
                async (message, token) => outcomes[message.Id] = await SendOneAsync(message, token).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The outcomes so far stand (the sent ones are not sent again); the rest is the caller's to retry.
        }
        foreach (var status in outcomes.Values.Select(o => o.Status).OfType<int>().Where(s => s is >= 400 and < 500 && Classify((HttpStatusCode)s).Kind == AlertSendKind.Transient).Distinct())
        {
            LogRejectedRequest(status, outcomes.Values.Count(o => o.Status == status));
        }
        return outcomes;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS provider answered {Status} to {Count} messages: retried later (401/403: check the API key; 404: the URL)")]
    private partial void LogRejectedRequest(int status, int count);

    private async Task<AlertSendOutcome> SendOneAsync(SmsMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var response = await _http.PostAsJsonAsync(_url, new { to = message.To, text = message.Text, reference = message.Id.ToString("D") }, timeout.Token)
                .ConfigureAwait(false);
            return Classify(response.StatusCode);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new AlertSendOutcome(AlertSendKind.Transient, $"SMS provider timed out after {_options.Timeout}");
        }
        catch (OperationCanceledException)
        {
            // Cut off in flight: perhaps sent; retried under the same reference, which the provider recognises.
            return new AlertSendOutcome(AlertSendKind.Transient, "cancelled while the SMS provider was answering");
        }
        catch (HttpRequestException e)
        {
            return new AlertSendOutcome(AlertSendKind.Transient, $"SMS provider unreachable ({e.HttpRequestError})");
        }
    }

    /// <summary>How a provider's status code counts (see the class summary).</summary>
    public static AlertSendOutcome Classify(HttpStatusCode status)
    {
        var code = (int)status;
        return code switch
        {
            >= 200 and < 300 => new AlertSendOutcome(AlertSendKind.Sent, $"SMS provider {code}", code),
            400 or 410 or 422 => new AlertSendOutcome(AlertSendKind.Refused, $"SMS provider {code}: invalid or unreachable number", code),
            _ => new AlertSendOutcome(AlertSendKind.Transient, $"SMS provider {code}", code),
        };
    }

    public void Dispose() => _http.Dispose();
}
