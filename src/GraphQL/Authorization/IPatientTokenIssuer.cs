namespace Coffre.GraphQL.Authorization;

/// <summary>Issues a person's token after activation or sign-in (the host knows the signing key).</summary>
public interface IPatientTokenIssuer
{
    /// <summary>A bearer token for the person owning <paramref name="vaultId"/>, or null where tokens come from an external OIDC authority only.</summary>
    string? IssueFor(string vaultId, TimeSpan lifetime);
}
