using Coffre.Domain.Documents;

namespace Coffre.Domain.Profile;

/// <summary>
/// The five sections of a person's medical profile. For the access evaluator each section is a document type of the
/// habilitation matrix (<see cref="ProfileSections.TypeCode"/>, category health): an entry is decided as a document of
/// that type (<see cref="ProfileEntry.Facts"/>), so the matrix, masking, grants, carers and connected apps apply to it
/// as they apply to documents.
/// </summary>
[GenerateSerializer, Alias("coffre.profile-section")]
public enum ProfileSection
{
    /// <summary>Medicines taken (FHIR MedicationStatement).</summary>
    Treatments = 1,
    /// <summary>Conditions and medical history: illnesses, operations, family history (FHIR Condition).</summary>
    Conditions = 2,
    /// <summary>Allergies and intolerances (FHIR AllergyIntolerance).</summary>
    Allergies = 3,
    /// <summary>Vaccinations given (FHIR Immunization); they update the agenda's prevention dates.</summary>
    Vaccinations = 4,
    /// <summary>Measurements: weight, height, blood pressure, glucose… (FHIR Observation, category vital-signs or laboratory).</summary>
    Measurements = 5,
}

/// <summary>The sections' stable names and their document type codes in the habilitation matrix.</summary>
public static class ProfileSections
{
    /// <summary>The class code every profile section carries for the evaluator (TRE_A03 11, Synthèse).</summary>
    public const string ClassCode = "11";

    public static IReadOnlyList<ProfileSection> All { get; } =
        [ProfileSection.Treatments, ProfileSection.Conditions, ProfileSection.Allergies, ProfileSection.Vaccinations, ProfileSection.Measurements];

    /// <summary>The section's document type code in the matrix: <c>PROFILE-TREATMENTS</c>, <c>PROFILE-CONDITIONS</c>, …</summary>
    public static string TypeCode(ProfileSection section) => "PROFILE-" + Name(section).ToUpperInvariant();

    /// <summary>The section's name in scopes and URLs: <c>treatments</c>, <c>conditions</c>, <c>allergies</c>, <c>vaccinations</c>, <c>measurements</c>.</summary>
    public static string Name(ProfileSection section) => section switch
    {
        ProfileSection.Treatments => "treatments",
        ProfileSection.Conditions => "conditions",
        ProfileSection.Allergies => "allergies",
        ProfileSection.Vaccinations => "vaccinations",
        ProfileSection.Measurements => "measurements",
        _ => throw new ArgumentOutOfRangeException(nameof(section)),
    };

    public static ProfileSection? Parse(string? name) => All.Cast<ProfileSection?>().FirstOrDefault(s => string.Equals(Name(s!.Value), name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The section whose type code this is, or null for a document type.</summary>
    public static ProfileSection? FromTypeCode(string? typeCode) => All.Cast<ProfileSection?>().FirstOrDefault(s => TypeCode(s!.Value) == typeCode);
}

/// <summary>A coded concept: system (a URI or OID, e.g. <c>http://www.whocc.no/atc</c>), code, and its display text.</summary>
[GenerateSerializer, Immutable, Alias("coffre.coding")]
public sealed record Coding(
    [property: Id(0)] string System,
    [property: Id(1)] string Code,
    [property: Id(2)] string? Display = null);

/// <summary>
/// One entry of the medical profile. Exactly one of the section details is set, the one of <see cref="Section"/>.
/// <see cref="Author"/> is who recorded it (the person, a representative, a carer, a professional, an establishment's
/// system through its feed); <see cref="Source"/> says where it comes from in words the person reads (e.g.
/// "ordonnance du 3 mars", "carnet de vaccination", a document id of the vault). The person may hide an entry from
/// professionals (<see cref="Visibility"/>, as for documents); a removed entry stays as a tombstone without its
/// clinical content (<see cref="AsTombstone"/>: id, section, author, dates, visibility) so its id and history line stay
/// meaningful; tombstones are bounded per section and the oldest are forgotten.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.profile-entry")]
public sealed record ProfileEntry(
    [property: Id(0)] string Id,
    [property: Id(1)] ProfileSection Section,
    [property: Id(2)] Author Author,
    [property: Id(3)] DateTimeOffset RecordedAt,
    [property: Id(4)] string? Source,
    [property: Id(5)] Visibility Visibility,
    [property: Id(6)] TreatmentDetails? Treatment = null,
    [property: Id(7)] ConditionDetails? Condition = null,
    [property: Id(8)] AllergyDetails? Allergy = null,
    [property: Id(9)] VaccinationDetails? Vaccination = null,
    [property: Id(10)] MeasurementDetails? Measurement = null,
    [property: Id(11)] DateTimeOffset? RemovedAt = null,
    [property: Id(12)] string? Note = null)
{
    /// <summary>What the evaluator needs: the entry as a document of its section's type.</summary>
    public DocumentFacts Facts => new(Id, ProfileSections.ClassCode, ProfileSections.TypeCode(Section), Visibility, false, Author, RemovedAt is not null);

    /// <summary>The entry removed at <paramref name="removedAt"/>: what it said (source, details, note) is gone.</summary>
    public ProfileEntry AsTombstone(DateTimeOffset removedAt) => this with
    {
        RemovedAt = removedAt, Source = null, Treatment = null, Condition = null, Allergy = null, Vaccination = null, Measurement = null, Note = null,
    };
}

[GenerateSerializer, Alias("coffre.treatment-status")]
public enum TreatmentStatus { Active = 0, Completed = 1, Stopped = 2 }

/// <summary>A medicine the person takes or took. <see cref="Medication"/>: ATC, CIP13 or UCD code when known, else text only (code "").</summary>
[GenerateSerializer, Immutable, Alias("coffre.treatment")]
public sealed record TreatmentDetails(
    [property: Id(0)] Coding Medication,
    [property: Id(1)] TreatmentStatus Status,
    [property: Id(2)] string? Dosage = null,
    [property: Id(3)] DateOnly? StartedOn = null,
    [property: Id(4)] DateOnly? EndedOn = null,
    [property: Id(5)] string? Reason = null);

[GenerateSerializer, Alias("coffre.condition-kind")]
public enum ConditionKind { Condition = 0, PastHistory = 1, Surgery = 2, FamilyHistory = 3 }

[GenerateSerializer, Alias("coffre.condition-status")]
public enum ConditionStatus { Active = 0, Resolved = 1, Remission = 2 }

/// <summary>A condition or an item of medical history; <see cref="Code"/> in CIM-10 / ICD-10 or SNOMED CT when known.</summary>
[GenerateSerializer, Immutable, Alias("coffre.condition")]
public sealed record ConditionDetails(
    [property: Id(0)] Coding Code,
    [property: Id(1)] ConditionKind Kind,
    [property: Id(2)] ConditionStatus Status,
    [property: Id(3)] DateOnly? OnsetOn = null,
    [property: Id(4)] DateOnly? ResolvedOn = null);

[GenerateSerializer, Alias("coffre.allergy-category")]
public enum AllergyCategory { Medication = 0, Food = 1, Environment = 2, Biologic = 3 }

[GenerateSerializer, Alias("coffre.allergy-criticality")]
public enum AllergyCriticality { Unknown = 0, Low = 1, High = 2 }

[GenerateSerializer, Alias("coffre.allergy-status")]
public enum AllergyStatus { Active = 0, Inactive = 1, Resolved = 2 }

/// <summary>An allergy or intolerance to a substance, with the reaction seen.</summary>
[GenerateSerializer, Immutable, Alias("coffre.allergy")]
public sealed record AllergyDetails(
    [property: Id(0)] Coding Substance,
    [property: Id(1)] AllergyCategory Category,
    [property: Id(2)] AllergyCriticality Criticality,
    [property: Id(3)] AllergyStatus Status,
    [property: Id(4)] string? Reaction = null,
    [property: Id(5)] DateOnly? OnsetOn = null);

/// <summary>
/// A vaccination given. <see cref="Targets"/> are the diseases it protects against, by Coffre's stable names
/// (<c>diphtheria</c>, <c>tetanus</c>, <c>poliomyelitis</c>, <c>influenza</c>, <c>pneumococcal</c>, <c>zoster</c>,
/// <c>hpv</c>, <c>hepatitis-b</c>, <c>measles</c>, <c>covid-19</c>…): the prevention rules of the agenda match them.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.vaccination")]
public sealed record VaccinationDetails(
    [property: Id(0)] Coding Vaccine,
    [property: Id(1)] DateOnly AdministeredOn,
    [property: Id(2)] IReadOnlyList<string> Targets,
    [property: Id(3)] int? DoseNumber = null,
    [property: Id(4)] string? LotNumber = null);

[GenerateSerializer, Alias("coffre.measurement-kind")]
public enum MeasurementKind
{
    /// <summary>kg (LOINC 29463-7).</summary>
    Weight = 0,
    /// <summary>cm (LOINC 8302-2).</summary>
    Height = 1,
    /// <summary>mm[Hg], systolic in Value and diastolic in SecondValue (LOINC 85354-9 panel: 8480-6 / 8462-4).</summary>
    BloodPressure = 2,
    /// <summary>g/L (LOINC 2345-7 serum/plasma glucose; capillary 2339-0).</summary>
    Glucose = 3,
    /// <summary>/min (LOINC 8867-4).</summary>
    HeartRate = 4,
    /// <summary>Cel (LOINC 8310-5).</summary>
    Temperature = 5,
    /// <summary>% (LOINC 4548-4 HbA1c).</summary>
    HbA1c = 6,
}

/// <summary>A measurement at a moment; <see cref="Unit"/> in UCUM. Blood pressure carries the diastolic value in <see cref="SecondValue"/>.</summary>
[GenerateSerializer, Immutable, Alias("coffre.measurement")]
public sealed record MeasurementDetails(
    [property: Id(0)] MeasurementKind Kind,
    [property: Id(1)] decimal Value,
    [property: Id(2)] string Unit,
    [property: Id(3)] DateTimeOffset MeasuredAt,
    [property: Id(4)] decimal? SecondValue = null);
