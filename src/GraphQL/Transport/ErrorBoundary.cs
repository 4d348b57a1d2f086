using Coffre.Domain;
using Coffre.GraphQL.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// The outermost middleware: nothing thrown by a request ever reaches the client as a 500 page or a stack trace, in
/// any profile. A malformed request (Kestrel's bad-request errors, a truncated or garbage body, oversize headers of a
/// part) answers 4xx <c>BAD_REQUEST</c>; a transient cluster or store failure answers 503 <c>UNAVAILABLE</c> with
/// <c>Retry-After</c>; anything else is logged once with a correlation id the client also receives (500 <c>INTERNAL</c>).
/// </summary>
public sealed partial class ErrorBoundary(RequestDelegate next, ILogger<ErrorBoundary> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody to answer.
        }
        catch (Exception e)
        {
            await AnswerAsync(http, e);
        }
    }

    private Task AnswerAsync(HttpContext http, Exception e)
    {
        switch (Classify(e))
        {
            case Failure.BadRequest:
                var status = e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
                return ErrorResponses.WriteAsync(http, status, status == StatusCodes.Status413PayloadTooLarge ? "REQUEST_TOO_LARGE" : "BAD_REQUEST",
                    status == StatusCodes.Status413PayloadTooLarge ? "the request is too large" : "the request is malformed: " + BadRequestReason(e));
            case Failure.Transient:
                return ErrorResponses.WriteUnavailableAsync(http);
            default:
                var correlationId = ErrorResponses.CorrelationId(http);
                LogUnhandled(logger, e.GetType().FullName ?? e.GetType().Name, correlationId, http.Request.Method, http.GetEndpoint()?.DisplayName ?? "(no endpoint)", e.StackTrace);
                return ErrorResponses.WriteAsync(http, StatusCodes.Status500InternalServerError, ErrorCodes.Internal,
                    "internal error: quote the correlation id to support", correlationId: correlationId);
        }
    }

    private enum Failure { BadRequest, Transient, Unexpected }

    /// <summary>A request's own fault (4xx), the cluster's passing state (503), or a defect (500).</summary>
    private static Failure Classify(Exception e) => e switch
    {
        BadHttpRequestException => Failure.BadRequest,
        // MultipartReader and form parsing: a truncated body, a boundary never closed, headers past their limit.
        InvalidDataException or IOException when e is not System.Net.Sockets.SocketException => Failure.BadRequest,
        _ when TransientErrors.IsTransient(e) => Failure.Transient,
        _ => Failure.Unexpected,
    };

    private static string BadRequestReason(Exception e) => e switch
    {
        BadHttpRequestException => "the body does not match its headers (length, encoding) or arrived too slowly",
        InvalidDataException => "a multipart section or its headers exceed their limits or are not well formed",
        _ => "the body ended before it was complete",
    };

    /// <summary>Type, correlation id, method, route and stack: never the URL with its parameters, a header or a body.</summary>
    [LoggerMessage(EventId = 5000, Level = LogLevel.Error, Message = "unhandled {ExceptionType} (correlation {CorrelationId}) in {Method} {Endpoint}\n{StackTrace}")]
    private static partial void LogUnhandled(ILogger logger, string exceptionType, string correlationId, string method, string endpoint, string? stackTrace);
}

public static class ErrorBoundaryExtensions
{
    /// <summary>Registers the <see cref="ErrorBoundary"/>; call it first so it wraps every other middleware.</summary>
    public static IApplicationBuilder UseCoffreErrorBoundary(this IApplicationBuilder app) => app.UseMiddleware<ErrorBoundary>();
}
