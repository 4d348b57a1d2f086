using System.Globalization;
using System.Text;
using Coffre.Domain.Access;

namespace Coffre.Domain.Directory;

/// <summary>
/// The directory's list files: UTF-8 CSV, <c>;</c>-separated, one header line (exactly <see cref="EstablishmentsHeader"/>
/// or <see cref="ProfessionalsHeader"/>), then one record per line; no quoting (a field contains neither <c>;</c>,
/// <c>"</c> nor a line break, as in the population file). Empty optional fields are empty.
/// <list type="bullet">
/// <item>Establishments: <c>kind</c> is <c>LEGAL_ENTITY</c> or <c>SITE</c>; <c>part_of</c> the legal entity's FINESS for a
/// site (empty for a legal entity); <c>sector</c> <c>HEALTH</c>, <c>SOCIAL</c> or <c>MEDICO_SOCIAL</c>.</item>
/// <item>Professionals: <c>identifier</c> RPPS (11 digits), ADELI (9) or Coffre identifier (99…); <c>memberships</c>
/// is the whole list of the professional's memberships, separated by <c>|</c>, each <c>finess,role,start,end,admin</c>:
/// role free text without <c>,</c> or <c>|</c> (may be empty), start and end dates <c>YYYY-MM-DD</c> (UTC midnight) or
/// ISO 8601 instants (may be empty: open), admin <c>admin</c> or empty. An empty column: no membership.</item>
/// </list>
/// This class reads the syntax; the rules (check digits, matrix, lengths) are <see cref="DirectoryRules"/>'.
/// </summary>
public static class DirectoryCsv
{
    public const string EstablishmentsHeader = "finess;name;kind;part_of;category_code;sector;town;postal_code";
    public const string ProfessionalsHeader = "identifier;display_name;profession_code;sector;memberships";
    public const string ReportHeader = "line;key;outcome;field;rule";
    public const string NoQuotingRule = "must not contain '\"' (the file has no quoting)";

    private static readonly string[] EstablishmentFields = EstablishmentsHeader.Split(';');
    private static readonly string[] ProfessionalFields = ProfessionalsHeader.Split(';');

    public static string HeaderOf(DirectoryEntryKind kind) => kind == DirectoryEntryKind.Establishment ? EstablishmentsHeader : ProfessionalsHeader;

    /// <summary>Null when <paramref name="line"/> (BOM removed) is the kind's header, else the rule.</summary>
    public static string? CheckHeader(DirectoryEntryKind kind, string? line)
    {
        var header = line?.TrimStart('\uFEFF').TrimEnd('\r');
        return header == HeaderOf(kind) ? null : $"line 1 must be the header '{HeaderOf(kind)}'";
    }

    /// <summary>One data line: the entry and its key, or the key (first field) and the broken rule.</summary>
    public static (object? Entry, string Key, DirectoryViolation? Violation) Parse(DirectoryEntryKind kind, string text)
    {
        text = text.TrimEnd('\r');
        var fields = text.Split(';');
        var key = fields[0].Trim();
        var names = kind == DirectoryEntryKind.Establishment ? EstablishmentFields : ProfessionalFields;
        if (fields.Length != names.Length)
        {
            return (null, key, new("line", $"must have {names.Length} ';'-separated fields, found {fields.Length} (fields cannot contain ';': the file has no quoting)"));
        }
        for (var i = 0; i < fields.Length; i++)
        {
            if (fields[i].Contains('"', StringComparison.Ordinal))
            {
                return (null, key, new(CamelCase(names[i]), NoQuotingRule));
            }
        }
        try
        {
            return (kind == DirectoryEntryKind.Establishment ? ParseEstablishment(fields) : ParseProfessional(fields), key, null);
        }
        catch (ValidationFailedException e)
        {
            return (null, key, new(e.Field, e.Rule, e.Code));
        }
    }

    private static EstablishmentEntry ParseEstablishment(string[] f)
    {
        var site = f[2].Trim() switch
        {
            "LEGAL_ENTITY" => false,
            "SITE" => true,
            _ => throw new ValidationFailedException("kind", "must be LEGAL_ENTITY or SITE"),
        };
        return new EstablishmentEntry(f[0].Trim(), f[1].Trim(), site, Optional(f[3]), f[4].Trim(), Sector(f[5]), Optional(f[6]), Optional(f[7]));
    }

    private static ProfessionalEntry ParseProfessional(string[] f)
    {
        var memberships = new List<MembershipTerms>();
        if (!string.IsNullOrWhiteSpace(f[4]))
        {
            var items = f[4].Split('|');
            for (var i = 0; i < items.Length; i++)
            {
                var prefix = $"memberships[{i}].";
                var parts = items[i].Split(',');
                if (parts.Length != 5)
                {
                    throw new ValidationFailedException($"memberships[{i}]", $"must be 'finess,role,start,end,admin' (5 ','-separated parts, found {parts.Length}; a role cannot contain ',' or '|')");
                }
                var admin = parts[4].Trim() switch
                {
                    "" => false,
                    "admin" => true,
                    _ => throw new ValidationFailedException(prefix + "admin", "must be 'admin' or empty"),
                };
                memberships.Add(new MembershipTerms(parts[0].Trim(), Optional(parts[1]), Date(parts[2], prefix + "startsAt"), Date(parts[3], prefix + "endsAt"), admin));
            }
        }
        return new ProfessionalEntry(f[0].Trim(), f[1].Trim(), f[2].Trim(), Sector(f[3]), memberships);
    }

    /// <summary>One establishment line (no line break).</summary>
    public static string Format(EstablishmentEntry e) => string.Join(';',
        Field(e.Finess), Field(e.Name), e.Site ? "SITE" : "LEGAL_ENTITY", Field(e.PartOf), Field(e.CategoryCode), SectorName(e.Sector), Field(e.Town), Field(e.PostalCode));

    /// <summary>One professional line (no line break).</summary>
    public static string Format(ProfessionalEntry p) => string.Join(';',
        Field(p.Identifier), Field(p.DisplayName), Field(p.ProfessionCode), SectorName(p.Sector),
        string.Join('|', p.Memberships.Select(m => string.Join(',', Field(m.Finess), Part(m.Role), Date(m.Start), Date(m.End), m.Admin ? "admin" : ""))));

    /// <summary>A report line: <c>line;key;outcome;field;rule</c>, the rule quoted (RFC 4180) when it needs it.</summary>
    public static string FormatReport(long line, DirectoryRowResult result) => string.Join(';',
        line.ToString(CultureInfo.InvariantCulture), Quote(result.Key), OutcomeName(result.Outcome), Quote(result.Field ?? ""), Quote(result.Rule ?? ""));

    public static string OutcomeName(DirectoryOutcome outcome) => outcome switch
    {
        DirectoryOutcome.Accepted => "ACCEPTED",
        DirectoryOutcome.Updated => "UPDATED",
        DirectoryOutcome.Unchanged => "UNCHANGED",
        _ => "REJECTED",
    };

    public static string SectorName(ProfessionSector sector) => sector switch
    {
        ProfessionSector.Health => "HEALTH",
        ProfessionSector.Social => "SOCIAL",
        _ => "MEDICO_SOCIAL",
    };

    private static ProfessionSector Sector(string value) => value.Trim() switch
    {
        "HEALTH" => ProfessionSector.Health,
        "SOCIAL" => ProfessionSector.Social,
        "MEDICO_SOCIAL" => ProfessionSector.MedicoSocial,
        _ => throw new ValidationFailedException("sector", "must be HEALTH, SOCIAL or MEDICO_SOCIAL"),
    };

    private static DateTimeOffset? Date(string value, string field)
    {
        value = value.Trim();
        if (value.Length == 0)
        {
            return null;
        }
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) && value.Contains('T', StringComparison.Ordinal)
            ? instant.ToUniversalTime()
            : throw new ValidationFailedException(field, "must be a date YYYY-MM-DD or an ISO 8601 instant");
    }

    private static string Date(DateTimeOffset? value) => value is not { } v ? ""
        : v.UtcDateTime.TimeOfDay == TimeSpan.Zero ? v.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
        : v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string? Optional(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Field(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(";\"\r\n") < 0 ? value : throw new ArgumentException("a directory field cannot contain ';', '\"' or a line break", nameof(value));

    private static string Part(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(",|") < 0 ? Field(value) : throw new ArgumentException("a role cannot contain ',' or '|'", nameof(value));

    private static string Quote(string value)
    {
        if (value.AsSpan().IndexOfAny(";\"\r\n") < 0)
        {
            return value;
        }
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            builder.Append(c == '"' ? "\"\"" : c is '\r' or '\n' ? " " : c.ToString());
        }
        return builder.Append('"').ToString();
    }

    private static string CamelCase(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
