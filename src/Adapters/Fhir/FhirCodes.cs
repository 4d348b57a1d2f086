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

    public static bool IsLoinc(string code) => code.Length is >= 3 and <= 10 && code[^2] == '-' && code[..^2].All(char.IsAsciiDigit) && char.IsAsciiDigit(code[^1]);
}
