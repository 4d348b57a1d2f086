using System.Diagnostics.Metrics;

namespace Coffre.Grains.Operations;

/// <summary>
/// Process-wide counters of what this silo did since it started, read by <see cref="OperatorStatisticsGrain"/> and
/// published as metrics (meter <c>Coffre</c>: <c>coffre.vault.activations</c>, <c>coffre.audit.events</c>, <c>coffre.activation.attempts</c>).
/// </summary>
public static class SiloCounters
{
    private static readonly Meter Meter = new("Coffre");
    private static readonly Counter<long> VaultActivationCounter = Meter.CreateCounter<long>("coffre.vault.activations", description: "vault grain activations started");
    private static readonly Counter<long> AuditEventCounter = Meter.CreateCounter<long>("coffre.audit.events", description: "audit events appended");
    private static readonly Counter<long> ActivationCounter = Meter.CreateCounter<long>("coffre.activation.attempts", description: "activation attempts settled, by outcome");
    private static long _vaultActivations;
    private static long _auditEvents;

    public static long VaultActivations => Interlocked.Read(ref _vaultActivations);

    public static long AuditEvents => Interlocked.Read(ref _auditEvents);

    public static void VaultActivated()
    {
        Interlocked.Increment(ref _vaultActivations);
        VaultActivationCounter.Add(1);
    }

    public static void ActivationSettled(bool activated) =>
        ActivationCounter.Add(1, new KeyValuePair<string, object?>("outcome", activated ? "activated" : "refused"));

    public static void AuditEventAppended()
    {
        Interlocked.Increment(ref _auditEvents);
        AuditEventCounter.Add(1);
    }
}
