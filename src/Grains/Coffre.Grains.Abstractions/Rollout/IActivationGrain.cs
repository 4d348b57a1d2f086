namespace Coffre.Grains.Rollout;

/// <summary>
/// Activates a vault with an activation code. A stateless worker: any silo takes the call. Unknown person, wrong
/// code, expired, revoked, used or locked code all answer the same <see cref="ActivationOutcome.Refused"/> after
/// the same work (no enumeration); every attempt is audited.
/// </summary>
[Alias("coffre.activation")]
public interface IActivationGrain : IGrainWithIntegerKey
{
    [Alias("activate")] Task<ActivationResult> ActivateAsync(ActivationRequest request);
}

[GenerateSerializer, Immutable, Alias("coffre.activation-request")]
public sealed record ActivationRequest(
    [property: Id(0)] string Code,
    [property: Id(1)] string Nir,
    [property: Id(2)] DateOnly BirthDate,
    [property: Id(3)] string VitaleSerial);

[GenerateSerializer, Alias("coffre.activation-outcome")]
public enum ActivationOutcome
{
    Activated = 0,
    /// <summary>One answer for every failure: unknown person, wrong code, expired, revoked, used or locked.</summary>
    Refused = 1,
}

[GenerateSerializer, Immutable, Alias("coffre.activation-result")]
public sealed record ActivationResult(
    [property: Id(0)] ActivationOutcome Outcome,
    [property: Id(1)] string? VaultId);

/// <summary>
/// The attempt could not be settled (its group's read or transaction failed or timed out; nothing of the group was
/// applied): a transient failure, answered 503 <c>UNAVAILABLE</c>; the person retries.
/// </summary>
public sealed class ActivationUnavailableException(string message, Exception? inner = null) : TimeoutException(message, inner);
