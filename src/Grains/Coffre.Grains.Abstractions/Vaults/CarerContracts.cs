using Coffre.Domain.Access;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// Carers (aidants), on the person's vault grain (the same grain as <see cref="IVaultGrain"/>, key the vault id): the
/// person invites, the carer accepts with the one-time code, either ends. Every call decided by the one evaluator
/// against the vault's state and recorded in the person's access history.
/// </summary>
[Alias("coffre.vault-carers")]
public interface IVaultCarersGrain : IGrainWithStringKey
{
    /// <summary>
    /// The person (or a parent or tutor) invites a carer: document classes, actions, until when (at most a year), a label.
    /// Returns the invitation with its one-time code (shown once; only its keyed hash is kept), valid 72 hours.
    /// </summary>
    [Alias("carer-invite")] Task<CarerInvitation> InviteCarerAsync(Caller caller, CarerInvitationRequest request);

    /// <summary>
    /// The carer (a signed-in person, <paramref name="caller"/>) accepts the invitation <paramref name="reference"/> with its
    /// code: the delegation starts (consent recorded IN_APP by the person's vault) and the person is notified. Any refusal
    /// (unknown, used, expired, locked invitation, wrong code) is the same VALIDATION error on <c>code</c>
    /// (<c>CARER_INVITATION_REFUSED</c>); five wrong codes lock the invitation.
    /// </summary>
    [Alias("carer-accept")] Task<CarerDelegation> AcceptCarerInvitationAsync(Caller caller, string reference, string code);

    /// <summary>
    /// A social or médico-social referent of the person records a delegation for a person far from digital tools, with their
    /// consent on paper or witnessed orally (<see cref="AccessEvaluator.DecideRecordCarerDelegation"/>); the carer is named by
    /// their vault id. Starts at once; the person is notified.
    /// </summary>
    [Alias("carer-record")] Task<CarerDelegation> RecordCarerDelegationAsync(Caller caller, CarerDelegationRecord record);

    /// <summary>The person, a parent or tutor, or the carer themself ends a delegation, at once; the person is notified.</summary>
    [Alias("carer-end")] Task<CarerDelegation> EndCarerDelegationAsync(Caller caller, string delegationId);

}

[GenerateSerializer, Immutable, Alias("coffre.carer-invitation-request")]
public sealed record CarerInvitationRequest(
    [property: Id(0)] IReadOnlyList<string> ClassCodes,
    [property: Id(1)] CarerActions Actions,
    [property: Id(2)] DateTimeOffset Until,
    [property: Id(3)] string? Label);

/// <summary>A delegation a referent records: the carer's vault, what is delegated, the consent's method and evidence.</summary>
[GenerateSerializer, Immutable, Alias("coffre.carer-delegation-record")]
public sealed record CarerDelegationRecord(
    [property: Id(0)] string CarerVaultId,
    [property: Id(1)] CarerInvitationRequest Request,
    [property: Id(2)] ConsentMethod Method,
    [property: Id(3)] string Evidence);

/// <summary>An invitation as the person sees it once: the code to hand to the carer (never stored, never shown again).</summary>
[GenerateSerializer, Immutable, Alias("coffre.carer-invitation-issued")]
public sealed record CarerInvitation(
    [property: Id(0)] string Reference,
    [property: Id(1)] string Code,
    [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] IReadOnlyList<string> ClassCodes,
    [property: Id(4)] CarerActions Actions,
    [property: Id(5)] DateTimeOffset Until,
    [property: Id(6)] string? Label);

/// <summary>A delegation seen from the carer's side: whose vault, which one, what it allows, until when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.caring-for")]
public sealed record CaringFor(
    [property: Id(0)] string PersonVaultId,
    [property: Id(1)] string DelegationId,
    [property: Id(2)] CarerActions Actions,
    [property: Id(3)] IReadOnlyList<string>? ClassCodes,
    [property: Id(4)] DateTimeOffset Since,
    [property: Id(5)] DateTimeOffset Until,
    [property: Id(6)] DateTimeOffset? EndedAt)
{
    public CarerDelegationStatus StatusAt(DateTimeOffset now) =>
        EndedAt is not null ? CarerDelegationStatus.Ended : now >= Until ? CarerDelegationStatus.Expired : CarerDelegationStatus.Active;
}

/// <summary>
/// The delegations naming one person as carer (key <see cref="GrainNames.Keys.CarerIndex"/> of the carer's vault id): written
/// by the persons' vault grains when a delegation starts or ends (it calls no grain, so a vault may await it), read by the
/// carer themself for <c>myCarerDelegations</c>. The person's vault stays the only judge of access.
/// </summary>
[Alias("coffre.carer-index")]
public interface ICarerIndexGrain : IGrainWithStringKey
{
    /// <summary>A vault grain tells the delegation it holds naming this carer, as it stands (system caller only).</summary>
    [Alias("note")] Task NoteAsync(Caller caller, CaringFor entry);

    /// <summary>The people this carer cares for, newest first: the carer themself only (their vault id from the token).</summary>
    [Alias("list"), Orleans.Concurrency.ReadOnly] Task<IReadOnlyList<CaringFor>> ListAsync(Caller caller);
}

/// <summary>
/// Where an invitation's reference leads (key <see cref="GrainNames.Keys.CarerInvitation"/>): the person's vault, so a carer
/// needs only the code. Written by the vault that issued the invitation; holds nothing secret.
/// </summary>
[Alias("coffre.carer-invitation-route")]
public interface ICarerInvitationGrain : IGrainWithStringKey
{
    /// <summary>Called by the issuing vault (system caller only). False when the reference is already taken (the vault draws another).</summary>
    [Alias("register")] Task<bool> RegisterAsync(Caller caller, string vaultId, DateTimeOffset expiresAt);

    /// <summary>The vault of a live reference, else null.</summary>
    [Alias("vault-of"), Orleans.Concurrency.ReadOnly] Task<string?> VaultOfAsync();
}
