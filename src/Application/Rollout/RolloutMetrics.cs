using System.Diagnostics.Metrics;

namespace Coffre.Application.Rollout;

/// <summary>
/// The national rollout's metrics (meter <c>Coffre.Rollout</c>): rows imported and rejected, codes issued, print
/// batches written — counted when their transaction commits, so a resumed run never counts a row twice.
/// </summary>
public static class RolloutMetrics
{
    public const string MeterName = "Coffre.Rollout";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> ImportRows = Meter.CreateCounter<long>("coffre.rollout.import.rows", description: "population rows committed by imports, by outcome");
    private static readonly Counter<long> CodesIssued = Meter.CreateCounter<long>("coffre.rollout.codes.issued", description: "activation codes committed by issuance");
    private static readonly Counter<long> PrintBatches = Meter.CreateCounter<long>("coffre.rollout.print.batches", description: "print batches committed by issuance");

    public static void ImportChunkCommitted(int accepted, int rejected)
    {
        ImportRows.Add(accepted, new KeyValuePair<string, object?>("outcome", "accepted"));
        ImportRows.Add(rejected, new KeyValuePair<string, object?>("outcome", "rejected"));
    }

    public static void IssuanceChunkCommitted(int codes, bool withPrintBatch)
    {
        CodesIssued.Add(codes);
        if (withPrintBatch)
        {
            PrintBatches.Add(1);
        }
    }
}
