namespace Coffre.Adapters.Fhir;

/// <summary>The systems and URLs Coffre's FHIR resources use (identifiers, codes, extensions).</summary>
internal static class FhirCodes
{
    /// <summary>A vault's opaque id: the Patient's identifier (never the NIR).</summary>
    public const string VaultIdSystem = "urn:coffre:vault-id";
    public const string DocumentIdSystem = "urn:coffre:document-id";
    public const string GrantIdSystem = "urn:coffre:grant-id";
    public const string DelegationIdSystem = "urn:coffre:carer-delegation-id";
    public const string AuditSequenceSystem = "urn:coffre:audit-sequence";
    /// <summary>National identifier of health professionals (RPPS, ADELI; Coffre identifiers in the same range rules).</summary>
    public const string RppsSystem = "urn:oid:1.2.250.1.71.4.2.1";
    public const string FinessSystem = "urn:oid:1.2.250.1.71.4.2.2";
    /// <summary>CI-SIS class codes (TRE_A03-ClassCode).</summary>
    public const string ClassCodeSystem = "urn:oid:1.2.250.1.213.1.1.4.1";
    /// <summary>Non-LOINC type codes of JDV_J07 (TRE_A05-TypeDocComplementaire).</summary>
    public const string TypeCodeSystem = "urn:oid:1.2.250.1.213.1.1.4.12";
    public const string Loinc = "http://loinc.org";
    /// <summary>The content's SHA-256 (hex), beside FHIR's own <c>Attachment.hash</c> (SHA-1, base64).</summary>
    public const string Sha256Extension = "urn:coffre:fhir:attachment-sha256";
    public const string ConsentScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";
    public const string ActCodeSystem = "http://terminology.hl7.org/v3-ActCode";
    public const string AuditTypeSystem = "http://dicom.nema.org/resources/ontology/DCM";
    public const string CoffreOperationSystem = "urn:coffre:audit-operation";
    public const string LegalBasisSystem = "urn:coffre:legal-basis";
    public const string DenialReasonSystem = "urn:coffre:denial-reason";
    public const string ConsentKindSystem = "urn:coffre:consent-kind";
    public const string ParticipationSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    public const string RoleCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
    /// <summary>The policy every Consent points to (FHIR's ppc-1: a policy or a policy rule).</summary>
    public const string ConsentPolicy = "urn:coffre:policy:vault-access";

    /// <summary>An establishment system's client id, when its FINESS is not known.</summary>
    public const string SystemAuthorSystem = "urn:coffre:system";
    public const string VisibilitySystem = "urn:coffre:visibility";

    // The medical profile (issue 14). Coffre's own extensions live under the same base as the SHA-256 one: urn:coffre:fhir:.
    /// <summary>A profile entry's id in Coffre (the resource id is the same when it is a valid FHIR id).</summary>
    public const string ProfileEntryIdSystem = "urn:coffre:profile-entry-id";
    /// <summary>Where the entry comes from, in the person's words (free text: <c>meta.source</c> is a URI, so not there).</summary>
    public const string ProfileSourceExtension = "urn:coffre:fhir:profile-source";
    /// <summary>Who recorded the entry, when the resource's own recorder element does not allow that kind of actor.</summary>
    public const string ProfileRecorderExtension = "urn:coffre:fhir:profile-recorder";
    /// <summary>When the entry was removed (a tombstone; the views and the export leave removed entries out).</summary>
    public const string ProfileRemovedAtExtension = "urn:coffre:fhir:profile-removed-at";
    /// <summary>On an author reference: Coffre's author kind (person, professional, referent, representative, system, carer).</summary>
    public const string AuthorKindExtension = "urn:coffre:fhir:author-kind";
    /// <summary>On an author reference: Coffre's author id when the identifier carries something else (an establishment's FINESS).</summary>
    public const string AuthorIdExtension = "urn:coffre:fhir:author-id";
    /// <summary>On an author reference: the establishment's FINESS when the identifier carries the author's own id.</summary>
    public const string AuthorFinessExtension = "urn:coffre:fhir:author-finess";
    /// <summary>Condition categories for history Coffre keeps apart (past-history, surgery, family-history).</summary>
    public const string ConditionKindSystem = "urn:coffre:condition-kind";
    /// <summary>Diseases a vaccine protects against, by Coffre's stable names (those the prevention rules match).</summary>
    public const string PreventionTargetSystem = "urn:coffre:prevention-target";
    /// <summary>The profile's "system" of a text-only coding (code ""): in FHIR, a CodeableConcept with its text and no coding.</summary>
    public const string TextOnlySystem = "text";
    public const string ConditionCategorySystem = "http://terminology.hl7.org/CodeSystem/condition-category";
    public const string ConditionClinicalSystem = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string AllergyClinicalSystem = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    public const string ObservationCategorySystem = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string Ucum = "http://unitsofmeasure.org";

    public static bool IsLoinc(string code) => code.Length is >= 3 and <= 10 && code[^2] == '-' && code[..^2].All(char.IsAsciiDigit) && char.IsAsciiDigit(code[^1]);
}
