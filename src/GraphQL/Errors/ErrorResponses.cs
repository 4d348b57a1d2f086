using System.Diagnostics;
using System.Text.Json;
using Coffre.Domain;
using Microsoft.AspNetCore.Http;

namespace Coffre.GraphQL.Errors;

/// <summary>
/// Request-level errors outside GraphQL execution (malformed requests, REST routes, the error boundary), in the
/// GraphQL error shape every client already parses: <c>{"errors":[{"message","extensions":{"code",…}}]}</c>.
/// </summary>
public static class ErrorResponses
{
    public const string CorrelationHeader = "X-Correlation-Id";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The id a client quotes to support and an operator finds in the logs: the W3C trace id when tracing, else the request id.</summary>
    public static string CorrelationId(HttpContext http) => Activity.Current?.TraceId.ToHexString() ?? http.TraceIdentifier;

    public static Task WriteAsync(HttpContext http, int status, string code, string message, string? field = null, string? reason = null, string? correlationId = null, string? challenge = null, int? retryAfterSeconds = null)
    {
        if (http.Response.HasStarted)
        {
            http.Abort();
            return Task.CompletedTask;
        }
        http.Response.Clear();
        http.Response.StatusCode = status;
        http.Response.Headers.CacheControl = "no-store";
        if (challenge is not null)
        {
            http.Response.Headers.WWWAuthenticate = challenge;
        }
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            http.Response.Headers.RetryAfter = TransientErrors.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (status == StatusCodes.Status429TooManyRequests)
        {
            http.Response.Headers.RetryAfter = (retryAfterSeconds ?? 60).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var extensions = new Dictionary<string, string> { ["code"] = code };
        if (field is not null)
        {
            extensions["field"] = field;
        }
        if (reason is not null)
        {
            extensions["reason"] = reason;
        }
        if (correlationId is not null)
        {
            extensions["correlationId"] = correlationId;
            http.Response.Headers[CorrelationHeader] = correlationId;
        }
        return http.Response.WriteAsJsonAsync(new { errors = new[] { new { message, extensions } } }, Json, "application/json", CancellationToken.None);
    }

    public static Task WriteUnavailableAsync(HttpContext http) =>
        WriteAsync(http, StatusCodes.Status503ServiceUnavailable, ErrorCodes.Unavailable, "the cluster is briefly unavailable (failover in progress): retry after a moment");
}
