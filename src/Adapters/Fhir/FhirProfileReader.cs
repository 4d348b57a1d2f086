using System.Globalization;
using System.Text.RegularExpressions;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using DomainCoding = Coffre.Domain.Profile.Coding;

namespace Coffre.Adapters.Fhir;

/// <summary>
/// A profile resource back to the <see cref="ProfileEntry"/> it describes (the reverse of <see cref="FhirProfileResources"/>).
/// The JSON is parsed by the SDK in strict mode (anything FHIR R4 does not allow fails there); then every element is checked
/// against what Coffre holds: an element Coffre does not keep, a second occurrence where Coffre keeps one, a partial date,
/// a value of another type, another patient, a missing recorder or recording time are refused with a
/// <see cref="ValidationFailedException"/> whose field is the element's path (<c>Condition.bodySite</c>, <c>Observation.value</c>…).
/// </summary>
internal static partial class FhirProfileReader
{
    /// <summary>protocolApplied.doseNumberString when the dose number is not known (R4 requires doseNumber[x]).</summary>
    public const string UnknownDose = "unknown";

    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    // The elements Coffre reads on each resource; any other one present is refused (id and meta are read on all).
    private static readonly Dictionary<string, HashSet<string>> Held = new()
    {
        ["MedicationStatement"] = ["identifier", "status", "medication", "subject", "effective", "dateAsserted", "informationSource", "reasonCode", "note", "dosage"],
        ["Condition"] = ["identifier", "clinicalStatus", "category", "code", "subject", "onset", "abatement", "recordedDate", "recorder", "note"],
        ["AllergyIntolerance"] = ["identifier", "clinicalStatus", "category", "criticality", "code", "patient", "onset", "recordedDate", "recorder", "note", "reaction"],
        ["Immunization"] = ["identifier", "status", "vaccineCode", "patient", "occurrence", "recorded", "lotNumber", "performer", "note", "protocolApplied"],
        ["Observation"] = ["identifier", "status", "category", "code", "subject", "effective", "issued", "performer", "value", "note", "component"],
    };

    public static ProfileEntry Read(string vaultId, string json)
    {
        Resource resource;
        try
        {
            resource = Strict.DeserializeResource(json);
        }
        catch (DeserializationFailedException e)
        {
            var first = e.Exceptions.FirstOrDefault();
            throw new ValidationFailedException("resource", "is not valid FHIR R4 JSON: " + (first?.Message ?? e.Message));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ValidationFailedException("resource", "is not JSON: " + e.Message);
        }
        var type = resource.TypeName;
        if (!Held.TryGetValue(type, out var held))
        {
            throw new ValidationFailedException("resourceType", $"{type} is not a profile resource: MedicationStatement, Condition, AllergyIntolerance, Immunization or Observation");
        }
        foreach (var (name, _) in resource.EnumerateElements())
        {
            if (name is not ("id" or "meta" or "extension" or "resourceType") && !held.Contains(name))
            {
                throw new ValidationFailedException($"{type}.{name}", "is not held by Coffre's profile: leave it out");
            }
        }
        var r = new Reading(type, vaultId, (DomainResource)resource);
        return resource switch
        {
            MedicationStatement s => r.Entry(ProfileSection.Treatments, treatment: Treatment(r, s), identifiers: s.Identifier,
                recorded: r.InstantOrNull(s.DateAssertedElement, "dateAsserted"), recordedName: "dateAsserted",
                recorder: s.InformationSource, recorderName: "informationSource", patient: s.Subject, patientName: "subject", note: s.Note),
            Condition c => r.Entry(ProfileSection.Conditions, condition: Condition(r, c), identifiers: c.Identifier,
                recorded: r.InstantOrNull(c.RecordedDateElement, "recordedDate"), recordedName: "recordedDate",
                recorder: c.Recorder, recorderName: "recorder", patient: c.Subject, patientName: "subject", note: c.Note),
            AllergyIntolerance a => r.Entry(ProfileSection.Allergies, allergy: Allergy(r, a), identifiers: a.Identifier,
                recorded: r.InstantOrNull(a.RecordedDateElement, "recordedDate"), recordedName: "recordedDate",
                recorder: a.Recorder, recorderName: "recorder", patient: a.Patient, patientName: "patient", note: a.Note),
            Immunization i => r.Entry(ProfileSection.Vaccinations, vaccination: Vaccination(r, i), identifiers: i.Identifier,
                recorded: r.InstantOrNull(i.RecordedElement, "recorded"), recordedName: "recorded",
                recorder: PerformerActor(r, i), recorderName: "performer.actor", patient: i.Patient, patientName: "patient", note: i.Note),
            Observation o => r.Entry(ProfileSection.Measurements, measurement: Measurement(r, o), identifiers: o.Identifier,
                recorded: o.Issued, recordedName: "issued",
                recorder: r.Single(o.Performer, "performer"), recorderName: "performer", patient: o.Subject, patientName: "subject", note: o.Note),
            _ => throw new InvalidOperationException("unreachable"),
        };
    }

    private static ResourceReference? PerformerActor(Reading r, Immunization i)
    {
        var performer = r.Single(i.Performer, "performer");
        if (performer is not null && performer.Function is not null)
        {
            throw r.Fail("performer.function", "is not held by Coffre: leave it out");
        }
        return performer?.Actor;
    }

    private static TreatmentDetails Treatment(Reading r, MedicationStatement s)
    {
        var status = s.Status switch
        {
            MedicationStatement.MedicationStatusCodes.Active => TreatmentStatus.Active,
            MedicationStatement.MedicationStatusCodes.Completed => TreatmentStatus.Completed,
            MedicationStatement.MedicationStatusCodes.Stopped => TreatmentStatus.Stopped,
            _ => throw r.Fail("status", "must be active, completed or stopped"),
        };
        var medication = s.Medication is CodeableConcept concept ? r.Coding(concept, "medicationCodeableConcept")
            : throw r.Fail("medication", "must be a medicationCodeableConcept (Coffre keeps no Medication resources)");
        DateOnly? started = null, ended = null;
        if (s.Effective is Period period)
        {
            started = r.Date(period.StartElement?.Value, "effectivePeriod.start");
            ended = r.Date(period.EndElement?.Value, "effectivePeriod.end");
        }
        else if (s.Effective is not null)
        {
            throw r.Fail("effective", "must be an effectivePeriod of dates");
        }
        var dosage = r.Single(s.Dosage, "dosage");
        if (dosage is not null && (dosage.Text is null || dosage.EnumerateElements().Any(e => e.Key != "text")))
        {
            throw r.Fail("dosage", "must carry its text only");
        }
        return new TreatmentDetails(medication, status, dosage?.Text, started, ended, r.TextOnly(r.Single(s.ReasonCode, "reasonCode"), "reasonCode"));
    }

    private static ConditionDetails Condition(Reading r, Condition c)
    {
        var kind = ConditionKind.Condition;
        foreach (var category in c.Category)
        {
            var coding = r.Single(category.Coding, "category.coding");
            if (coding?.System == FhirCodes.ConditionKindSystem)
            {
                kind = Enum.GetValues<ConditionKind>().FirstOrDefault(k => FhirProfileResources.ConditionKindCode(k) == coding.Code, ConditionKind.Condition);
                if (kind == ConditionKind.Condition)
                {
                    throw r.Fail("category", $"{FhirCodes.ConditionKindSystem} codes are past-history, surgery and family-history");
                }
            }
            else if (coding?.System != FhirCodes.ConditionCategorySystem || coding.Code is not ("problem-list-item" or "encounter-diagnosis"))
            {
                throw r.Fail("category", "must be problem-list-item or encounter-diagnosis, and Coffre's condition-kind for history");
            }
        }
        var status = r.Code(c.ClinicalStatus, FhirCodes.ConditionClinicalSystem, "clinicalStatus") switch
        {
            "active" => ConditionStatus.Active,
            "resolved" => ConditionStatus.Resolved,
            "remission" => ConditionStatus.Remission,
            _ => throw r.Fail("clinicalStatus", "must be active, resolved or remission"),
        };
        var code = r.Coding(c.Code ?? throw r.Fail("code", "is required"), "code");
        return new ConditionDetails(code, kind, status, r.DateOf(c.Onset, "onset"), r.DateOf(c.Abatement, "abatement"));
    }

    private static AllergyDetails Allergy(Reading r, AllergyIntolerance a)
    {
        var category = r.Single(a.Category.ToList(), "category") switch
        {
            AllergyIntolerance.AllergyIntoleranceCategory.Medication => AllergyCategory.Medication,
            AllergyIntolerance.AllergyIntoleranceCategory.Food => AllergyCategory.Food,
            AllergyIntolerance.AllergyIntoleranceCategory.Environment => AllergyCategory.Environment,
            AllergyIntolerance.AllergyIntoleranceCategory.Biologic => AllergyCategory.Biologic,
            _ => throw r.Fail("category", "is required: medication, food, environment or biologic"),
        };
        var criticality = a.Criticality switch
        {
            AllergyIntolerance.AllergyIntoleranceCriticality.Low => AllergyCriticality.Low,
            AllergyIntolerance.AllergyIntoleranceCriticality.High => AllergyCriticality.High,
            _ => AllergyCriticality.Unknown,
        };
        var status = r.Code(a.ClinicalStatus, FhirCodes.AllergyClinicalSystem, "clinicalStatus") switch
        {
            "active" => AllergyStatus.Active,
            "inactive" => AllergyStatus.Inactive,
            "resolved" => AllergyStatus.Resolved,
            _ => throw r.Fail("clinicalStatus", "must be active, inactive or resolved"),
        };
        var reaction = r.Single(a.Reaction, "reaction");
        if (reaction is not null && reaction.EnumerateElements().Any(e => e.Key != "manifestation"))
        {
            throw r.Fail("reaction", "must carry its manifestation's text only");
        }
        var manifestation = reaction is null ? null : r.TextOnly(r.Single(reaction.Manifestation, "reaction.manifestation"), "reaction.manifestation");
        var substance = r.Coding(a.Code ?? throw r.Fail("code", "is required"), "code");
        return new AllergyDetails(substance, category, criticality, status, manifestation, r.DateOf(a.Onset, "onset"));
    }

    private static VaccinationDetails Vaccination(Reading r, Immunization i)
    {
        if (i.Status != Immunization.ImmunizationStatusCodes.Completed)
        {
            throw r.Fail("status", "must be completed (Coffre keeps vaccinations given)");
        }
        var administered = r.DateOf(i.Occurrence, "occurrence") ?? throw r.Fail("occurrence", "is required");
        var protocol = r.Single(i.ProtocolApplied, "protocolApplied");
        var targets = new List<string>();
        int? dose = null;
        if (protocol is not null)
        {
            foreach (var target in protocol.TargetDisease)
            {
                var coding = r.Single(target.Coding, "protocolApplied.targetDisease.coding");
                targets.Add(coding is { System: FhirCodes.PreventionTargetSystem, Code: { } name } ? name
                    : throw r.Fail("protocolApplied.targetDisease", $"must be coded in {FhirCodes.PreventionTargetSystem} (influenza, tetanus, …)"));
            }
            dose = protocol.DoseNumber switch
            {
                PositiveInt { Value: { } n } => n,
                FhirString { Value: UnknownDose } => null,
                _ => throw r.Fail("protocolApplied.doseNumber", $"must be a positiveInt, or the string \"{UnknownDose}\""),
            };
        }
        return new VaccinationDetails(r.Coding(i.VaccineCode ?? throw r.Fail("vaccineCode", "is required"), "vaccineCode"), administered, targets, dose, i.LotNumber);
    }

    private static MeasurementDetails Measurement(Reading r, Observation o)
    {
        var code = r.Single(o.Code?.Coding, "code.coding");
        var kind = (code?.System == FhirCodes.Loinc ? MeasurementCodes.FromLoinc(code.Code) : null)
            ?? throw r.Fail("code", "must be one of Coffre's LOINC codes: " + string.Join(", ", MeasurementCodes.All.Select(k => k.Loinc)));
        if (o.Status is not ObservationStatus.Final)
        {
            throw r.Fail("status", "must be final");
        }
        var measuredAt = o.Effective is FhirDateTime effective ? r.Instant(effective, "effectiveDateTime") : throw r.Fail("effective", "must be an effectiveDateTime");
        if (kind == MeasurementKind.BloodPressure)
        {
            if (o.Value is not null)
            {
                throw r.Fail("value", "a blood pressure carries its values in components 8480-6 and 8462-4");
            }
            var systolic = o.Component.FirstOrDefault(c => Loinc(c.Code) == MeasurementCodes.Systolic) ?? throw r.Fail("component", "the systolic component (8480-6) is required");
            var diastolic = o.Component.FirstOrDefault(c => Loinc(c.Code) == MeasurementCodes.Diastolic);
            if (o.Component.Count != (diastolic is null ? 1 : 2))
            {
                throw r.Fail("component", "only the systolic (8480-6) and diastolic (8462-4) components are held");
            }
            var (high, unit) = r.Quantity(systolic.Value, "component.valueQuantity");
            decimal? low = null;
            if (diastolic is not null)
            {
                var (value, secondUnit) = r.Quantity(diastolic.Value, "component.valueQuantity");
                low = secondUnit == unit ? value : throw r.Fail("component.valueQuantity", "both components must have the same unit");
            }
            return new MeasurementDetails(kind, high, unit, measuredAt, low);
        }
        if (o.Component.Count > 0)
        {
            throw r.Fail("component", "only a blood pressure has components");
        }
        var (single, singleUnit) = r.Quantity(o.Value, "valueQuantity");
        return new MeasurementDetails(kind, single, singleUnit, measuredAt);
    }

    private static string? Loinc(CodeableConcept? concept) => concept?.Coding.FirstOrDefault(c => c.System == FhirCodes.Loinc)?.Code;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}")]
    private static partial Regex FullDate();

    /// <summary>One resource being read: its type for the errors' paths, its vault, its extensions.</summary>
    private sealed class Reading(string type, string vaultId, DomainResource resource)
    {
        public ValidationFailedException Fail(string element, string rule) => new($"{type}.{element}", rule);

        public T? Single<T>(IList<T>? items, string element) where T : class => items switch
        {
            null or { Count: 0 } => null,
            { Count: 1 } => items[0],
            _ => throw Fail(element, "is held once by Coffre: send one"),
        };

        public AllergyIntolerance.AllergyIntoleranceCategory? Single(IList<AllergyIntolerance.AllergyIntoleranceCategory?> items, string element) => items.Count switch
        {
            0 => null,
            1 => items[0],
            _ => throw Fail(element, "is held once by Coffre: send one"),
        };

        public DomainCoding Coding(CodeableConcept concept, string element)
        {
            var coding = Single(concept.Coding, element + ".coding");
            if (coding is null && concept.Text is null)
            {
                throw Fail(element, "needs a coding or a text");
            }
            return coding is null
                ? new DomainCoding(FhirCodes.TextOnlySystem, "", concept.Text)
                : new DomainCoding(coding.System ?? FhirCodes.TextOnlySystem, coding.Code ?? "", coding.Display ?? concept.Text);
        }

        public string? TextOnly(CodeableConcept? concept, string element) =>
            concept is null ? null
            : concept.Coding.Count == 0 && concept.Text is { } text ? text
            : throw Fail(element, "is held as text only");

        public string? Code(CodeableConcept? concept, string system, string element)
        {
            var coding = Single(concept?.Coding, element + ".coding");
            return coding is null ? throw Fail(element, "is required")
                : coding.System == system ? coding.Code
                : throw Fail(element, "must be coded in " + system);
        }

        public DateOnly? Date(string? value, string element)
        {
            if (value is null)
            {
                return null;
            }
            var match = FullDate().Match(value);
            return match.Success && DateOnly.TryParseExact(match.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? date
                : throw Fail(element, "must be a full date (yyyy-MM-dd): Coffre keeps no partial dates");
        }

        public DateOnly? DateOf(DataType? value, string element) => value switch
        {
            null => null,
            FhirDateTime dateTime => Date(dateTime.Value, element + "DateTime"),
            _ => throw Fail(element, $"must be {element}DateTime"),
        };

        public DateTimeOffset Instant(FhirDateTime value, string element) =>
            value.Value is { } text && text.Contains('T', StringComparison.Ordinal)
                && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                ? at
                : throw Fail(element, "must be a date and time with its time zone");

        public DateTimeOffset? InstantOrNull(FhirDateTime? value, string element) => value is null ? null : Instant(value, element);

        public (decimal Value, string Unit) Quantity(DataType? value, string element) => value switch
        {
            Hl7.Fhir.Model.Quantity { Value: { } v, System: FhirCodes.Ucum, Code: { } unit } => (v, unit),
            Hl7.Fhir.Model.Quantity => throw Fail(element, "needs a value and a UCUM unit (system http://unitsofmeasure.org, code)"),
            null => throw Fail(element, "is required"),
            _ => throw Fail(element, "must be a valueQuantity"),
        };

        public ProfileEntry Entry(ProfileSection section, TreatmentDetails? treatment = null, ConditionDetails? condition = null, AllergyDetails? allergy = null,
            VaccinationDetails? vaccination = null, MeasurementDetails? measurement = null, List<Identifier>? identifiers = null,
            DateTimeOffset? recorded = null, string recordedName = "", ResourceReference? recorder = null, string recorderName = "",
            ResourceReference? patient = null, string patientName = "", List<Annotation>? note = null)
        {
            if (patient?.Reference != $"Patient/{vaultId}")
            {
                throw Fail(patientName, $"must be Patient/{{vaultId}} of the vault it is read into");
            }
            var id = identifiers?.FirstOrDefault(i => i.System == FhirCodes.ProfileEntryIdSystem)?.Value ?? resource.Id ?? "";
            var recordedAt = recorded ?? throw Fail(recordedName, "is required: when the entry was recorded");
            var extensionRecorder = Extension<ResourceReference>(FhirCodes.ProfileRecorderExtension);
            var author = Author(extensionRecorder ?? recorder ?? throw Fail(recorderName, "is required: who recorded the entry"),
                extensionRecorder is null ? recorderName : "extension(" + FhirCodes.ProfileRecorderExtension + ")");
            var text = Single(note, "note");
            if (text is not null && (text.Text is null || text.Author is not null || text.Time is not null))
            {
                throw Fail("note", "is held as text only");
            }
            var removed = Extension<FhirDateTime>(FhirCodes.ProfileRemovedAtExtension) is { } r ? Instant(r, "extension(" + FhirCodes.ProfileRemovedAtExtension + ")") : (DateTimeOffset?)null;
            return new ProfileEntry(id, section, author, recordedAt, Extension<FhirString>(FhirCodes.ProfileSourceExtension)?.Value, VisibilityOf(),
                treatment, condition, allergy, vaccination, measurement, removed, text?.Text);
        }

        private T? Extension<T>(string url) where T : DataType
        {
            var extensions = resource.Extension.Where(e => e.Url == url).ToList();
            if (extensions.Count > 1)
            {
                throw Fail($"extension({url})", "is held once");
            }
            return extensions.Count == 0 ? null : extensions[0].Value as T ?? throw Fail($"extension({url})", "has a value of the wrong type");
        }

        private Visibility VisibilityOf()
        {
            var labels = resource.Meta?.Security ?? [];
            foreach (var label in labels)
            {
                if (label.System != FhirCodes.VisibilitySystem || !FhirResources.VisibilityCodes.Any(v => v.Code == label.Code))
                {
                    throw Fail("meta.security", $"Coffre's labels are {string.Join(", ", FhirResources.VisibilityCodes.Select(v => v.Code))} of {FhirCodes.VisibilitySystem}");
                }
            }
            bool Has(string code) => labels.Any(l => l.Code == code);
            var codes = FhirResources.VisibilityCodes;
            var visibility = new Visibility(Has(codes[0].Code), Has(codes[1].Code), Has(codes[2].Code));
            return visibility == Visibility.Normal ? Visibility.Normal : visibility;
        }

        private Author Author(ResourceReference reference, string element)
        {
            string? Text(string url) => reference.Extension.FirstOrDefault(e => e.Url == url)?.Value switch
            {
                FhirString s => s.Value,
                Code c => c.Value,
                _ => null,
            };
            var kindCode = Text(FhirCodes.AuthorKindExtension);
            AuthorKind kind;
            if (kindCode is not null)
            {
                kind = Enum.GetValues<AuthorKind>().Cast<AuthorKind?>().FirstOrDefault(k => FhirProfileResources.AuthorKindCode(k!.Value) == kindCode)
                    ?? throw Fail(element, $"{FhirCodes.AuthorKindExtension} is not one of Coffre's author kinds");
            }
            else
            {
                kind = reference.Type switch
                {
                    "Patient" => AuthorKind.Person,
                    "Practitioner" => AuthorKind.Professional,
                    "RelatedPerson" => AuthorKind.Representative,
                    "Organization" => AuthorKind.System,
                    _ when reference.Identifier?.System == FhirCodes.RppsSystem => AuthorKind.Professional,
                    _ when reference.Identifier?.System == FhirCodes.FinessSystem => AuthorKind.System,
                    _ => throw Fail(element, "must name a Patient, a Practitioner (RPPS), a RelatedPerson or an Organization (FINESS)"),
                };
            }
            var identifier = reference.Identifier;
            string? finess = Text(FhirCodes.AuthorFinessExtension);
            string? id = Text(FhirCodes.AuthorIdExtension);
            if (identifier?.System == FhirCodes.FinessSystem)
            {
                finess = identifier.Value;
                id ??= identifier.Value;
            }
            else
            {
                id ??= identifier?.Value;
            }
            if (kind == AuthorKind.Person && id is null && reference.Reference == $"Patient/{vaultId}")
            {
                id = vaultId;
            }
            if (kind is AuthorKind.Professional or AuthorKind.Referent && identifier?.System != FhirCodes.RppsSystem)
            {
                throw Fail(element, $"a practitioner is identified by its RPPS ({FhirCodes.RppsSystem})");
            }
            return new Author(kind, id ?? throw Fail(element, "needs an identifier"), finess);
        }
    }
}
