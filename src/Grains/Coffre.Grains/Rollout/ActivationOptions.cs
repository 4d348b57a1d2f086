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
}
