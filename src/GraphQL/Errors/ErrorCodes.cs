using Coffre.Grains.Security;
using Coffre.Storage.Content;
using GraphQL;
using GraphQL.Execution;

namespace Coffre.GraphQL.Errors;

/// <summary>The stable <c>extensions.code</c> values front-end teams can switch on.</summary>
public static class ErrorCodes
{
    public const string Forbidden = "FORBIDDEN";
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string NotFound = "NOT_FOUND";
    public const string Validation = "VALIDATION";
    public const string QuotaExceeded = "QUOTA_EXCEEDED";
    public const string Unavailable = "UNAVAILABLE";
    public const string Internal = "INTERNAL";
    public const string Timeout = "TIMEOUT";

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
            AccessDeniedException denied => new ExecutionError(denied.Reason) { Code = Forbidden },
            ValidationFailedException invalid => WithField(new ExecutionError(invalid.Message) { Code = Validation }, invalid.Field),
            ContentStoreUnavailableException => new ExecutionError("document storage is unavailable, retry later") { Code = Unavailable },
            TimeoutException or Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException
                => new ExecutionError("the cluster did not answer in time, retry") { Code = Unavailable },
            OperationCanceledException => new ExecutionError("the request was cancelled or timed out") { Code = Timeout },
            _ => new ExecutionError("internal error") { Code = Internal },
        };
        return Task.CompletedTask;
    }

    public static ExecutionError WithField(ExecutionError error, string field)
    {
        error.Data["field"] = field;
        return error;
    }
}
