using System.ComponentModel.DataAnnotations;

namespace Coffre.Grains.Rollout;

/// <summary>Activation rules (configuration section <c>Coffre:Activation</c>).</summary>
public sealed class ActivationOptions
{
    public const string Section = "Coffre:Activation";

    /// <summary>Failed attempts before a code locks (a re-issue is then needed).</summary>
    [Range(1, short.MaxValue)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Tolerated clock skew between the issuing and the verifying machines.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long the silo's settler waits for more attempts once a group has its first one and is not full (zero: it
    /// takes only what is already waiting). Under load, attempts gather anyway while the previous groups settle.
    /// </summary>
    /// <remarks>Defaults measured with the macro harness (N = 100 000, one silo on 2 cores): 2 ms and 2 groups settled 739
    /// activations/s closed at 64 connections, against 663/s with 1 ms and 4 groups and 684/s with 2 ms and 1 group.</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.010")]
    public TimeSpan GatherWindow { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most attempts settled in one group (one read and one transaction).</summary>
    [Range(1, 4096)]
    public int MaxGroupSize { get; set; } = 256;

    /// <summary>Groups settling at once (each holds one PostgreSQL connection at a time).</summary>
    [Range(1, 64)]
    public int MaxConcurrentGroups { get; set; } = 2;

    /// <summary>Attempts waiting for a group; further attempts wait for room (back-pressure).</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>A group's read and transaction must finish within this, else each of its attempts fails as unavailable.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan SettleTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
