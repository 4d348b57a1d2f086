using Coffre.Domain.Access;
using Coffre.Domain.Text;

namespace Coffre.Domain.Profile;

/// <summary>What a new profile entry's author gives (the section and exactly one detail: the section's).</summary>
[GenerateSerializer, Immutable, Alias("coffre.new-profile-entry")]
public sealed record NewProfileEntry(
    [property: Id(0)] ProfileSection Section,
    [property: Id(1)] string? Source = null,
    [property: Id(2)] string? Note = null,
    [property: Id(3)] TreatmentDetails? Treatment = null,
    [property: Id(4)] ConditionDetails? Condition = null,
    [property: Id(5)] AllergyDetails? Allergy = null,
    [property: Id(6)] VaccinationDetails? Vaccination = null,
    [property: Id(7)] MeasurementDetails? Measurement = null,
    [property: Id(8)] bool MinorSecret = false);

/// <summary>
/// The input rules of the medical profile, pure: each failure names its field (the GraphQL input's path, e.g.
/// <c>treatment.medication.code</c>) and its rule. Text is trimmed and bounded (<see cref="MaxText"/>, notes
/// <see cref="MaxNote"/>); codings come from a closed list of systems (<see cref="Systems"/>), per field; dates are not
/// in the future nor before 1900; a measurement's unit is fixed by its kind (UCUM) and its value must be plausible;
/// vaccination targets come from a closed list (<see cref="VaccinationTargets"/>), the names the prevention rules use.
/// </summary>
public static class ProfileRules
{
    public const int MaxText = 200;
    public const int MaxNote = 1_000;
    public const int MaxTargets = 10;
    public const int MaxDoseNumber = 20;

    /// <summary>Entries one page of <c>Vault.profile</c> shows at most.</summary>
    public const int MaxPageSize = 50;

    /// <summary>Live (not removed) entries a section holds at most.</summary>
    public const int MaxLiveEntriesPerSection = 500;

    /// <summary>Removed entries (tombstones) a section keeps at most; older ones are forgotten beyond it.</summary>
    public const int MaxTombstonesPerSection = 500;

    public const string Atc = "http://www.whocc.no/atc";
    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    public const string Snomed = "http://snomed.info/sct";
    public const string Loinc = "http://loinc.org";

    /// <summary>Free text: the code is "" and the display says what it is.</summary>
    public const string Text = "text";

    /// <summary>
    /// Every coding system Coffre accepts. CIP13 and UCD (French medicine codes) are left out: their OIDs could not be
    /// checked against a source we hold; a medicine is coded in ATC or given as text.
    /// </summary>
    public static IReadOnlyList<string> Systems { get; } = [Atc, Icd10, Snomed, Loinc, Text];

    private static readonly string[] MedicationSystems = [Atc, Snomed, Text];
    private static readonly string[] ConditionSystems = [Icd10, Snomed, Text];
    private static readonly string[] SubstanceSystems = [Atc, Snomed, Text];
    private static readonly string[] VaccineSystems = [Atc, Snomed, Text];

    /// <summary>
    /// The diseases a vaccination may protect against, by Coffre's stable names (the prevention rules' <c>targets</c> use them).
    /// </summary>
    public static IReadOnlyList<string> VaccinationTargets { get; } =
    [
        "diphtheria", "tetanus", "poliomyelitis", "pertussis", "haemophilus-b", "hepatitis-a", "hepatitis-b", "pneumococcal",
        "meningococcal-c", "meningococcal-acwy", "meningococcal-b", "measles", "mumps", "rubella", "varicella", "zoster", "hpv",
        "influenza", "covid-19", "rsv", "rotavirus", "tuberculosis", "yellow-fever", "typhoid", "rabies", "tick-borne-encephalitis",
    ];

    /// <summary>The one UCUM unit of each measurement kind.</summary>
    public static string UnitOf(MeasurementKind kind) => kind switch
    {
        MeasurementKind.Weight => "kg",
        MeasurementKind.Height => "cm",
        MeasurementKind.BloodPressure => "mm[Hg]",
        MeasurementKind.Glucose => "g/L",
        MeasurementKind.HeartRate => "/min",
        MeasurementKind.Temperature => "Cel",
        MeasurementKind.HbA1c => "%",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Plausible values of each kind (inclusive), in its unit; blood pressure: the systolic value.</summary>
    public static (decimal Min, decimal Max) RangeOf(MeasurementKind kind) => kind switch
    {
        MeasurementKind.Weight => (0.2m, 500m),
        MeasurementKind.Height => (20m, 260m),
        MeasurementKind.BloodPressure => (40m, 300m),
        MeasurementKind.Glucose => (0.1m, 10m),
        MeasurementKind.HeartRate => (20m, 300m),
        MeasurementKind.Temperature => (25m, 45m),
        MeasurementKind.HbA1c => (2m, 20m),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Plausible diastolic pressures (mm[Hg]).</summary>
    public static readonly (decimal Min, decimal Max) DiastolicRange = (20m, 200m);

    private static readonly DateOnly Earliest = new(1900, 1, 1);

    /// <summary>
    /// Checks a new entry against the rules and answers it trimmed (text fields, codings, unit filled from the kind);
    /// throws <see cref="ValidationFailedException"/> naming the first field that breaks a rule.
    /// </summary>
    public static NewProfileEntry Check(NewProfileEntry entry, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!Enum.IsDefined(entry.Section))
        {
            throw new ValidationFailedException("section", "is not a profile section");
        }
        var given = new (string Field, ProfileSection Section, bool Present)[]
        {
            ("treatment", ProfileSection.Treatments, entry.Treatment is not null),
            ("condition", ProfileSection.Conditions, entry.Condition is not null),
            ("allergy", ProfileSection.Allergies, entry.Allergy is not null),
            ("vaccination", ProfileSection.Vaccinations, entry.Vaccination is not null),
            ("measurement", ProfileSection.Measurements, entry.Measurement is not null),
        };
        var own = given.Single(g => g.Section == entry.Section);
        if (given.FirstOrDefault(g => g.Present && g.Section != entry.Section) is { Field: not null } other)
        {
            throw new ValidationFailedException(other.Field, $"must be omitted: exactly one detail input, {own.Field} for section {SectionName(entry.Section)}");
        }
        if (!own.Present)
        {
            throw new ValidationFailedException(own.Field, $"is required for section {SectionName(entry.Section)} (exactly one detail input, the section's)");
        }
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return entry with
        {
            Source = OptionalText(entry.Source, "source", MaxText),
            Note = OptionalText(entry.Note, "note", MaxNote),
            Treatment = entry.Treatment is { } t ? Treatment(t, today) : null,
            Condition = entry.Condition is { } c ? Condition(c, today) : null,
            Allergy = entry.Allergy is { } a ? Allergy(a, today) : null,
            Vaccination = entry.Vaccination is { } v ? Vaccination(v, today) : null,
            Measurement = entry.Measurement is { } m ? Measurement(m, now) : null,
        };
    }

    private static string SectionName(ProfileSection section) => ProfileSections.Name(section).ToUpperInvariant();

    private static TreatmentDetails Treatment(TreatmentDetails t, DateOnly today)
    {
        Defined(t.Status, "treatment.status");
        var started = Date(t.StartedOn, "treatment.startedOn", today);
        var ended = Date(t.EndedOn, "treatment.endedOn", today);
        if (started is not null && ended < started)
        {
            throw new ValidationFailedException("treatment.endedOn", "must not be before startedOn");
        }
        return t with
        {
            Medication = Coding(t.Medication, "treatment.medication", MedicationSystems),
            Dosage = OptionalText(t.Dosage, "treatment.dosage", MaxText),
            Reason = OptionalText(t.Reason, "treatment.reason", MaxText),
        };
    }

    private static ConditionDetails Condition(ConditionDetails c, DateOnly today)
    {
        Defined(c.Kind, "condition.kind");
        Defined(c.Status, "condition.status");
        var onset = Date(c.OnsetOn, "condition.onsetOn", today);
        var resolved = Date(c.ResolvedOn, "condition.resolvedOn", today);
        if (onset is not null && resolved < onset)
        {
            throw new ValidationFailedException("condition.resolvedOn", "must not be before onsetOn");
        }
        if (resolved is not null && c.Status == ConditionStatus.Active)
        {
            throw new ValidationFailedException("condition.status", "must be RESOLVED or REMISSION when resolvedOn is given");
        }
        return c with { Code = Coding(c.Code, "condition.code", ConditionSystems) };
    }

    private static AllergyDetails Allergy(AllergyDetails a, DateOnly today)
    {
        Defined(a.Category, "allergy.category");
        Defined(a.Criticality, "allergy.criticality");
        Defined(a.Status, "allergy.status");
        Date(a.OnsetOn, "allergy.onsetOn", today);
        return a with
        {
            Substance = Coding(a.Substance, "allergy.substance", SubstanceSystems),
            Reaction = OptionalText(a.Reaction, "allergy.reaction", MaxText),
        };
    }

    private static VaccinationDetails Vaccination(VaccinationDetails v, DateOnly today)
    {
        Date(v.AdministeredOn, "vaccination.administeredOn", today);
        if (v.Targets is null || v.Targets.Count is 0 or > MaxTargets)
        {
            throw new ValidationFailedException("vaccination.targets", $"must name 1 to {MaxTargets} diseases");
        }
        var targets = new List<string>();
        foreach (var raw in v.Targets)
        {
            var target = raw?.Trim().ToLowerInvariant() ?? "";
            if (!VaccinationTargets.Contains(target))
            {
                throw new ValidationFailedException("vaccination.targets", $"must each be one of {string.Join(", ", VaccinationTargets)}");
            }
            if (targets.Contains(target))
            {
                throw new ValidationFailedException("vaccination.targets", "must not repeat a disease");
            }
            targets.Add(target);
        }
        if (v.DoseNumber is < 1 or > MaxDoseNumber)
        {
            throw new ValidationFailedException("vaccination.doseNumber", $"must be between 1 and {MaxDoseNumber}");
        }
        return v with
        {
            Vaccine = Coding(v.Vaccine, "vaccination.vaccine", VaccineSystems),
            Targets = targets,
            LotNumber = OptionalText(v.LotNumber, "vaccination.lotNumber", MaxText),
        };
    }

    private static MeasurementDetails Measurement(MeasurementDetails m, DateTimeOffset now)
    {
        Defined(m.Kind, "measurement.kind");
        var unit = UnitOf(m.Kind);
        if (!string.IsNullOrWhiteSpace(m.Unit) && m.Unit.Trim() != unit)
        {
            throw new ValidationFailedException("measurement.unit", $"must be {unit} for {m.Kind} (UCUM), or omitted");
        }
        var (min, max) = RangeOf(m.Kind);
        if (m.Value < min || m.Value > max)
        {
            throw new ValidationFailedException("measurement.value", $"must be between {min} and {max} {unit} for {m.Kind}");
        }
        if (m.Kind == MeasurementKind.BloodPressure)
        {
            if (m.SecondValue is not { } diastolic)
            {
                throw new ValidationFailedException("measurement.secondValue", "is required for BloodPressure (the diastolic pressure)");
            }
            if (diastolic < DiastolicRange.Min || diastolic > DiastolicRange.Max || diastolic >= m.Value)
            {
                throw new ValidationFailedException("measurement.secondValue",
                    $"must be between {DiastolicRange.Min} and {DiastolicRange.Max} mm[Hg] and below the systolic value");
            }
        }
        else if (m.SecondValue is not null)
        {
            throw new ValidationFailedException("measurement.secondValue", "is only for BloodPressure (the diastolic pressure)");
        }
        if (m.MeasuredAt > now.AddMinutes(5) || m.MeasuredAt.UtcDateTime < Earliest.ToDateTime(TimeOnly.MinValue))
        {
            throw new ValidationFailedException("measurement.measuredAt", "must not be in the future nor before 1900");
        }
        return m with { Unit = unit, MeasuredAt = m.MeasuredAt.ToUniversalTime() };
    }

    /// <summary>A coding of one of <paramref name="allowed"/> systems, its code in that system's form; <c>text</c>: code "" and a display.</summary>
    public static Coding Coding(Coding? coding, string field, IReadOnlyList<string> allowed)
    {
        if (coding is null)
        {
            throw new ValidationFailedException(field, "is required");
        }
        var system = coding.System?.Trim() ?? "";
        if (!allowed.Contains(system))
        {
            throw new ValidationFailedException(field + ".system", $"must be one of {string.Join(", ", allowed)}");
        }
        var code = coding.Code?.Trim() ?? "";
        var display = OptionalText(coding.Display, field + ".display", MaxText);
        if (system == Text)
        {
            if (code.Length != 0)
            {
                throw new ValidationFailedException(field + ".code", "must be empty for system text (free text goes in display)");
            }
            if (display is null)
            {
                throw new ValidationFailedException(field + ".display", "is required for system text");
            }
            return new Coding(system, "", display);
        }
        if (!IsCode(system, code))
        {
            throw new ValidationFailedException(field + ".code", $"is not a code of {system} ({CodeShape(system)})");
        }
        return new Coding(system, code, display);
    }

    private static bool IsCode(string system, string code) => system switch
    {
        // A00..Z99, optionally ".x" up to 4 more characters (CIM-10's French extensions included).
        Icd10 => code.Length is >= 3 and <= 8 && char.IsAsciiLetterUpper(code[0]) && char.IsAsciiDigit(code[1]) && char.IsAsciiDigit(code[2])
            && code.Skip(3).All(c => c == '.' || char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)),
        // Levels: A, A01, A01B, A01BC, A01BC01.
        Atc => code.Length is 1 or 3 or 4 or 5 or 7 && char.IsAsciiLetterUpper(code[0])
            && (code.Length < 3 || (char.IsAsciiDigit(code[1]) && char.IsAsciiDigit(code[2])))
            && (code.Length < 4 || char.IsAsciiLetterUpper(code[3]))
            && (code.Length < 5 || char.IsAsciiLetterUpper(code[4]))
            && (code.Length < 7 || (char.IsAsciiDigit(code[5]) && char.IsAsciiDigit(code[6]))),
        Snomed => code.Length is >= 6 and <= 18 && code[0] != '0' && code.All(char.IsAsciiDigit),
        Loinc => code.Length is >= 3 and <= 10 && code[^2] == '-' && char.IsAsciiDigit(code[^1]) && code[..^2].All(char.IsAsciiDigit),
        _ => false,
    };

    private static string CodeShape(string system) => system switch
    {
        Icd10 => "a letter, two digits, then up to 5 digits, letters or dots, e.g. E11.9",
        Atc => "an ATC level code, e.g. C09AA05",
        Snomed => "6 to 18 digits",
        Loinc => "digits, a dash and a check digit, e.g. 29463-7",
        _ => "unknown system",
    };

    private static DateOnly? Date(DateOnly? date, string field, DateOnly today)
    {
        if (date is { } d && (d > today || d < Earliest))
        {
            throw new ValidationFailedException(field, "must not be in the future nor before 1900");
        }
        return date;
    }

    private static void Defined<T>(T value, string field) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ValidationFailedException(field, $"is not a known {typeof(T).Name}");
        }
    }

    /// <summary>Trimmed, null when empty, at most <paramref name="max"/> characters, no control characters.</summary>
    public static string? OptionalText(string? text, string field, int max)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }
        if (trimmed.Length > max)
        {
            throw new ValidationFailedException(field, $"must be at most {max} characters");
        }
        if (TextRules.Validate(trimmed) is { } rule)
        {
            throw new ValidationFailedException(field, rule);
        }
        return trimmed;
    }
}
