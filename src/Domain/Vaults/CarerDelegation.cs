namespace Coffre.Domain.Vaults;

/// <summary>What a carer (aidant) may do for the person within their delegation.</summary>
[Flags]
[GenerateSerializer, Alias("coffre.carer-actions")]
public enum CarerActions
{
    None = 0,
    /// <summary>See the vault summary, list and read the documents of the delegated classes.</summary>
    Read = 1,
    /// <summary>Deposit documents of the delegated classes for the person.</summary>
    Deposit = 2,
    /// <summary>Manage the person's appointments (create, answer proposals, cancel).</summary>
    ManageAppointments = 4,
}

/// <summary>
/// A scoped, time-boxed delegation of the person to a carer (aidant): another person with a Coffre account, named by
/// their own vault id (never by a name). The person's recorded <see cref="Consent"/> carries the delegated document
/// classes (<see cref="DocumentScope.ClassCodes"/>), how and by whom it was recorded, and its end
/// (<see cref="Consent.ExpiresAt"/>). Either side ends it (<see cref="EndedAt"/>, <see cref="EndedBy"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.carer-delegation")]
public sealed record CarerDelegation(
    [property: Id(0)] string Id,
    [property: Id(1)] string CarerVaultId,
    [property: Id(2)] CarerActions Actions,
    [property: Id(3)] Consent Consent,
    [property: Id(4)] DateTimeOffset? EndedAt = null,
    [property: Id(5)] string? EndedBy = null)
{
    public bool IsActive(DateTimeOffset now) => EndedAt is null && Consent.RecordedAt <= now && now < Consent.ExpiresAt;
}
