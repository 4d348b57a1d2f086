using Coffre.Domain.Access;
using Coffre.Domain.Profile;

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

    /// <summary>
    /// A searchset Bundle of the profile entries of <paramref name="section"/> that <paramref name="caller"/> may read
    /// (decided and recorded by the profile, as <c>Vault.profile</c>; removed and hidden-from-the-caller ones left out),
    /// oldest first; <paramref name="selfUrl"/> is the Bundle's self link. Bounded by the profile's own bound per section.
    /// </summary>
    [Alias("profile-search")] Task<string> ProfileSearchsetAsync(Caller caller, string vaultId, ProfileSection section, string selfUrl);

    /// <summary>One profile entry as its resource; not found (404) when it does not exist or <paramref name="caller"/> may not read it.</summary>
    [Alias("profile-read")] Task<string> ProfileResourceAsync(Caller caller, string vaultId, ProfileSection section, string entryId);
}

public static class FhirViews
{
    public const int DefaultCount = 20;
    public const int MaxCount = 100;
    public const string ContentType = "application/fhir+json";

    /// <summary>The FHIR R4 resource type of each profile section.</summary>
    public static string ResourceType(ProfileSection section) => section switch
    {
        ProfileSection.Treatments => "MedicationStatement",
        ProfileSection.Conditions => "Condition",
        ProfileSection.Allergies => "AllergyIntolerance",
        ProfileSection.Vaccinations => "Immunization",
        ProfileSection.Measurements => "Observation",
        _ => throw new ArgumentOutOfRangeException(nameof(section)),
    };

    /// <summary>The section whose resource type this is (exact FHIR spelling), or null.</summary>
    public static ProfileSection? SectionOf(string? resourceType) =>
        ProfileSections.All.Cast<ProfileSection?>().FirstOrDefault(s => ResourceType(s!.Value) == resourceType);
}
