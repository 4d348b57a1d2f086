using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// The API's own metrics (meter <c>Coffre.Api</c>), beside ASP.NET Core's: GraphQL operations by outcome and their
/// duration. Tags carry outcomes only, never an operation's text, variables or caller.
/// </summary>
public static class ApiMetrics
{
    public const string MeterName = "Coffre.Api";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Operations = Meter.CreateCounter<long>("coffre.api.operations", description: "GraphQL operations answered, by outcome");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("coffre.api.operation.duration", unit: "s", description: "time to answer a GraphQL operation");

    /// <summary>Records one answered operation: <paramref name="kind"/> (executed, request error…) and whether its answer carries errors.</summary>
    public static void Answered(ExecutionKind kind, bool withErrors, long startedAt)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", kind switch
        {
            ExecutionKind.Executed => withErrors ? "partial_or_error" : "ok",
            ExecutionKind.MutationOverGet => "method_not_allowed",
            _ => "request_error",
        });
        Operations.Add(1, outcome);
        Duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, outcome);
    }
}
