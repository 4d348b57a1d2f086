using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Coffre.Application.Events;

/// <summary>
/// Deletes the vault events older than <see cref="VaultEventLogRules.Retention"/>, once an hour (every silo runs it;
/// the delete is idempotent, a concurrent run finds nothing left).
/// </summary>
public sealed partial class VaultEventRetention(IVaultEventLog log, TimeProvider clock, ILogger<VaultEventRetention> logger) : BackgroundService
{
    public static TimeSpan Period { get; set; } = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, clock);
        do
        {
            try
            {
                var deleted = await log.DeleteBeforeAsync(clock.GetUtcNow() - VaultEventLogRules.Retention, stoppingToken);
                if (deleted > 0)
                {
                    Deleted(logger, deleted);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failed(logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "vault event retention deleted {Count} events")]
    private static partial void Deleted(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "vault event retention failed ({Error}); next try in an hour")]
    private static partial void Failed(ILogger logger, string error);
}
