using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Coffre.Application.Alerts;
using Microsoft.Extensions.Options;

namespace Coffre.Adapters.Sms;

/// <summary>
/// SMS through an HTTP provider: one JSON POST <c>{to, text, reference}</c> per message (reference = the outbox id, so
/// the provider can drop a retried duplicate), at most <see cref="SmsOptions.Parallelism"/> at once, each bounded by
/// <see cref="SmsOptions.Timeout"/>. 2xx = sent; 4xx = the number is invalid or unreachable (a bounce), except 408 and
/// 429 which are retried like 5xx, timeouts and connection failures. Outcome details hold status codes only.
/// </summary>
public sealed class HttpSmsProvider : ISmsProvider, IDisposable
{
    private readonly HttpClient _http;
    private readonly SmsOptions _options;
    private readonly Uri _url;

    public HttpSmsProvider(IOptions<SmsOptions> options)
    {
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
        await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken },
            async (message, token) => outcomes[message.Id] = await SendOneAsync(message, token).ConfigureAwait(false)).ConfigureAwait(false);
        return outcomes;
    }

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
            >= 200 and < 300 => new AlertSendOutcome(AlertSendKind.Sent, $"SMS provider {code}"),
            408 or 429 => new AlertSendOutcome(AlertSendKind.Transient, $"SMS provider {code}"),
            >= 400 and < 500 => new AlertSendOutcome(AlertSendKind.Refused, $"SMS provider {code}: invalid or unreachable number"),
            _ => new AlertSendOutcome(AlertSendKind.Transient, $"SMS provider {code}"),
        };
    }

    public void Dispose() => _http.Dispose();
}
