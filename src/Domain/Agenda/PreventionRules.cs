using System.Text.Json;
using System.Text.Json.Serialization;
using Coffre.Domain.Documents;

namespace Coffre.Domain.Agenda;

/// <summary>
/// Prevention dates (vaccinations, screenings) from a person's birth date and sex, by a versioned rules file
/// (<c>prevention-rules.json</c>, embedded; its <c>version</c> is shown with each item). Pure: today comes as an argument.
/// A rule is either a list of <c>ages</c> (each due from that birthday for <c>windowYears</c>), a periodic one
/// (<c>fromAge</c>, optional <c>toAge</c>, <c>everyYears</c>: due from each occurrence's birthday until the next), or a
/// seasonal one (<c>fromAge</c>, <c>seasonStartMonth</c>, <c>seasonMonths</c>: each season once the person has that age).
/// Items are listed when current or starting within a year. A dismissal is kept by the rule's stable id and the
/// occurrence's year (<see cref="DismissalKey"/>), so a new version of the file keeps it as long as the rule id and the
/// occurrence stay.
/// <para>A vaccination rule may name its <c>targets</c> (the diseases, by the medical profile's names: <c>diphtheria</c>,
/// <c>influenza</c>…). An occurrence is DONE when one recorded vaccination covers every target of the rule and was given
/// within the occurrence's window (from its start until it is due by), or — for a periodic rule (<c>everyYears</c>) —
/// within <c>everyYears</c> before the occurrence's start.</para>
/// </summary>
public sealed class PreventionRules
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
        RespectNullableAnnotations = true,
    };

    public string Version { get; }
    public IReadOnlyList<PreventionRule> Rules { get; }

    private PreventionRules(string version, IReadOnlyList<PreventionRule> rules)
    {
        Version = version;
        Rules = rules;
    }

    private static readonly Lazy<PreventionRules> Embedded = new(() =>
    {
        using var stream = typeof(PreventionRules).Assembly.GetManifestResourceStream("prevention-rules.json")
            ?? throw new InvalidOperationException("prevention-rules.json is not embedded");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    });

    /// <summary>The rules file built into this version of Coffre.</summary>
    public static PreventionRules Default => Embedded.Value;

    /// <summary>Reads and checks a rules file (unique ids, one shape per rule, sane ages).</summary>
    public static PreventionRules Parse(string json)
    {
        var file = JsonSerializer.Deserialize<RulesFile>(json, Json) ?? throw new FormatException("prevention rules: empty file");
        if (string.IsNullOrWhiteSpace(file.Version))
        {
            throw new FormatException("prevention rules: version is required");
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in file.Rules)
        {
            if (string.IsNullOrWhiteSpace(rule.Id) || !ids.Add(rule.Id))
            {
                throw new FormatException($"prevention rules: rule id '{rule.Id}' is missing or repeated");
            }
            var shapes = (rule.Ages is { Count: > 0 } ? 1 : 0) + (rule.EveryYears is > 0 ? 1 : 0) + (rule.SeasonStartMonth is not null ? 1 : 0);
            if (shapes != 1 || (rule.Ages is null && rule.FromAge is null) || rule.SeasonStartMonth is < 1 or > 12
                || (rule.SeasonStartMonth is not null && rule.SeasonMonths is not (>= 1 and <= 12)))
            {
                throw new FormatException($"prevention rules: rule '{rule.Id}' needs exactly one of ages, fromAge+everyYears, fromAge+seasonStartMonth+seasonMonths");
            }
            if (rule.Targets is { } targets && (targets.Count == 0 || rule.Category != "VACCINATION"
                || targets.Any(t => !Profile.ProfileRules.VaccinationTargets.Contains(t))))
            {
                throw new FormatException($"prevention rules: rule '{rule.Id}': targets are for VACCINATION rules, each one of the medical profile's vaccination targets");
            }
        }
        return new PreventionRules(file.Version, file.Rules);
    }

    /// <summary>The dismissal key of an occurrence: the rule's stable id and the year it is due from.</summary>
    public static string DismissalKey(string ruleId, DateOnly dueFrom) => $"{ruleId}/{dueFrom.Year}";

    /// <summary>The items for a person on <paramref name="today"/>: current ones and those starting within a year, soonest first.</summary>
    public IReadOnlyList<PreventionItem> ItemsFor(DateOnly birthDate, Sex sex, DateOnly today, IReadOnlySet<string> dismissed,
        IReadOnlyList<VaccinationRecord>? vaccinations = null)
    {
        var horizon = today.AddYears(1);
        var items = new List<PreventionItem>();
        foreach (var rule in Rules)
        {
            if ((rule.Sex == RuleSex.Female && sex != Sex.Female) || (rule.Sex == RuleSex.Male && sex != Sex.Male))
            {
                continue;
            }
            foreach (var (from, by) in Occurrences(rule, birthDate, today))
            {
                if (by <= today)
                {
                    continue;
                }
                if (from > horizon)
                {
                    break;
                }
                var doneOn = DoneOn(rule, from, by, vaccinations);
                items.Add(new PreventionItem(rule.Id, rule.Title, rule.Category, from, by, dismissed.Contains(DismissalKey(rule.Id, from)), Version,
                    doneOn is null ? PreventionStatus.Due : PreventionStatus.Done, doneOn));
                break;
            }
        }
        return [.. items.OrderBy(i => i.DueFrom).ThenBy(i => i.RuleId, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The latest date a recorded vaccination covering every target of <paramref name="rule"/> was given within the
    /// occurrence [<paramref name="from"/>, <paramref name="by"/>) — for a periodic rule from <c>everyYears</c> before
    /// <paramref name="from"/> — or null.
    /// </summary>
    public static DateOnly? DoneOn(PreventionRule rule, DateOnly from, DateOnly by, IReadOnlyList<VaccinationRecord>? vaccinations)
    {
        if (rule.Targets is not { Count: > 0 } targets || vaccinations is null)
        {
            return null;
        }
        var windowStart = rule.EveryYears is { } every and > 0 ? from.AddYears(-every) : from;
        DateOnly? latest = null;
        foreach (var v in vaccinations)
        {
            if (v.AdministeredOn >= windowStart && v.AdministeredOn < by && targets.All(v.Targets.Contains)
                && (latest is null || v.AdministeredOn > latest))
            {
                latest = v.AdministeredOn;
            }
        }
        return latest;
    }

    /// <summary>A rule's occurrences in time order (periodic rules end at toAge or at age 110).</summary>
    private static IEnumerable<(DateOnly From, DateOnly By)> Occurrences(PreventionRule rule, DateOnly birth, DateOnly today)
    {
        if (rule.Ages is { Count: > 0 } ages)
        {
            foreach (var age in ages.Order())
            {
                yield return (birth.AddYears(age), birth.AddYears(age + Math.Max(1, rule.WindowYears ?? 1)));
            }
            yield break;
        }
        var fromAge = rule.FromAge!.Value;
        var toAge = rule.ToAge ?? 110;
        if (rule.SeasonStartMonth is { } month)
        {
            var first = birth.AddYears(fromAge);
            for (var year = Math.Max(first.Year, today.Year - 1); year <= birth.Year + toAge; year++)
            {
                var start = new DateOnly(year, month, 1);
                if (start.AddMonths(rule.SeasonMonths!.Value) <= first)
                {
                    continue;
                }
                yield return (start, start.AddMonths(rule.SeasonMonths!.Value));
            }
            yield break;
        }
        var every = rule.EveryYears!.Value;
        for (var age = fromAge; age <= toAge; age += every)
        {
            yield return (birth.AddYears(age), birth.AddYears(Math.Min(age + every, toAge + 1)));
        }
    }

    private sealed record RulesFile(string Version, string? Sources, List<PreventionRule> Rules);
}

public enum RuleSex
{
    Any = 0,
    Female = 1,
    Male = 2,
}

/// <summary>One rule of the file (see <see cref="PreventionRules"/> for the shapes).</summary>
public sealed record PreventionRule(
    string Id,
    string Title,
    string Category,
    RuleSex Sex,
    List<int>? Ages = null,
    int? WindowYears = null,
    int? FromAge = null,
    int? ToAge = null,
    int? EveryYears = null,
    int? SeasonStartMonth = null,
    int? SeasonMonths = null,
    List<string>? Targets = null);
