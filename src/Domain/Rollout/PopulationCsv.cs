namespace Coffre.Domain.Rollout;

/// <summary>
/// The population file: UTF-8 CSV, ';'-separated, one header line, then one person per line:
/// <c>nir;birth_date;family_name;given_names;sex;email;address_line1;address_line2;postal_code;city;vitale_serial;representative_nirs</c>
/// (birth_date as yyyy-MM-dd, sex F/M/U, representative_nirs ','-separated NIRs of a minor's legal representatives).
/// </summary>
public static class PopulationCsv
{
    public const string Header = "nir;birth_date;family_name;given_names;sex;email;address_line1;address_line2;postal_code;city;vitale_serial;representative_nirs";

    /// <summary>Parses and validates lines after the header, skipping the first <paramref name="skipLines"/> data lines (resume).</summary>
    public static IEnumerable<ParsedRow> Read(TextReader reader, long skipLines = 0, DateOnly? today = null) => throw new NotImplementedException();

    /// <summary>Validates one data line (without its line break).</summary>
    public static ParsedRow ParseLine(long line, string text, DateOnly today) => throw new NotImplementedException();

    /// <summary>Writes one record as a line (no line break), the inverse of <see cref="ParseLine"/>.</summary>
    public static string Format(PersonRecord person) => throw new NotImplementedException();
}
