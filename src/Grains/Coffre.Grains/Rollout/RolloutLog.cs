using Coffre.Application.Rollout;
using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Rollout;

/// <summary>What the rollout grains log (source-generated): channels and counts, never a NIR, a name or a vault id.</summary>
internal static partial class RolloutLog
{
    [LoggerMessage(EventId = 2200, Level = LogLevel.Information, Message = "opposition recorded through {Channel}: vault closed {VaultClosed}, {CodesRevoked} codes revoked")]
    public static partial void OppositionRecorded(ILogger logger, OppositionChannel channel, bool vaultClosed, int codesRevoked);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "an activation group of {Count} attempts failed to settle: each answered unavailable")]
    public static partial void ActivationGroupFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Debug, Message = "activation group of {Count} settled: first attempt waited {WaitedMs} ms, read {ReadMs} ms, transaction {SettleMs} ms")]
    public static partial void ActivationGroupSettled(ILogger logger, int count, double waitedMs, double readMs, double settleMs);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "the audit event of a refused activation failed: that attempt answered unavailable")]
    public static partial void ActivationAuditFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2235, Level = LogLevel.Information, Message = "activation code re-issued by an operator: issued {Issued}, {Revoked} codes revoked")]
    public static partial void CodeReissued(ILogger logger, bool issued, int revoked);

    [LoggerMessage(EventId = 2236, Level = LogLevel.Information, Message = "majority run: {People} people turning 18, {HandedOver} vaults handed over now")]
    public static partial void MajorityRun(ILogger logger, int people, int handedOver);
}
