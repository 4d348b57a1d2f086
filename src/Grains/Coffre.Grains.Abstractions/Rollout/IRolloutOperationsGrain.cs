namespace Coffre.Grains.Rollout;

/// <summary>
/// Rollout operations an operator (rollout role) runs through the cluster: re-issuing one person's activation code
/// (the <c>reissueActivationCode</c> mutation) and the daily hand-over of the vaults of people turning 18
/// (<c>coffre rollout majority --date D</c>).
/// </summary>
[Alias("coffre.rollout-operations")]
public interface IRolloutOperationsGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Revokes the person's codes and issues a new one in the campaign (email, else a letter in a new print batch).
    /// VALIDATION (nir, campaignId), NOT_FOUND (no such campaign or person), CONFLICT (the person opposed or activated).
    /// </summary>
    [Alias("reissue")] Task<CodeReissueResult> ReissueAsync(Domain.Access.Caller caller, string campaignId, string nir);

    /// <summary>
    /// The registry's people born 18 years before <paramref name="date"/> (one read): each vault grain checks and tells
    /// (<see cref="Vaults.IVaultGrain.ReachMajorityAsync"/>). Idempotent.
    /// </summary>
    [Alias("majority")] Task<MajorityRunResult> ReachMajorityAsync(Domain.Access.Caller caller, DateOnly date);
}

/// <summary>What a re-issue did: codes revoked, whether a new one was issued, how it travels (EMAIL, POST) and its print batch.</summary>
[GenerateSerializer, Immutable, Alias("coffre.code-reissue-result")]
public sealed record CodeReissueResult(
    [property: Id(0)] int Revoked,
    [property: Id(1)] bool Issued,
    [property: Id(2)] string? Channel,
    [property: Id(3)] int? Batch);

/// <summary>A day's majority run: people born that day 18 years before, vaults handed over now, already handed over or with nothing to do.</summary>
[GenerateSerializer, Immutable, Alias("coffre.majority-run-result")]
public sealed record MajorityRunResult(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] DateOnly BornOn,
    [property: Id(2)] int People,
    [property: Id(3)] int HandedOver,
    [property: Id(4)] int Unchanged);
