using Coffre.Domain.Documents;
using Coffre.Domain.Profile;

namespace Coffre.UnitTests.Fhir;

/// <summary>
/// Profile entries covering every section, every value of every enum of each section, every author kind, the masking
/// flags, present and absent optional fields, instants in several time zones and a tombstone.
/// </summary>
public static class ProfileSamples
{
    public const string VaultId = "v-samples0000000000000";
    private const string Rpps = "10000000009";
    private const string Finess = "750712184";
    private static readonly DateTimeOffset At = new(2026, 3, 14, 9, 26, 53, 589, TimeSpan.Zero);

    public static IReadOnlyList<Author> Authors { get; } =
    [
        new(AuthorKind.Person, VaultId),
        new(AuthorKind.Professional, Rpps),
        new(AuthorKind.Professional, Rpps, Finess),
        new(AuthorKind.Referent, "10000000017"),
        new(AuthorKind.Representative, "v-parent00000000000000"),
        new(AuthorKind.Carer, "v-carer000000000000000"),
        new(AuthorKind.System, "client-hospital-feed", Finess),
        new(AuthorKind.System, "client-lab-feed"),
        new(AuthorKind.App, "app:app-0123456789"),
    ];

    private static Author AuthorAt(int i) => Authors[i % Authors.Count];

    private static ProfileEntry Entry(string id, ProfileSection section, int i) => new(
        id, section, AuthorAt(i), At.AddDays(i).AddTicks(i * 1234567).ToOffset(TimeSpan.FromHours(i % 3)),
        i % 2 == 0 ? "ordonnance du 3 mars, « renouvelable »" : null,
        (i % 4) switch
        {
            1 => new Visibility(MaskedFromProfessionals: true),
            2 => new Visibility(InvisibleToPatient: true, InvisibleToRepresentatives: true),
            _ => Visibility.Normal,
        },
        Note: i % 3 == 0 ? "à revoir avec le médecin traitant" : null);

    public static IReadOnlyList<ProfileEntry> Treatments { get; } =
        Enum.GetValues<TreatmentStatus>().Select((status, i) => Entry($"pe-treat-{i}", ProfileSection.Treatments, i) with
        {
            Treatment = new TreatmentDetails(
                i switch
                {
                    0 => new Coding("http://www.whocc.no/atc", "N02BE01", "Paracétamol"),
                    1 => new Coding("text", "", "Sirop contre la toux"),
                    _ => new Coding("urn:oid:1.2.250.1.213.2.3.1", "3400935955838"),
                },
                status,
                i == 1 ? null : "1 comprimé matin et soir",
                i == 2 ? null : new DateOnly(2025, 11, 2 + i),
                status == TreatmentStatus.Active ? null : new DateOnly(2026, 1, 20),
                i == 0 ? "douleurs lombaires" : null),
        }).ToList();

    public static IReadOnlyList<ProfileEntry> Conditions { get; } =
        Enum.GetValues<ConditionKind>().Select((kind, i) => Entry($"pe-cond-{i}", ProfileSection.Conditions, i + 1) with
        {
            Condition = new ConditionDetails(
                i == 3 ? new Coding("text", "", "Diabète chez le père") : new Coding("http://hl7.org/fhir/sid/icd-10", "E11." + i, "Diabète de type 2"),
                kind,
                Enum.GetValues<ConditionStatus>()[i % 3],
                i == 2 ? null : new DateOnly(2019, 5, 17),
                Enum.GetValues<ConditionStatus>()[i % 3] == ConditionStatus.Active ? null : new DateOnly(2024, 2, 29)),
        }).ToList();

    public static IReadOnlyList<ProfileEntry> Allergies { get; } =
        Enum.GetValues<AllergyCategory>().Select((category, i) => Entry($"pe-allergy-{i}", ProfileSection.Allergies, i + 2) with
        {
            Allergy = new AllergyDetails(
                i == 1 ? new Coding("text", "", "Arachide") : new Coding("http://snomed.info/sct", "37284700" + i, "Pénicilline"),
                category,
                Enum.GetValues<AllergyCriticality>()[i % 3],
                Enum.GetValues<AllergyStatus>()[i % 3],
                i == 3 ? null : "urticaire",
                i == 0 ? null : new DateOnly(2010, 7, 1)),
        }).ToList();

    public static IReadOnlyList<ProfileEntry> Vaccinations { get; } =
    [
        Entry("pe-vacc-0", ProfileSection.Vaccinations, 3) with
        {
            Vaccination = new VaccinationDetails(new Coding("urn:oid:1.2.250.1.213.2.3.1", "3400930000000", "Repevax"), new DateOnly(2025, 10, 8),
                ["diphtheria", "tetanus", "poliomyelitis", "pertussis"], 4, "X1234-B"),
        },
        Entry("pe-vacc-1", ProfileSection.Vaccinations, 4) with
        {
            Vaccination = new VaccinationDetails(new Coding("text", "", "Vaccin grippe saisonnière"), new DateOnly(2025, 11, 15), ["influenza"]),
        },
        Entry("pe-vacc-2", ProfileSection.Vaccinations, 5) with
        {
            Vaccination = new VaccinationDetails(new Coding("http://snomed.info/sct", "871751006", "Hepatitis B vaccine"), new DateOnly(2001, 1, 9), [], 2),
        },
        Entry("pe-vacc-3", ProfileSection.Vaccinations, 6) with
        {
            Vaccination = new VaccinationDetails(new Coding("text", "", "Vaccin inconnu (carnet)"), new DateOnly(1999, 12, 31), []),
        },
    ];

    public static IReadOnlyList<ProfileEntry> Measurements { get; } =
        Enum.GetValues<MeasurementKind>().Select((kind, i) => Entry($"pe-measure-{i}", ProfileSection.Measurements, i + 5) with
        {
            Measurement = kind switch
            {
                MeasurementKind.Weight => new MeasurementDetails(kind, 72.450m, "kg", At.AddHours(-i)),
                MeasurementKind.Height => new MeasurementDetails(kind, 178m, "cm", At.AddHours(-i)),
                MeasurementKind.BloodPressure => new MeasurementDetails(kind, 128m, "mm[Hg]", At.AddHours(-i).ToOffset(TimeSpan.FromHours(-5)), 82m),
                MeasurementKind.Glucose => new MeasurementDetails(kind, 1.06m, "g/L", At.AddHours(-i)),
                MeasurementKind.HeartRate => new MeasurementDetails(kind, 64m, "/min", At.AddHours(-i)),
                MeasurementKind.Temperature => new MeasurementDetails(kind, 37.8m, "Cel", At.AddHours(-i)),
                _ => new MeasurementDetails(kind, 6.9m, "%", At.AddHours(-i)),
            },
        }).ToList();

    /// <summary>A blood pressure with only its systolic value, and a removed entry (a tombstone).</summary>
    public static IReadOnlyList<ProfileEntry> Edges { get; } =
    [
        Entry("pe-measure-systolic-only", ProfileSection.Measurements, 7) with
        {
            Measurement = new MeasurementDetails(MeasurementKind.BloodPressure, 141.5m, "mm[Hg]", At),
        },
        Entry("pe-removed", ProfileSection.Conditions, 0) with
        {
            Condition = new ConditionDetails(new Coding("http://hl7.org/fhir/sid/icd-10", "J45", "Asthme"), ConditionKind.Condition, ConditionStatus.Active),
            RemovedAt = At.AddDays(30),
        },
    ];

    public static IReadOnlyList<ProfileEntry> All { get; } = [.. Treatments, .. Conditions, .. Allergies, .. Vaccinations, .. Measurements, .. Edges];
}
