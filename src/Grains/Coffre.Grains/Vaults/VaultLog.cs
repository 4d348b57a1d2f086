using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Vaults;

/// <summary>
/// What a vault grain logs (source-generated). Events name what happened and counts, never the person: no vault id,
/// NIR, name, RPPS or document title (the audit chain holds who did what, for the person to read).
/// </summary>
internal static partial class VaultLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Debug, Message = "vault activated from the population registry (not written until it changes)")]
    public static partial void OpenedFromRegistry(ILogger logger);

    [LoggerMessage(EventId = 2135, Level = LogLevel.Information, Message = "vault passed to its person at 18: {Parents} parent representations ended, person and parents told")]
    public static partial void MajorityReached(ILogger logger, int parents);

    [LoggerMessage(EventId = 2136, Level = LogLevel.Warning, Message = "the majority hand-over could not complete while the vault activated; retried by the daily run or the next activation")]
    public static partial void MajorityHandOverFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "vault closed on activation: its person opposed while it was not in memory")]
    public static partial void ClosedAfterOpposition(ILogger logger);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "sign-in locked for {Minutes} minutes after {Failures} failures with the right birth date")]
    public static partial void SignInLocked(ILogger logger, double minutes, int failures);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "hand-over sheet locked after {Attempts} wrong codes")]
    public static partial void HandOverLocked(ILogger logger, int attempts);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "break-glass session opened by profession {Profession} for {Minutes} minutes")]
    public static partial void BreakGlassOpened(ILogger logger, string? profession, double minutes);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Information, Message = "vault closed as merged into another")]
    public static partial void ClosedAsMerged(ILogger logger);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Error, Message = "audit chain verification found a break at sequence {Sequence} after {Checked} events: {Problem}")]
    public static partial void AuditChainBroken(ILogger logger, long? sequence, long @checked, string? problem);
}
