using System.Globalization;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Hl7.Fhir.Model;
using DomainCoding = Coffre.Domain.Profile.Coding;
using FhirCoding = Hl7.Fhir.Model.Coding;

namespace Coffre.Adapters.Fhir;

/// <summary>
/// The medical profile's entries as FHIR R4 resources (pure mapping; <see cref="FhirProfileReader"/> is the reverse).
/// Common to every section: <c>id</c> = the entry id (and an identifier <see cref="FhirCodes.ProfileEntryIdSystem"/>),
/// the Patient <c>Patient/{vaultId}</c> as subject or patient, who recorded it in the resource's recorder element when it
/// allows that kind of actor (else in the extension <see cref="FhirCodes.ProfileRecorderExtension"/>), the recording time
/// in the resource's own element (dateAsserted, recordedDate, recorded, issued), the note as <c>note[0].text</c>, the
/// source as the extension <see cref="FhirCodes.ProfileSourceExtension"/> (free text; <c>meta.source</c> must be a URI),
/// and the person's masking as <c>meta.security</c> labels of <see cref="FhirCodes.VisibilitySystem"/>, as on documents.
/// </summary>
internal static class FhirProfileResources
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Resource Resource(string vaultId, ProfileEntry entry) => entry.Section switch
    {
        ProfileSection.Treatments => Treatment(vaultId, entry, Details(entry.Treatment, entry)),
        ProfileSection.Conditions => Condition(vaultId, entry, Details(entry.Condition, entry)),
        ProfileSection.Allergies => Allergy(vaultId, entry, Details(entry.Allergy, entry)),
        ProfileSection.Vaccinations => Vaccination(vaultId, entry, Details(entry.Vaccination, entry)),
        ProfileSection.Measurements => Measurement(vaultId, entry, Details(entry.Measurement, entry)),
        _ => throw new ArgumentOutOfRangeException(nameof(entry), "unknown profile section"),
    };

    private static T Details<T>(T? details, ProfileEntry entry) where T : class =>
        details ?? throw new ArgumentException($"the {ProfileSections.Name(entry.Section)} entry has no {typeof(T).Name}", nameof(entry));

    private static MedicationStatement Treatment(string vaultId, ProfileEntry entry, TreatmentDetails t)
    {
        var statement = new MedicationStatement
        {
            Status = t.Status switch
            {
                TreatmentStatus.Active => MedicationStatement.MedicationStatusCodes.Active,
                TreatmentStatus.Completed => MedicationStatement.MedicationStatusCodes.Completed,
                _ => MedicationStatement.MedicationStatusCodes.Stopped,
            },
            Medication = Concept(t.Medication),
            Subject = FhirResources.PatientRef(vaultId),
            DateAssertedElement = DateTime(entry.RecordedAt),
        };
        if (t.StartedOn is not null || t.EndedOn is not null)
        {
            statement.Effective = new Period { Start = Date(t.StartedOn), End = Date(t.EndedOn) };
        }
        if (t.Dosage is { } dosage)
        {
            statement.Dosage = [new Dosage { Text = dosage }];
        }
        if (t.Reason is { } reason)
        {
            statement.ReasonCode = [new CodeableConcept { Text = reason }];
        }
        statement.InformationSource = Recorder(statement, vaultId, entry.Author, AllActors);
        return Common(statement, entry, statement.Note);
    }

    private static Condition Condition(string vaultId, ProfileEntry entry, ConditionDetails c)
    {
        var condition = new Condition
        {
            ClinicalStatus = new CodeableConcept(FhirCodes.ConditionClinicalSystem, c.Status switch
            {
                ConditionStatus.Active => "active",
                ConditionStatus.Resolved => "resolved",
                _ => "remission",
            }),
            Category = [new CodeableConcept(FhirCodes.ConditionCategorySystem, "problem-list-item")],
            Code = Concept(c.Code),
            Subject = FhirResources.PatientRef(vaultId),
            Onset = Date(c.OnsetOn) is { } onset ? new FhirDateTime(onset) : null,
            Abatement = Date(c.ResolvedOn) is { } abatement ? new FhirDateTime(abatement) : null,
            RecordedDateElement = DateTime(entry.RecordedAt),
        };
        if (ConditionKindCode(c.Kind) is { } kind)
        {
            condition.Category.Add(new CodeableConcept(FhirCodes.ConditionKindSystem, kind) { Text = kind.Replace('-', ' ') });
        }
        condition.Recorder = Recorder(condition, vaultId, entry.Author, PeopleAndPractitioners);
        return Common(condition, entry, condition.Note);
    }

    /// <summary>Coffre's history kinds as a category of <see cref="FhirCodes.ConditionKindSystem"/> (a plain condition has none).</summary>
    public static string? ConditionKindCode(ConditionKind kind) => kind switch
    {
        ConditionKind.PastHistory => "past-history",
        ConditionKind.Surgery => "surgery",
        ConditionKind.FamilyHistory => "family-history",
        _ => null,
    };

    private static AllergyIntolerance Allergy(string vaultId, ProfileEntry entry, AllergyDetails a)
    {
        var allergy = new AllergyIntolerance
        {
            ClinicalStatus = new CodeableConcept(FhirCodes.AllergyClinicalSystem, a.Status switch
            {
                AllergyStatus.Active => "active",
                AllergyStatus.Inactive => "inactive",
                _ => "resolved",
            }),
            Category = [a.Category switch
            {
                AllergyCategory.Medication => AllergyIntolerance.AllergyIntoleranceCategory.Medication,
                AllergyCategory.Food => AllergyIntolerance.AllergyIntoleranceCategory.Food,
                AllergyCategory.Environment => AllergyIntolerance.AllergyIntoleranceCategory.Environment,
                _ => AllergyIntolerance.AllergyIntoleranceCategory.Biologic,
            }],
            Criticality = a.Criticality switch
            {
                AllergyCriticality.Low => AllergyIntolerance.AllergyIntoleranceCriticality.Low,
                AllergyCriticality.High => AllergyIntolerance.AllergyIntoleranceCriticality.High,
                _ => AllergyIntolerance.AllergyIntoleranceCriticality.UnableToAssess,
            },
            Code = Concept(a.Substance),
            Patient = FhirResources.PatientRef(vaultId),
            Onset = Date(a.OnsetOn) is { } onset ? new FhirDateTime(onset) : null,
            RecordedDateElement = DateTime(entry.RecordedAt),
        };
        if (a.Reaction is { } reaction)
        {
            allergy.Reaction = [new AllergyIntolerance.ReactionComponent { Manifestation = [new CodeableConcept { Text = reaction }] }];
        }
        allergy.Recorder = Recorder(allergy, vaultId, entry.Author, PeopleAndPractitioners);
        return Common(allergy, entry, allergy.Note);
    }

    private static Immunization Vaccination(string vaultId, ProfileEntry entry, VaccinationDetails v)
    {
        var immunization = new Immunization
        {
            Status = Immunization.ImmunizationStatusCodes.Completed,
            VaccineCode = Concept(v.Vaccine),
            Patient = FhirResources.PatientRef(vaultId),
            Occurrence = new FhirDateTime(Date(v.AdministeredOn)!),
            RecordedElement = DateTime(entry.RecordedAt),
            LotNumber = v.LotNumber,
        };
        if (v.Targets.Count > 0 || v.DoseNumber is not null)
        {
            immunization.ProtocolApplied = [new Immunization.ProtocolAppliedComponent
            {
                TargetDisease = v.Targets.Select(t => new CodeableConcept(FhirCodes.PreventionTargetSystem, t) { Text = t }).ToList(),
                // R4 requires doseNumber[x]: "unknown" when Coffre does not know it.
                DoseNumber = v.DoseNumber is { } dose ? new PositiveInt(dose) : new FhirString(FhirProfileReader.UnknownDose),
            }];
        }
        // performer is who gave the vaccine: a professional, a referent or an establishment (with its FINESS) who records
        // it is taken as such; the person recording from their booklet, a representative, a carer or a connected app
        // (a system author without FINESS) is not, and goes to the recorder extension.
        var gaveIt = entry.Author.Kind is AuthorKind.Professional or AuthorKind.Referent
            || (entry.Author.Kind == AuthorKind.System && entry.Author.EstablishmentFiness is not null);
        var performer = Recorder(immunization, vaultId, entry.Author, gaveIt ? PractitionersAndOrganizations : []);
        if (performer is not null)
        {
            immunization.Performer = [new Immunization.PerformerComponent { Actor = performer }];
        }
        return Common(immunization, entry, immunization.Note);
    }

    private static Observation Measurement(string vaultId, ProfileEntry entry, MeasurementDetails m)
    {
        var kind = MeasurementCodes.Of(m.Kind);
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Category = [new CodeableConcept(FhirCodes.ObservationCategorySystem, kind.Laboratory ? "laboratory" : "vital-signs")],
            Code = new CodeableConcept(FhirCodes.Loinc, kind.Loinc, kind.Display, kind.Display),
            Subject = FhirResources.PatientRef(vaultId),
            Effective = DateTime(m.MeasuredAt),
            Issued = entry.RecordedAt,
        };
        if (m.Kind == MeasurementKind.BloodPressure)
        {
            observation.Component =
            [
                new Observation.ComponentComponent { Code = new CodeableConcept(FhirCodes.Loinc, MeasurementCodes.Systolic, "Systolic blood pressure"), Value = Quantity(m.Value, m.Unit) },
            ];
            if (m.SecondValue is { } diastolic)
            {
                observation.Component.Add(new Observation.ComponentComponent { Code = new CodeableConcept(FhirCodes.Loinc, MeasurementCodes.Diastolic, "Diastolic blood pressure"), Value = Quantity(diastolic, m.Unit) });
            }
        }
        else
        {
            observation.Value = Quantity(m.Value, m.Unit);
        }
        var performer = Recorder(observation, vaultId, entry.Author, AllActors);
        if (performer is not null)
        {
            observation.Performer = [performer];
        }
        return Common(observation, entry, observation.Note);
    }

    private static Quantity Quantity(decimal value, string unit) => new(value, unit, FhirCodes.Ucum) { Unit = unit };

    /// <summary>Id, identifier, note, source, masking and removal: the same on every section's resource.</summary>
    private static T Common<T>(T resource, ProfileEntry entry, List<Annotation> note) where T : DomainResource
    {
        resource.Id = FhirResources.SafeId(entry.Id);
        // Each of the five has an identifier list; set through the element name so this stays one method.
        switch (resource)
        {
            case MedicationStatement r: r.Identifier = [EntryIdentifier(entry)]; break;
            case Condition r: r.Identifier = [EntryIdentifier(entry)]; break;
            case AllergyIntolerance r: r.Identifier = [EntryIdentifier(entry)]; break;
            case Immunization r: r.Identifier = [EntryIdentifier(entry)]; break;
            case Observation r: r.Identifier = [EntryIdentifier(entry)]; break;
        }
        if (entry.Note is { } text)
        {
            note.Add(new Annotation { Text = text });
        }
        if (entry.Source is { } source)
        {
            resource.Extension.Add(new Extension(FhirCodes.ProfileSourceExtension, new FhirString(source)));
        }
        if (entry.RemovedAt is { } removed)
        {
            resource.Extension.Add(new Extension(FhirCodes.ProfileRemovedAtExtension, DateTime(removed)));
        }
        var labels = FhirResources.VisibilityLabels(entry.Visibility);
        if (labels.Count > 0)
        {
            resource.Meta = new Meta { Security = labels };
        }
        return resource;
    }

    private static Identifier EntryIdentifier(ProfileEntry entry) => new(FhirCodes.ProfileEntryIdSystem, entry.Id);

    /// <summary>
    /// A coded concept: its coding (system, code, display) and the display also as the concept's text; a text-only coding
    /// (system <see cref="FhirCodes.TextOnlySystem"/> or empty, code "") is the concept's text alone.
    /// </summary>
    public static CodeableConcept Concept(DomainCoding coding)
    {
        var concept = new CodeableConcept { Text = coding.Display };
        if (coding.Code.Length > 0 || coding.System.Length > 0 && coding.System != FhirCodes.TextOnlySystem)
        {
            concept.Coding = [new FhirCoding(coding.System.Length > 0 ? coding.System : null, coding.Code.Length > 0 ? coding.Code : null, coding.Display)];
        }
        return concept;
    }

    public static string? Date(DateOnly? date) => date?.ToString("yyyy-MM-dd", C);

    /// <summary>A FHIR dateTime to the tick, in UTC.</summary>
    public static FhirDateTime DateTime(DateTimeOffset at) => new(at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", C));

    // The actors each recorder element admits (FHIR R4 reference targets).
    private static readonly string[] AllActors = ["Patient", "Practitioner", "RelatedPerson", "Organization"];
    private static readonly string[] PeopleAndPractitioners = ["Patient", "Practitioner", "RelatedPerson"];
    private static readonly string[] PractitionersAndOrganizations = ["Practitioner", "Organization"];

    /// <summary>
    /// The author as a reference for the resource's recorder element when its type is in <paramref name="admitted"/>;
    /// otherwise null, and the reference goes to the <see cref="FhirCodes.ProfileRecorderExtension"/> extension.
    /// </summary>
    private static ResourceReference? Recorder(DomainResource resource, string vaultId, Author author, string[] admitted)
    {
        var reference = AuthorReference(vaultId, author);
        if (admitted.Contains(reference.Type))
        {
            return reference;
        }
        resource.Extension.Add(new Extension(FhirCodes.ProfileRecorderExtension, reference));
        return null;
    }

    /// <summary>
    /// Who recorded an entry: the person as the Patient, a professional or referent as a Practitioner with its RPPS, a
    /// representative or carer as a RelatedPerson with their vault id, an establishment's system as an Organization with
    /// its FINESS; Coffre's author kind (and the id or FINESS the identifier does not carry) in extensions, so the reverse
    /// gives back the same author.
    /// </summary>
    public static ResourceReference AuthorReference(string vaultId, Author author)
    {
        var (type, system, display) = author.Kind switch
        {
            AuthorKind.Person => ("Patient", FhirCodes.VaultIdSystem, "the person"),
            AuthorKind.Professional => ("Practitioner", FhirCodes.RppsSystem, "professional"),
            AuthorKind.Referent => ("Practitioner", FhirCodes.RppsSystem, "referent"),
            AuthorKind.Representative => ("RelatedPerson", FhirCodes.VaultIdSystem, "legal representative"),
            AuthorKind.Carer => ("RelatedPerson", FhirCodes.VaultIdSystem, "carer"),
            AuthorKind.App => ("Organization", FhirCodes.SystemAuthorSystem, "connected app"),
            _ => ("Organization", author.EstablishmentFiness is null ? FhirCodes.SystemAuthorSystem : FhirCodes.FinessSystem, "establishment system"),
        };
        var reference = new ResourceReference
        {
            Reference = author.Kind == AuthorKind.Person && author.Id == vaultId ? $"Patient/{vaultId}" : null,
            Type = type,
            Display = display,
        };
        reference.Extension.Add(new Extension(FhirCodes.AuthorKindExtension, new Code(AuthorKindCode(author.Kind))));
        if (system == FhirCodes.FinessSystem)
        {
            reference.Identifier = new Identifier(system, author.EstablishmentFiness);
            reference.Extension.Add(new Extension(FhirCodes.AuthorIdExtension, new FhirString(author.Id)));
        }
        else
        {
            reference.Identifier = new Identifier(system, author.Id);
            if (author.EstablishmentFiness is { } finess)
            {
                reference.Extension.Add(new Extension(FhirCodes.AuthorFinessExtension, new FhirString(finess)));
            }
        }
        return reference;
    }

    public static string AuthorKindCode(AuthorKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>The LOINC code, display and category of each measurement kind (as documented on <see cref="MeasurementKind"/>).</summary>
internal static class MeasurementCodes
{
    public const string Systolic = "8480-6";
    public const string Diastolic = "8462-4";
    /// <summary>Capillary glucose, read back as <see cref="MeasurementKind.Glucose"/>.</summary>
    public const string CapillaryGlucose = "2339-0";

    public sealed record Kind(MeasurementKind Value, string Loinc, string Display, bool Laboratory);

    public static IReadOnlyList<Kind> All { get; } =
    [
        new(MeasurementKind.Weight, "29463-7", "Body weight", false),
        new(MeasurementKind.Height, "8302-2", "Body height", false),
        new(MeasurementKind.BloodPressure, "85354-9", "Blood pressure panel with all children optional", false),
        new(MeasurementKind.Glucose, "2345-7", "Glucose [Mass/volume] in Serum or Plasma", true),
        new(MeasurementKind.HeartRate, "8867-4", "Heart rate", false),
        new(MeasurementKind.Temperature, "8310-5", "Body temperature", false),
        new(MeasurementKind.HbA1c, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", true),
    ];

    public static Kind Of(MeasurementKind kind) => All.FirstOrDefault(k => k.Value == kind) ?? throw new ArgumentOutOfRangeException(nameof(kind));

    public static MeasurementKind? FromLoinc(string? code) =>
        code == CapillaryGlucose ? MeasurementKind.Glucose : All.FirstOrDefault(k => k.Loinc == code)?.Value;
}
