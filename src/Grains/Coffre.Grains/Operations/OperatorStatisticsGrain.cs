using Coffre.Domain.Access;
using Orleans.Concurrency;

namespace Coffre.Grains.Operations;

[GrainType("operator-statistics"), StatelessWorker(1)]
public sealed class OperatorStatisticsGrain(ILocalSiloDetails silo) : Grain, IOperatorStatisticsGrain
{
    async Task<OperatorStatistics> IOperatorStatisticsGrain.GetAsync(Caller caller)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Statistics).OrThrow();
        var statistics = await GrainFactory.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        var active = statistics
            .GroupBy(s => s.GrainType, StringComparer.Ordinal)
            .Select(g => new GrainActivationCount(g.Key, g.Sum(s => s.ActivationCount)))
            .OrderBy(c => c.GrainType, StringComparer.Ordinal)
            .ToList();
        return new OperatorStatistics(silo.SiloAddress.ToString(), SiloCounters.VaultActivations, SiloCounters.AuditEvents, active);
    }
}
