using Coffre.Domain.Access;
using Coffre.Grains.Vaults;

namespace Coffre.Grains.Identity;

/// <summary>
/// One person's identity resolution, keyed by <see cref="GrainNames.Keys.NirIndex"/> (the NIR's keyed hash: the NIR
/// itself is never a key, a state field or a log field). The person's vault is the vault claimed here (opened by a
/// referent or an operator, attached later, or activated), else the registry's deterministic vault when the
/// registry knows the person and they did not oppose. Every workflow that binds a person to a vault — opening,
/// activation, attaching a NIR, opposition, sign-in by NIR — runs through this grain, so they are serialised per
/// person: one person, one vault.
/// </summary>
[Alias("coffre.nir-index")]
public interface INirIndexGrain : IGrainWithStringKey
{
    /// <summary>The vault id for this person, or null. Operators and professionals (their access is then checked by the vault).</summary>
    [Alias("find")] Task<string?> FindAsync(Caller caller);

    /// <summary>
    /// Opens the person's vault: CONFLICT (field <c>nir</c>) when a vault was already claimed; the registry's vault
    /// under the referent's recorded consent when the registry knows the person; else a new vault. The command's
    /// identity carries the masked NIR.
    /// </summary>
    [Alias("open")] Task<VaultView> OpenAsync(Caller caller, OpenVault command);

    /// <summary>
    /// After the activation grain consumed the person's code (system caller): activates the person's claimed vault
    /// through its grain, or, when nothing is claimed, audits the activation of the registry's vault, which the code's
    /// transaction already made active in the registry (its grain, if in memory, reads that before its next decision);
    /// returns the vault's id.
    /// </summary>
    [Alias("activated")] Task<string> ActivatedAsync(Caller system);

    /// <summary>
    /// Sign-in by NIR: the person's vault checks the birth date and the passphrase (always one PBKDF2 verification,
    /// even when there is no vault). Returns the vault id on success, else null.
    /// </summary>
    [Alias("sign-in")] Task<string?> SignInAsync(DateOnly birthDate, string passphrase);

    /// <summary>
    /// Attaches this NIR (masked form given) to a vault opened without one. CONFLICT (field <c>nir</c>) when the NIR
    /// already has another vault: nothing is merged silently (an operator merges with <c>mergeVaults</c>).
    /// </summary>
    [Alias("attach")] Task<VaultView> AttachAsync(Caller caller, string vaultId, string nirMasked);

    /// <summary>
    /// The bulk feed's resolution (an establishment's system on the feed path): the person's vault as
    /// <see cref="FindAsync"/> finds it, else whether they opposed (their claimed vault was closed by their opposition,
    /// or the registry records it), else nobody.
    /// </summary>
    [Alias("find-for-feed")] Task<FeedTarget> FindForFeedAsync(Caller caller);

    /// <summary>After an opposition was recorded (system caller): closes the person's claimed vault and forgets the claim.</summary>
    [Alias("opposed")] Task<string?> OpposedAsync(Caller system);
}
