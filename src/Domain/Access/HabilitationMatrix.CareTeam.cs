using System.Text.Json;

namespace Coffre.Domain.Access;

/// <summary>
/// The care-team presumption as the matrix states it (<c>careTeam</c> in <c>habilitation-matrix.json</c>): which
/// establishment relations make a member of that establishment part of the person's care team
/// (<see cref="FromEstablishmentGrant"/>: the person gave the establishment access; <see cref="FromAccompaniment"/>: a
/// referent mandate of the person names the establishment), and what the care team may then do (<see cref="Read"/>:
/// see the vault, list and read documents; <see cref="Create"/>: deposit). Each stays within the profession × type rules
/// and the grant's or consent's scope. <see cref="Off"/> when the file has no <c>careTeam</c> or lists no source.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.care-team-rule")]
public sealed record CareTeamRule(
    [property: Id(0)] bool FromEstablishmentGrant,
    [property: Id(1)] bool FromAccompaniment,
    [property: Id(2)] bool Read,
    [property: Id(3)] bool Create)
{
    /// <summary>Source name of the establishment-grant relation in the file.</summary>
    public const string EstablishmentGrantSource = "establishment-grant";

    /// <summary>Source name of the accompaniment relation (a referent mandate naming the establishment) in the file.</summary>
    public const string AccompanimentSource = "accompaniment";

    public static CareTeamRule Off { get; } = new(false, false, false, false);

    /// <summary>Whether the rule opens <paramref name="create"/> (deposit) or reading at all.</summary>
    public bool Opens(bool create) => create ? Create : Read;

    /// <summary>Whether any source counts and any action is open.</summary>
    public bool IsOn => (FromEstablishmentGrant || FromAccompaniment) && (Read || Create);
}

public sealed partial class HabilitationMatrix
{
    /// <summary>The care-team presumption (<see cref="CareTeamRule"/>); <see cref="CareTeamRule.Off"/> when the file has none.</summary>
    public CareTeamRule CareTeam { get; }

    private sealed partial class Parser
    {
        private static readonly string[] CareTeamProperties = ["sources", "actions"];

        /// <summary>Optional: absent means off (deny by default). Present: known sources and actions, each once.</summary>
        private CareTeamRule ReadCareTeam(JsonElement root)
        {
            if (!root.TryGetProperty("careTeam", out var obj))
            {
                return CareTeamRule.Off;
            }
            if (obj.ValueKind != JsonValueKind.Object)
            {
                errors.Add("careTeam: must be a JSON object with sources and actions");
                return CareTeamRule.Off;
            }

            CheckProperties(obj, "careTeam", CareTeamProperties);
            var sources = Distinct(ReadStrings(obj, "sources", "careTeam"), "careTeam.sources",
                [CareTeamRule.EstablishmentGrantSource, CareTeamRule.AccompanimentSource]);
            var actions = Distinct(ReadStrings(obj, "actions", "careTeam"), "careTeam.actions", ["read", "create"]);
            if (actions.Contains("create") && !actions.Contains("read"))
            {
                errors.Add("careTeam.actions: 'create' needs 'read' (a care team that deposits also sees the vault)");
            }

            return new CareTeamRule(
                sources.Contains(CareTeamRule.EstablishmentGrantSource),
                sources.Contains(CareTeamRule.AccompanimentSource),
                actions.Contains("read"),
                actions.Contains("create"));
        }

        private HashSet<string> Distinct(List<string>? values, string path, string[] known)
        {
            var result = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < (values?.Count ?? 0); i++)
            {
                var value = values![i];
                if (Array.IndexOf(known, value) < 0)
                {
                    errors.Add($"{path}[{i}]: unknown value '{value}' (expected {string.Join(", ", known)})");
                }
                else if (!result.Add(value))
                {
                    errors.Add($"{path}[{i}]: '{value}' is listed twice");
                }
            }

            return result;
        }
    }
}
