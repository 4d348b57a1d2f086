using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Coffre.GraphQL.Activation;

/// <summary>Rate limits of code activation and sign-in (configuration section <c>Coffre:Activation:RateLimits</c>).</summary>
public sealed class ActivationRateLimitOptions
{
    /// <summary>Attempts one client (IP address) may make per minute.</summary>
    public int PerClientPerMinute { get; set; } = 30;

    /// <summary>Attempts the whole service accepts per second (an anomaly brake against spread-out guessing).</summary>
    public int GlobalPerSecond { get; set; } = 20_000;
}

/// <summary>
/// Counts every activation or sign-in attempt — each alias in a request is one attempt — against a per-client
/// token bucket and a global one. Over the limit the attempt is refused before any work is done.
/// </summary>
public sealed class ActivationRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perClient;
    private readonly TokenBucketRateLimiter _global;

    public ActivationRateLimiter(IOptions<ActivationRateLimitOptions> options)
    {
        var o = options.Value;
        _perClient = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.PerClientPerMinute,
            TokensPerPeriod = o.PerClientPerMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _global = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.GlobalPerSecond,
            TokensPerPeriod = Math.Max(1, o.GlobalPerSecond / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>True when the attempt may proceed.</summary>
    public bool TryAcquire(string client)
    {
        using var lease = _perClient.AttemptAcquire(client);
        if (!lease.IsAcquired)
        {
            return false;
        }
        using var global = _global.AttemptAcquire();
        return global.IsAcquired;
    }

    public void Dispose()
    {
        _perClient.Dispose();
        _global.Dispose();
    }
}
