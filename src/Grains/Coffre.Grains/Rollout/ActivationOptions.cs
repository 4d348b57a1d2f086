namespace Coffre.Grains.Rollout;

/// <summary>Activation rules (configuration section <c>Coffre:Activation</c>).</summary>
public sealed class ActivationOptions
{
    public const string Section = "Coffre:Activation";

    /// <summary>Failed attempts before a code locks (a re-issue is then needed).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Tolerated clock skew between the issuing and the verifying machines.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);
}
