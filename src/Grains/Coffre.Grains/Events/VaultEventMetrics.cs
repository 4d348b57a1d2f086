using System.Diagnostics.Metrics;

namespace Coffre.Grains.Events;

/// <summary>Counters of the event path: raised, logged, failed (never the change's failure), forwarded to serving processes.</summary>
public static class VaultEventMetrics
{
    private static readonly Meter Meter = new("Coffre");
    private static readonly Counter<long> RaisedCounter = Meter.CreateCounter<long>("coffre.vault_events.raised", description: "vault events raised by grains");
    private static readonly Counter<long> FailedCounter = Meter.CreateCounter<long>("coffre.vault_events.failed", description: "vault events not logged or not forwarded (swallowed), by stage");
    private static readonly Counter<long> ForwardedCounter = Meter.CreateCounter<long>("coffre.vault_events.forwarded", description: "event deliveries from hubs to serving processes");
    private static long _raised;
    private static long _failed;

    public static long RaisedTotal => Interlocked.Read(ref _raised);

    public static long FailedTotal => Interlocked.Read(ref _failed);

    public static void Raised()
    {
        Interlocked.Increment(ref _raised);
        RaisedCounter.Add(1);
    }

    public static void Failed(string stage, int count)
    {
        Interlocked.Add(ref _failed, count);
        FailedCounter.Add(count, new KeyValuePair<string, object?>("stage", stage));
    }

    public static void Forwarded(int count) => ForwardedCounter.Add(count);
}
