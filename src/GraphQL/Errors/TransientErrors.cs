using System.Data.Common;
using Coffre.Domain.Content;

namespace Coffre.GraphQL.Errors;

/// <summary>
/// Failures that say "the cluster or a store is briefly unreachable, try again" (a silo died, a gateway lost its
/// connection, a call timed out, PostgreSQL or Blob storage is unreachable): answered 503 <c>UNAVAILABLE</c> with
/// <c>Retry-After</c> on every path, never 500.
/// </summary>
public static class TransientErrors
{
    /// <summary>Seconds a client should wait before retrying a transient failure (failover settles in a few seconds).</summary>
    public const int RetryAfterSeconds = 2;

    public static bool IsTransient(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutException:
                case Orleans.Runtime.SiloUnavailableException:
                case Orleans.Runtime.OrleansMessageRejectionException:
                case Orleans.Runtime.Messaging.ConnectionFailedException:
                case Orleans.Runtime.GatewayTooBusyException:
                case Orleans.Runtime.OrleansLifecycleCanceledException:
                case ContentStoreUnavailableException:
                case DbException { IsTransient: true }:
                case System.Net.Sockets.SocketException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Count == 1:
                    return IsTransient(aggregate.InnerExceptions[0]);
            }
        }
        return false;
    }
}
