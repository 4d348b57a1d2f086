using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using GraphQL;
using GraphQL.Execution;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coffre.GraphQL.Errors;

/// <summary>How refusals, invalid input and failures become GraphQL errors carrying the stable <see cref="ErrorCodes"/>.</summary>
public static class ErrorTranslation
{
    /// <summary>The code of an access refusal: UNAUTHENTICATED, RATE_LIMITED or FORBIDDEN.</summary>
    public static string CodeOf(AccessDeniedException denied) => denied.Code switch
    {
        DenialReason.NotAuthenticated => ErrorCodes.Unauthenticated,
        DenialReason.RateLimited => ErrorCodes.RateLimited,
        _ => ErrorCodes.Forbidden,
    };

    /// <summary>
    /// Replaces an exception thrown by a resolver (or a grain behind it) with an error that carries a stable code
    /// and a message safe to show; nothing else of the exception (type, stack) leaves the server.
    /// </summary>
    public static Task Translate(UnhandledExceptionContext context)
    {
        var original = context.OriginalException;
        var inner = original is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerException! : original;
        context.Exception = inner switch
        {
            AccessDeniedException denied => WithReason(new ExecutionError(denied.Reason) { Code = CodeOf(denied) }, denied.Code),
            ValidationFailedException invalid => WithField(new ExecutionError(invalid.Message) { Code = invalid.Code }, invalid.Field),
            ContentStoreUnavailableException => new ExecutionError("document storage is unavailable, retry later") { Code = ErrorCodes.Unavailable },
            _ when TransientErrors.IsTransient(inner) => new ExecutionError("the cluster did not answer in time, retry") { Code = ErrorCodes.Unavailable },
            OperationCanceledException => new ExecutionError("the request was cancelled or timed out") { Code = ErrorCodes.Timeout },
            _ => Unexpected(context, inner),
        };
        return Task.CompletedTask;
    }

    /// <summary>A defect: logged once (type, field, stack; never arguments) with the correlation id the client receives.</summary>
    private static ExecutionError Unexpected(UnhandledExceptionContext context, Exception exception)
    {
        var services = context.Context?.RequestServices;
        var http = services?.GetService<IHttpContextAccessor>()?.HttpContext;
        var correlationId = http is null ? System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N") : ErrorResponses.CorrelationId(http);
        var logger = services?.GetService<ILoggerFactory>()?.CreateLogger("Coffre.GraphQL.Errors");
        if (logger is not null)
        {
            Log.Unhandled(logger, exception.GetType().FullName ?? exception.GetType().Name, correlationId, context.FieldContext?.FieldDefinition.Name ?? "(request)", exception.StackTrace);
        }
        var error = new ExecutionError("internal error: quote the correlation id to support") { Code = ErrorCodes.Internal };
        (error.Extensions ??= [])["correlationId"] = correlationId;
        return error;
    }

    /// <summary>Adds <c>extensions.field</c>: the argument or input field at fault.</summary>
    public static ExecutionError WithField(ExecutionError error, string field)
    {
        (error.Extensions ??= [])["field"] = field;
        return error;
    }

    /// <summary>
    /// <c>extensions.reason</c> of a refusal: the <c>DenialReason</c> GraphQL enum value (e.g. <c>MASKED_FROM_PROFESSIONALS</c>),
    /// spelled as <c>why.reason</c> spells it, from the one table (<see cref="Types.DenialReasonType.CodeOf"/>).
    /// </summary>
    public static string ReasonOf(DenialReason reason) => Types.DenialReasonType.CodeOf(reason);

    /// <summary>Adds <c>extensions.reason</c>: the evaluator's machine-readable denial reason (<see cref="ReasonOf"/>).</summary>
    public static ExecutionError WithReason(ExecutionError error, DenialReason reason)
    {
        (error.Extensions ??= [])["reason"] = ReasonOf(reason);
        return error;
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "unhandled {ExceptionType} (correlation {CorrelationId}) resolving {Field}\n{StackTrace}")]
    public static partial void Unhandled(ILogger logger, string exceptionType, string correlationId, string field, string? stackTrace);
}
