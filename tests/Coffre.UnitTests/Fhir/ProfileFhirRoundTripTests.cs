using System.Text.Json.Nodes;
using Coffre.Adapters.Fhir;
using Coffre.Application.Fhir;
using Coffre.Domain.Access;
using Coffre.Domain.Profile;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;
using Xunit;

namespace Coffre.UnitTests.Fhir;

/// <summary>
/// The medical profile as FHIR R4, both ways: every sample entry (every section, every enum value) → its resource → JSON
/// (the SDK's serializer) → the SDK's strict parser → the entry again, equal to the original; every resource also passes
/// the SDK's validation attributes; and what Coffre cannot hold is refused naming the element.
/// </summary>
public sealed class ProfileFhirRoundTripTests
{
    private static readonly IFhirMapper Mapper = new FhirMapper();
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private const string VaultId = ProfileSamples.VaultId;

    public static TheoryData<string> EntryIds() => new(ProfileSamples.All.Select(e => e.Id));

    private static ProfileEntry Sample(string id) => ProfileSamples.All.Single(e => e.Id == id);

    [Theory]
    [MemberData(nameof(EntryIds))]
    public void Every_entry_survives_resource_json_strict_parse_and_back(string id)
    {
        var entry = Sample(id);
        var json = Mapper.ProfileResource(VaultId, entry);
        var back = Mapper.ReadProfileResource(VaultId, json);
        AssertSame(entry, back);
        // And once more from the reread entry: the JSON is stable.
        Assert.Equal(json, Mapper.ProfileResource(VaultId, back));
    }

    [Theory]
    [MemberData(nameof(EntryIds))]
    public void Every_resource_is_of_its_sections_type_and_passes_the_sdks_validation_attributes(string id)
    {
        var entry = Sample(id);
        var resource = Strict.DeserializeResource(Mapper.ProfileResource(VaultId, entry));
        Assert.Equal(Coffre.Grains.Fhir.FhirViews.ResourceType(entry.Section), resource.TypeName);
        Assert.Equal(entry.Id, resource.Id);
        var errors = resource.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.FhirXhtml, null, true).ToList();
        Assert.True(errors.Count == 0, string.Join("; ", errors.Select(e => e.Message)));
    }

    [Fact]
    public void The_samples_cover_every_section_and_every_enum_value()
    {
        var all = ProfileSamples.All;
        Assert.All(ProfileSections.All, s => Assert.Contains(all, e => e.Section == s));
        Assert.All(Enum.GetValues<TreatmentStatus>(), v => Assert.Contains(all, e => e.Treatment?.Status == v));
        Assert.All(Enum.GetValues<ConditionKind>(), v => Assert.Contains(all, e => e.Condition?.Kind == v));
        Assert.All(Enum.GetValues<ConditionStatus>(), v => Assert.Contains(all, e => e.Condition?.Status == v));
        Assert.All(Enum.GetValues<AllergyCategory>(), v => Assert.Contains(all, e => e.Allergy?.Category == v));
        Assert.All(Enum.GetValues<AllergyCriticality>(), v => Assert.Contains(all, e => e.Allergy?.Criticality == v));
        Assert.All(Enum.GetValues<AllergyStatus>(), v => Assert.Contains(all, e => e.Allergy?.Status == v));
        Assert.All(Enum.GetValues<MeasurementKind>(), v => Assert.Contains(all, e => e.Measurement?.Kind == v));
        Assert.All(Enum.GetValues<Coffre.Domain.Documents.AuthorKind>(), v => Assert.Contains(all, e => e.Author.Kind == v));
    }

    [Fact]
    public void Codes_as_documented_loinc_per_measurement_categories_statuses_and_the_patient()
    {
        string Loinc(MeasurementKind kind)
        {
            var o = Strict.Deserialize<Observation>(Mapper.ProfileResource(VaultId, ProfileSamples.Measurements.Single(e => e.Measurement!.Kind == kind)))!;
            Assert.Equal("Patient/" + VaultId, o.Subject!.Reference);
            Assert.Equal(kind is MeasurementKind.Glucose or MeasurementKind.HbA1c ? "laboratory" : "vital-signs", o.Category.Single().Coding.Single().Code);
            return o.Code.Coding.Single(c => c.System == "http://loinc.org").Code!;
        }
        Assert.Equal("29463-7", Loinc(MeasurementKind.Weight));
        Assert.Equal("8302-2", Loinc(MeasurementKind.Height));
        Assert.Equal("85354-9", Loinc(MeasurementKind.BloodPressure));
        Assert.Equal("2345-7", Loinc(MeasurementKind.Glucose));
        Assert.Equal("8867-4", Loinc(MeasurementKind.HeartRate));
        Assert.Equal("8310-5", Loinc(MeasurementKind.Temperature));
        Assert.Equal("4548-4", Loinc(MeasurementKind.HbA1c));

        var bp = Strict.Deserialize<Observation>(Mapper.ProfileResource(VaultId, ProfileSamples.Measurements.Single(e => e.Measurement!.Kind == MeasurementKind.BloodPressure)))!;
        Assert.Null(bp.Value);
        Assert.Equal(["8480-6", "8462-4"], bp.Component.Select(c => c.Code.Coding.Single().Code));
        Assert.All(bp.Component, c => Assert.Equal("http://unitsofmeasure.org", Assert.IsType<Quantity>(c.Value).System));

        var treatment = Strict.Deserialize<MedicationStatement>(Mapper.ProfileResource(VaultId, ProfileSamples.Treatments[0]))!;
        Assert.Equal(MedicationStatement.MedicationStatusCodes.Active, treatment.Status);
        Assert.Equal("N02BE01", ((CodeableConcept)treatment.Medication).Coding.Single().Code);
        Assert.Equal("1 comprimé matin et soir", treatment.Dosage.Single().Text);
        Assert.Equal("douleurs lombaires", treatment.ReasonCode.Single().Text);
        // The person recorded it: the Patient itself is the information source.
        Assert.Equal("Patient/" + VaultId, treatment.InformationSource!.Reference);

        var professional = Strict.Deserialize<Condition>(Mapper.ProfileResource(VaultId, ProfileSamples.Conditions[0]))!;
        Assert.Equal("Practitioner", professional.Recorder!.Type);
        Assert.Equal("urn:oid:1.2.250.1.71.4.2.1", professional.Recorder!.Identifier!.System);
        Assert.Contains(professional.Category, c => c.Coding.Single().Code == "problem-list-item");
        var family = Strict.Deserialize<Condition>(Mapper.ProfileResource(VaultId, ProfileSamples.Conditions.Single(e => e.Condition!.Kind == ConditionKind.FamilyHistory)))!;
        Assert.Contains(family.Category, c => c.Coding.Single() is { System: "urn:coffre:condition-kind", Code: "family-history" });

        var vaccination = Strict.Deserialize<Immunization>(Mapper.ProfileResource(VaultId, ProfileSamples.Vaccinations[0]))!;
        Assert.Equal(Immunization.ImmunizationStatusCodes.Completed, vaccination.Status);
        Assert.Equal(4, ((PositiveInt)vaccination.ProtocolApplied.Single().DoseNumber).Value);
        Assert.Contains(vaccination.ProtocolApplied.Single().TargetDisease, t => t.Coding.Single().Code == "tetanus");
        Assert.Equal("X1234-B", vaccination.LotNumber);

        var establishment = ProfileSamples.All.First(e => e.Author.Kind == Coffre.Domain.Documents.AuthorKind.System && e.Author.EstablishmentFiness is not null);
        var json = JsonNode.Parse(Mapper.ProfileResource(VaultId, establishment))!.ToJsonString();
        Assert.Contains("\"system\":\"urn:oid:1.2.250.1.71.4.2.2\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vaccination_recorded_by_an_app_names_no_performer_and_keeps_its_recorder()
    {
        var byApp = ProfileSamples.Vaccinations[0] with { Author = new Coffre.Domain.Documents.Author(Coffre.Domain.Documents.AuthorKind.System, "app:carnet") };
        var json = Mapper.ProfileResource(VaultId, byApp);
        var immunization = Strict.Deserialize<Immunization>(json)!;
        Assert.Empty(immunization.Performer);
        Assert.Contains(immunization.Extension, e => e.Url == "urn:coffre:fhir:profile-recorder");
        Assert.Equal(byApp.Author, Mapper.ReadProfileResource(VaultId, json).Author);
        var byProfessional = byApp with { Author = new Coffre.Domain.Documents.Author(Coffre.Domain.Documents.AuthorKind.Professional, "10101010101") };
        Assert.Single(Strict.Deserialize<Immunization>(Mapper.ProfileResource(VaultId, byProfessional))!.Performer);
    }

    [Fact]
    public void A_searchset_carries_every_entry_as_a_match()
    {
        var bundle = Strict.Deserialize<Bundle>(Mapper.ProfileSearchset(VaultId, ProfileSamples.Allergies, "/fhir/AllergyIntolerance?patient=" + VaultId))!;
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        Assert.Equal(ProfileSamples.Allergies.Count, bundle.Total);
        Assert.Equal(ProfileSamples.Allergies.Select(e => e.Id), bundle.Entry.Select(e => e.Resource!.Id));
        Assert.All(bundle.Entry, e => Assert.Equal(Bundle.SearchEntryMode.Match, e.Search!.Mode));
    }

    /// <summary>Edits the JSON of a sample's resource, then expects the reverse to refuse it naming <paramref name="field"/>.</summary>
    [Theory]
    [InlineData("pe-treat-0", "MedicationStatement.effective", "effectivePeriod", null, "effectiveDateTime", "2025-01-01")]
    [InlineData("pe-treat-0", "MedicationStatement.effectivePeriod.start", "effectivePeriod", "start", null, "2025-11")]
    [InlineData("pe-treat-0", "MedicationStatement.status", "status", null, null, "intended")]
    [InlineData("pe-treat-0", "MedicationStatement.subject", "subject", "reference", null, "Patient/v-someone-else00000000")]
    [InlineData("pe-cond-0", "Condition.clinicalStatus", "clinicalStatus", null, null, "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":\"relapse\"}]}")]
    [InlineData("pe-cond-0", "Condition.bodySite", "bodySite", null, null, "[{\"text\":\"genou\"}]")]
    [InlineData("pe-cond-0", "Condition.recordedDate", "recordedDate", null, null, null)]
    [InlineData("pe-measure-0", "Observation.code", "code", null, null, "{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"39156-5\"}]}")]
    [InlineData("pe-measure-0", "Observation.valueQuantity", "valueQuantity", null, "valueString", "72 kg")]
    [InlineData("pe-vacc-0", "Immunization.status", "status", null, null, "not-done")]
    [InlineData("pe-vacc-0", "Immunization.protocolApplied.targetDisease", "protocolApplied", null, null, "[{\"targetDisease\":[{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"76902006\"}]}],\"doseNumberPositiveInt\":1}]")]
    [InlineData("pe-allergy-0", "AllergyIntolerance.category", "category", null, null, "[\"food\",\"medication\"]")]
    public void What_Coffre_cannot_hold_is_refused_naming_the_element(string id, string field, string element, string? child, string? renameTo, string? value)
    {
        var node = JsonNode.Parse(Mapper.ProfileResource(VaultId, Sample(id)))!.AsObject();
        JsonNode? Value() => value is null ? null : value.StartsWith('{') || value.StartsWith('[') ? JsonNode.Parse(value) : JsonValue.Create(value);
        if (child is not null)
        {
            node[element]![child] = Value();
        }
        else if (renameTo is not null)
        {
            node.Remove(element);
            node[renameTo] = Value();
        }
        else if (value is null)
        {
            node.Remove(element);
        }
        else
        {
            node[element] = Value();
        }
        var error = Assert.Throws<ValidationFailedException>(() => Mapper.ReadProfileResource(VaultId, node.ToJsonString()));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Another_resource_type_and_json_the_strict_parser_refuses_are_refused()
    {
        Assert.Equal("resourceType", Assert.Throws<ValidationFailedException>(() => Mapper.ReadProfileResource(VaultId, "{\"resourceType\":\"Patient\",\"id\":\"x\"}")).Field);
        // An element R4 does not have: the SDK's strict parser refuses it first.
        var node = JsonNode.Parse(Mapper.ProfileResource(VaultId, ProfileSamples.Treatments[0]))!.AsObject();
        node["dosageText"] = "2 par jour";
        Assert.Equal("resource", Assert.Throws<ValidationFailedException>(() => Mapper.ReadProfileResource(VaultId, node.ToJsonString())).Field);
    }

    /// <summary>Record equality, except the vaccination's targets (a list) compared item by item.</summary>
    internal static void AssertSame(ProfileEntry expected, ProfileEntry actual)
    {
        Assert.Equal(expected with { Vaccination = null }, actual with { Vaccination = null });
        if (expected.Vaccination is { } v)
        {
            var w = Assert.IsType<VaccinationDetails>(actual.Vaccination);
            Assert.Equal(v with { Targets = [] }, w with { Targets = [] });
            Assert.Equal(v.Targets, w.Targets);
        }
        else
        {
            Assert.Null(actual.Vaccination);
        }
    }
}
