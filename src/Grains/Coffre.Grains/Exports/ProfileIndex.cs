using System.Globalization;
using System.Text;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;

namespace Coffre.Grains.Exports;

/// <summary>The medical profile in the export's readable index: one line per entry, in words, section by section.</summary>
internal static class ProfileIndex
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder sb, IReadOnlyList<ProfileEntry> entries, Func<Author, string> authorText)
    {
        sb.AppendLine(C, $"MEDICAL PROFILE ({entries.Count} entries; each is a resource in fhir/bundle.json)");
        foreach (var section in ProfileSections.All)
        {
            var inSection = entries.Where(e => e.Section == section).ToList();
            if (inSection.Count == 0)
            {
                continue;
            }
            sb.AppendLine(C, $"{Title(section)} ({inSection.Count})");
            foreach (var e in inSection)
            {
                sb.AppendLine(C, $"- {Describe(e)}");
                sb.AppendLine(C, $"  recorded {e.RecordedAt:yyyy-MM-dd} by {authorText(e.Author)}{(e.Source is { } s ? $", source: {s}" : "")}{(e.Visibility.MaskedFromProfessionals ? ", hidden from professionals" : "")}");
                if (e.Note is { } note)
                {
                    sb.AppendLine(C, $"  note: {note}");
                }
            }
        }
    }

    private static string Title(ProfileSection section) => section switch
    {
        ProfileSection.Treatments => "Treatments",
        ProfileSection.Conditions => "Conditions and medical history",
        ProfileSection.Allergies => "Allergies and intolerances",
        ProfileSection.Vaccinations => "Vaccinations",
        _ => "Measurements",
    };

    private static string Describe(ProfileEntry e) => e.Section switch
    {
        ProfileSection.Treatments when e.Treatment is { } t =>
            $"{Name(t.Medication)}, {Words(t.Status)}{(t.Dosage is { } d ? $", {d}" : "")}{Span(t.StartedOn, t.EndedOn)}{(t.Reason is { } r ? $", for {r}" : "")}",
        ProfileSection.Conditions when e.Condition is { } c =>
            $"{Name(c.Code)}, {Words(c.Kind)}, {Words(c.Status)}{(c.OnsetOn is { } o ? $", since {o:yyyy-MM-dd}" : "")}{(c.ResolvedOn is { } r ? $", resolved {r:yyyy-MM-dd}" : "")}",
        ProfileSection.Allergies when e.Allergy is { } a =>
            $"{Name(a.Substance)} ({Words(a.Category)}), criticality {Words(a.Criticality)}, {Words(a.Status)}{(a.Reaction is { } r ? $", reaction: {r}" : "")}{(a.OnsetOn is { } o ? $", since {o:yyyy-MM-dd}" : "")}",
        ProfileSection.Vaccinations when e.Vaccination is { } v =>
            $"{Name(v.Vaccine)}, given {v.AdministeredOn:yyyy-MM-dd}{(v.DoseNumber is { } n ? $", dose {n}" : "")}{(v.Targets.Count > 0 ? $", against {string.Join(", ", v.Targets)}" : "")}{(v.LotNumber is { } l ? $", lot {l}" : "")}",
        ProfileSection.Measurements when e.Measurement is { } m =>
            $"{(m.Kind == MeasurementKind.HbA1c ? "HbA1c" : Words(m.Kind))} {m.Value.ToString(C)}{(m.SecondValue is { } s ? "/" + s.ToString(C) : "")} {m.Unit}, measured {m.MeasuredAt:yyyy-MM-dd HH:mm} UTC",
        _ => "entry without details",
    };

    private static string Name(Coding coding) =>
        (coding.Display ?? coding.Code) + (coding.Code.Length > 0 && coding.Display is not null ? $" ({coding.Code})" : "");

    private static string Span(DateOnly? from, DateOnly? to) =>
        (from is { } f ? $", from {f:yyyy-MM-dd}" : "") + (to is { } t ? $" until {t:yyyy-MM-dd}" : "");

    /// <summary>An enum value in lower-case words: PastHistory → "past history".</summary>
    private static string Words<T>(T value) where T : struct, Enum
    {
        var name = value.ToString();
        var sb = new StringBuilder();
        foreach (var ch in name)
        {
            if (char.IsUpper(ch) && sb.Length > 0)
            {
                sb.Append(' ');
            }
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }
}
