using Coffre.Domain.Access;

namespace Coffre.Grains.Establishments;

/// <summary>
/// The people an establishment accompanies: an index per establishment (keyed by <see cref="GrainNames.Keys.Accompaniment"/>)
/// of the vaults whose referent mandates name it, fed by the vault grains whenever such a mandate is added, revoked,
/// handed over or ended. Each update replaces one vault's entry as a whole and carries the vault's revision, so a
/// retried or late update is applied once and never undoes a newer one. The listing filters by time (consent start
/// and expiry) with no vault call; the vault stays the only judge of access.
/// </summary>
[Alias("coffre.accompaniment")]
public interface IAccompanimentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Called by a vault grain (not exposed by the API): this vault's mandates naming the establishment at
    /// <paramref name="revision"/> (empty: none any more). Ignored when the index already holds this revision or a newer one.
    /// Only the system (an operator caller with the support role, as vault grains call it); anyone else is refused.
    /// </summary>
    [Alias("set-vault")] Task SetVaultAsync(Caller caller, string vaultId, long revision, IReadOnlyList<AccompanimentMandate> mandates);

    /// <summary>
    /// The people accompanied now (at least one mandate active: consent started, not expired), ordered by vault id, with
    /// their active referents; <paramref name="first"/> 1 to <see cref="AccompanimentLimits.MaxPageSize"/>, after the
    /// cursor <paramref name="after"/>. Decided by <see cref="AccessEvaluator.DecideAccompaniments"/>.
    /// </summary>
    [Alias("list"), Orleans.Concurrency.ReadOnly] Task<AccompaniedPage> ListAsync(Caller caller, int first, string? after);
}

/// <summary>One referent's mandate naming the establishment: who, since when, until when (the person's consent).</summary>
[GenerateSerializer, Immutable, Alias("coffre.accompaniment-mandate")]
public sealed record AccompanimentMandate(
    [property: Id(0)] string Rpps,
    [property: Id(1)] DateTimeOffset Since,
    [property: Id(2)] DateTimeOffset ExpiresAt)
{
    public bool IsActive(DateTimeOffset now) => Since <= now && now < ExpiresAt;
}

/// <summary>One accompanied person: their vault and the establishment's referents whose mandates are active.</summary>
[GenerateSerializer, Immutable, Alias("coffre.accompanied-person")]
public sealed record AccompaniedPerson(
    [property: Id(0)] string VaultId,
    [property: Id(1)] IReadOnlyList<AccompanimentMandate> Referents);

/// <summary>A page of the listing: items, whether more follow, and how many people are accompanied now.</summary>
[GenerateSerializer, Immutable, Alias("coffre.accompanied-page")]
public sealed record AccompaniedPage(
    [property: Id(0)] IReadOnlyList<AccompaniedPerson> Items,
    [property: Id(1)] bool HasNextPage,
    [property: Id(2)] int TotalCount);

public static class AccompanimentLimits
{
    /// <summary>Largest page of accompanied people.</summary>
    public const int MaxPageSize = 50;
}
