using Coffre.Domain.Access;

namespace Coffre.Grains.Identity;

/// <summary>
/// Maps one person's keyed NIR hash to their vault id. Keyed by <see cref="GrainNames.Keys.NirIndex"/>:
/// the NIR itself is never a key, a state field or a log field.
/// </summary>
[Alias("coffre.nir-index")]
public interface INirIndexGrain : IGrainWithStringKey
{
    /// <summary>The vault id for this person, or null. Operators and professionals (their access is then checked by the vault).</summary>
    [Alias("find")] Task<string?> FindAsync(Caller caller);

    /// <summary>Binds the person to <paramref name="vaultId"/> unless already bound; returns the vault id that holds.</summary>
    [Alias("claim")] Task<string> ClaimAsync(Caller caller, string vaultId);
}
