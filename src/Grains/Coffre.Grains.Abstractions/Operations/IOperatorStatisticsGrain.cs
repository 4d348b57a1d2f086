using Coffre.Domain.Access;

namespace Coffre.Grains.Operations;

/// <summary>
/// What the service holds in memory and what it wrote, for operators: active activations per grain type across the
/// cluster (the Orleans management grain's simple statistics) and, for the silo that answers, how many vault
/// activations it started and how many audit events it appended since it started. A stateless worker: it answers
/// on the silo it runs on (in the embedded default, the one silo).
/// </summary>
[Alias("coffre.operator-statistics")]
public interface IOperatorStatisticsGrain : IGrainWithIntegerKey
{
    /// <summary>Operators only.</summary>
    [Alias("get")] Task<OperatorStatistics> GetAsync(Caller caller);
}

[GenerateSerializer, Immutable, Alias("coffre.operator-statistics-result")]
public sealed record OperatorStatistics(
    [property: Id(0)] string Silo,
    [property: Id(1)] long VaultActivationsStarted,
    [property: Id(2)] long AuditEventsAppended,
    [property: Id(3)] IReadOnlyList<GrainActivationCount> ActiveGrains);

[GenerateSerializer, Immutable, Alias("coffre.grain-activation-count")]
public sealed record GrainActivationCount(
    [property: Id(0)] string GrainType,
    [property: Id(1)] int Activations);
