namespace Coffre.GraphQL.Activation;

/// <summary>Finds a person's vault id from their NIR (referent-opened vaults and imported population alike); null when none.</summary>
public interface IVaultLocator
{
    Task<string?> FindAsync(string nir, CancellationToken cancellationToken = default);
}
