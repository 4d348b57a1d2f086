using Coffre.Domain.Auditing;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Coffre.Domain.Vaults;

namespace Coffre.Application.Fhir;

/// <summary>
/// HL7 FHIR R4 views of a vault (port; the adapter <c>src/Adapters/Fhir</c> builds them with the FHIR SDK): a
/// DocumentReference per document, a Consent per grant, referent mandate, legal representation and carer delegation,
/// an AuditEvent per access-history entry, a Patient for the person, and the medical profile's entries (one resource
/// each, and back: <see cref="ReadProfileResource"/>). JSON only (<c>application/fhir+json</c>).
/// </summary>
public interface IFhirMapper
{
    /// <summary>One DocumentReference (the API's <c>GET /vaults/{v}/fhir/DocumentReference/{d}</c>).</summary>
    string DocumentReference(string vaultId, DocumentEntry document, FhirAttachment attachment);

    /// <summary>A searchset Bundle of AuditEvents, newest first, with its paging links (self, next).</summary>
    string AuditEventSearchset(string vaultId, IReadOnlyList<FhirAuditEntry> entries, long total, FhirPageLinks links);

    /// <summary>
    /// Starts a <c>collection</c> Bundle written to <paramref name="output"/> entry by entry (each resource serialised
    /// on its own, so a long history never sits in memory as one object). Complete it with <see cref="IFhirBundleWriter.CompleteAsync"/>.
    /// </summary>
    IFhirBundleWriter OpenCollection(Stream output, string bundleId, DateTimeOffset timestamp);

    /// <summary>
    /// One medical profile entry as its FHIR R4 resource (MedicationStatement, Condition, AllergyIntolerance, Immunization
    /// or Observation, by section), about the Patient <c>Patient/{vaultId}</c>.
    /// </summary>
    string ProfileResource(string vaultId, ProfileEntry entry);

    /// <summary>A searchset Bundle of profile entries (every one a match), with its self link.</summary>
    string ProfileSearchset(string vaultId, IReadOnlyList<ProfileEntry> entries, string selfUrl);

    /// <summary>
    /// The reverse: a profile resource's JSON, parsed by the SDK in strict mode, back to the entry it describes. What
    /// Coffre cannot hold (another resource type, another patient, a partial date, a value of another type, a missing
    /// recorder or recording time…) throws <see cref="Coffre.Domain.Access.ValidationFailedException"/> naming the element
    /// (e.g. <c>MedicationStatement.effective</c>).
    /// </summary>
    ProfileEntry ReadProfileResource(string vaultId, string json);
}

/// <summary>A collection Bundle being written; every method appends one entry.</summary>
public interface IFhirBundleWriter
{
    Task PatientAsync(string vaultId, IdentityTraits? identity, CancellationToken cancellationToken = default);
    Task DocumentReferenceAsync(string vaultId, DocumentEntry document, FhirAttachment attachment, CancellationToken cancellationToken = default);
    Task GrantConsentAsync(string vaultId, Grant grant, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task ReferentConsentAsync(string vaultId, Referent referent, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task RepresentationConsentAsync(string vaultId, LegalRepresentative representative, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task CarerConsentAsync(string vaultId, CarerDelegation delegation, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task AuditEventAsync(string vaultId, FhirAuditEntry entry, CancellationToken cancellationToken = default);
    Task ProfileEntryAsync(string vaultId, ProfileEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Closes the Bundle's JSON (the stream stays open).</summary>
    Task CompleteAsync(CancellationToken cancellationToken = default);
}

/// <summary>Where a document's bytes are (an archive path or an API path) and their hashes (hex; FHIR's <c>hash</c> is the SHA-1).</summary>
public sealed record FhirAttachment(string Url, long Size, string? Sha1Hex, string Sha256Hex, string ContentType);

/// <summary>One access-history entry and its position in the vault's chain.</summary>
public sealed record FhirAuditEntry(long Sequence, AuditEvent Event);

/// <summary>The searchset's links: this page, and the next one when there is one.</summary>
public sealed record FhirPageLinks(string Self, string? Next);
