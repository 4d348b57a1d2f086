using Coffre.Domain.Access;

namespace Coffre.Grains.Fhir;

/// <summary>
/// FHIR R4 JSON views of a vault for interoperable clients (stateless worker, key <c>0</c>). Each read is decided and
/// recorded by the vault exactly as the matching GraphQL read (<c>Vault.document</c>, <c>Vault.accessHistory</c>);
/// denials and bad input throw as they do.
/// </summary>
[Alias("coffre.fhir-view")]
public interface IFhirViewGrain : IGrainWithStringKey
{
    /// <summary>The document as a DocumentReference (its content at the API's download path).</summary>
    [Alias("document-reference")] Task<string> DocumentReferenceAsync(Caller caller, string vaultId, string documentId);

    /// <summary>
    /// A searchset Bundle of AuditEvents, newest first: <paramref name="count"/> 1 to <see cref="FhirViews.MaxCount"/>,
    /// <paramref name="page"/> the cursor of a previous page's <c>next</c> link (null: the newest).
    /// </summary>
    [Alias("audit-events")] Task<string> AuditEventsAsync(Caller caller, string vaultId, int count, string? page);
}

public static class FhirViews
{
    public const int DefaultCount = 20;
    public const int MaxCount = 100;
    public const string ContentType = "application/fhir+json";
}
