using System.Buffers;
using System.Globalization;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;

namespace Coffre.Domain.Rollout;

/// <summary>
/// The population file: UTF-8 CSV, ';'-separated, one header line, then one person per line:
/// <c>nir;birth_date;family_name;given_names;sex;email;address_line1;address_line2;postal_code;city;vitale_serial;representative_nirs</c>
/// (birth_date as yyyy-MM-dd, sex F/M/U, representative_nirs ','-separated NIRs of a minor's legal representatives).
/// </summary>
/// <remarks>
/// <para>
/// There is no CSV quoting: a field can contain neither ';' nor a line break, and a '"' anywhere is rejected (it means
/// the file was exported with quoting, which this format does not read). <see cref="Format"/> refuses such values.
/// </para>
/// <para>
/// Rules, checked in column order, the first broken one reported (<see cref="RowError.Field"/> is the column name,
/// "line" for the column count, "header" for the first line):
/// nir — <see cref="Nir.Validate"/>; birth_date — yyyy-MM-dd, from 1890-01-01 to today, and when the NIR's month
/// (digits 4–5) is 01–12 its year (digits 2–3, mod 100) and month must match; family_name, given_names — required,
/// at most 100 characters, no control characters; sex — F, M or U, and F/M must match the NIR's first digit
/// (1, 3, 7 male; 2, 4, 8 female); email — optional, at most 254 characters, <c>local@domain.tld</c> with an ASCII
/// dot-atom local part (≤ 64) and LDH domain labels; address — optional as a whole, but when any of its four fields
/// is given, address_line1, postal_code (5 digits) and city are required (lines and city ≤ 100 characters, no control
/// characters); vitale_serial — optional, 8 to 20 digits; representative_nirs — optional, ','-separated valid NIRs,
/// no empty entry, no duplicate, never the person's own NIR.
/// </para>
/// <para>NIRs are stored normalised (<see cref="Nir.Normalise"/>); an empty optional field becomes null.</para>
/// </remarks>
public static class PopulationCsv
{
    public const string Header = "nir;birth_date;family_name;given_names;sex;email;address_line1;address_line2;postal_code;city;vitale_serial;representative_nirs";

    public const int FieldCount = 12;
    public const int MaxNameLength = 100;
    public const int MaxEmailLength = 254;

    /// <summary>The earliest birth date accepted.</summary>
    public static readonly DateOnly EarliestBirthDate = new(1890, 1, 1);

    public const string NoQuotingRule = "must not contain ';', '\"' or a line break (the file has no quoting)";

    private static readonly string[] FieldNames = Header.Split(';');
    private static readonly SearchValues<char> Forbidden = SearchValues.Create(";\"\r\n");
    private static readonly SearchValues<char> ForbiddenInField = SearchValues.Create("\"\r\n");

    /// <summary>Parses and validates lines after the header, skipping the first <paramref name="skipLines"/> data lines (resume).</summary>
    /// <remarks>
    /// Streams: one line is read at a time. A missing or different header yields one error on line 0, field "header",
    /// and ends the sequence. Empty lines at the end of the file are ignored; an empty line followed by data is an
    /// error (field "line"). Skipped lines are not validated but still count for line numbers.
    /// </remarks>
    public static IEnumerable<ParsedRow> Read(TextReader reader, long skipLines = 0, DateOnly? today = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(skipLines);
        return ReadCore(reader, skipLines, today ?? DateOnly.FromDateTime(DateTime.UtcNow));
    }

    private static IEnumerable<ParsedRow> ReadCore(TextReader reader, long skipLines, DateOnly today)
    {
        var header = reader.ReadLine();
        if (header is null)
        {
            yield return Fail(0, "header", "is missing (the file is empty)");
            yield break;
        }
        if (header.Length > 0 && header[0] == '\uFEFF')
        {
            header = header[1..];
        }
        if (!string.Equals(header, Header, StringComparison.Ordinal))
        {
            yield return Fail(0, "header", "must be exactly '" + Header + "'");
            yield break;
        }
        long line = 0;
        long pendingEmpty = 0;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            if (line <= skipLines)
            {
                continue;
            }
            if (text.Length == 0)
            {
                pendingEmpty++;
                continue;
            }
            for (var empty = line - pendingEmpty; empty < line; empty++)
            {
                yield return Fail(empty, "line", "is empty");
            }
            pendingEmpty = 0;
            yield return ParseLine(line, text, today);
        }
    }

    /// <summary>Validates one data line (without its line break).</summary>
    public static ParsedRow ParseLine(long line, string text, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan();
        var separators = span.Count(';');
        if (separators != FieldCount - 1)
        {
            return Fail(line, "line", $"must have {FieldCount} ';'-separated fields, found {separators + 1} (fields cannot contain ';': the file has no quoting)");
        }
        Span<Range> ranges = stackalloc Range[FieldCount];
        span.Split(ranges, ';');
        for (var i = 0; i < FieldCount; i++)
        {
            var field = span[ranges[i]];
            if (field.IndexOfAny(ForbiddenInField) >= 0)
            {
                return Fail(line, FieldNames[i], NoQuotingRule);
            }
        }

        // nir
        var nirText = span[ranges[0]].ToString();
        if (Nir.Validate(nirText) is { } nirRule)
        {
            return Fail(line, "nir", nirRule);
        }
        var nir = Nir.Normalise(nirText);

        // birth_date
        if (!DateOnly.TryParseExact(span[ranges[1]], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthDate))
        {
            return Fail(line, "birth_date", "must be a date as yyyy-MM-dd");
        }
        if (birthDate > today)
        {
            return Fail(line, "birth_date", "must not be in the future");
        }
        if (birthDate < EarliestBirthDate)
        {
            return Fail(line, "birth_date", "must not be before 1890-01-01");
        }
        var nirMonth = ((nir[3] - '0') * 10) + (nir[4] - '0');
        var nirYear = ((nir[1] - '0') * 10) + (nir[2] - '0');
        if (nirMonth is >= 1 and <= 12 && (birthDate.Month != nirMonth || birthDate.Year % 100 != nirYear))
        {
            return Fail(line, "birth_date", "does not match the NIR's birth year and month (digits 2 to 5)");
        }

        // family_name, given_names
        if (TextRule(span[ranges[2]], required: true) is { } familyRule)
        {
            return Fail(line, "family_name", familyRule);
        }
        if (TextRule(span[ranges[3]], required: true) is { } givenRule)
        {
            return Fail(line, "given_names", givenRule);
        }

        // sex
        var sexField = span[ranges[4]];
        if (sexField.Length != 1 || sexField[0] is not ('F' or 'M' or 'U'))
        {
            return Fail(line, "sex", "must be F, M or U");
        }
        var sex = sexField[0] switch { 'F' => Sex.Female, 'M' => Sex.Male, _ => Sex.Unknown };
        var nirSex = nir[0] switch { '1' or '3' or '7' => Sex.Male, '2' or '4' or '8' => Sex.Female, _ => Sex.Unknown };
        if (sex != Sex.Unknown && nirSex != Sex.Unknown && sex != nirSex)
        {
            return Fail(line, "sex", "does not match the NIR's sex digit (1, 3, 7 male; 2, 4, 8 female)");
        }

        // email
        var emailField = span[ranges[5]];
        if (EmailRule(emailField) is { } emailRule)
        {
            return Fail(line, "email", emailRule);
        }

        // address
        var line1 = span[ranges[6]];
        var line2 = span[ranges[7]];
        var postalCode = span[ranges[8]];
        var city = span[ranges[9]];
        PostalAddress? address = null;
        if (!line1.IsEmpty || !line2.IsEmpty || !postalCode.IsEmpty || !city.IsEmpty)
        {
            if (TextRule(line1, required: true) is { } line1Rule)
            {
                return Fail(line, "address_line1", line1Rule == "is required" ? "is required when an address is given" : line1Rule);
            }
            if (TextRule(line2, required: false) is { } line2Rule)
            {
                return Fail(line, "address_line2", line2Rule);
            }
            if (postalCode.IsEmpty)
            {
                return Fail(line, "postal_code", "is required when an address is given");
            }
            if (postalCode.Length != 5 || !IsDigits(postalCode))
            {
                return Fail(line, "postal_code", "must be 5 digits");
            }
            if (TextRule(city, required: true) is { } cityRule)
            {
                return Fail(line, "city", cityRule == "is required" ? "is required when an address is given" : cityRule);
            }
            address = new PostalAddress(line1.ToString(), line2.IsWhiteSpace() ? null : line2.ToString(), postalCode.ToString(), city.ToString());
        }

        // vitale_serial
        var vitale = span[ranges[10]];
        if (!vitale.IsEmpty && (vitale.Length is < 8 or > 20 || !IsDigits(vitale)))
        {
            return Fail(line, "vitale_serial", "must be 8 to 20 digits");
        }

        // representative_nirs
        var representativesField = span[ranges[11]];
        IReadOnlyList<string> representatives = [];
        if (!representativesField.IsEmpty)
        {
            var list = new List<string>(2);
            foreach (var range in representativesField.Split(','))
            {
                var entry = representativesField[range];
                if (entry.IsWhiteSpace())
                {
                    return Fail(line, "representative_nirs", "must be ','-separated NIRs without empty entries");
                }
                var entryText = entry.ToString();
                if (Nir.Validate(entryText) is { } representativeRule)
                {
                    return Fail(line, "representative_nirs", "contains a NIR that " + representativeRule);
                }
                var normalised = Nir.Normalise(entryText);
                if (normalised == nir)
                {
                    return Fail(line, "representative_nirs", "must not contain the person's own NIR");
                }
                if (list.Contains(normalised))
                {
                    return Fail(line, "representative_nirs", "must not list the same NIR twice");
                }
                list.Add(normalised);
            }
            representatives = list;
        }

        var record = new PersonRecord(
            nir,
            birthDate,
            span[ranges[2]].ToString(),
            span[ranges[3]].ToString(),
            sex,
            emailField.IsEmpty ? null : emailField.ToString(),
            address,
            vitale.IsEmpty ? null : vitale.ToString(),
            representatives);
        return new ParsedRow(line, record, null);
    }

    /// <summary>Writes one record as a line (no line break), the inverse of <see cref="ParseLine"/>.</summary>
    /// <exception cref="ArgumentException">A field contains ';', '"' or a line break, or a representative NIR contains ','.</exception>
    public static string Format(PersonRecord person)
    {
        ArgumentNullException.ThrowIfNull(person);
        Check(person.Nir, "nir");
        Check(person.FamilyName, "family_name");
        Check(person.GivenNames, "given_names");
        Check(person.Email, "email");
        Check(person.Address?.Line1, "address_line1");
        Check(person.Address?.Line2, "address_line2");
        Check(person.Address?.PostalCode, "postal_code");
        Check(person.Address?.City, "city");
        Check(person.VitaleSerial, "vitale_serial");
        foreach (var representative in person.RepresentativeNirs)
        {
            Check(representative, "representative_nirs");
            if (representative.Contains(',', StringComparison.Ordinal))
            {
                throw new ArgumentException("A representative NIR must not contain ','.", nameof(person));
            }
        }
        var address = person.Address;
        return string.Create(CultureInfo.InvariantCulture,
            $"{person.Nir};{person.BirthDate:yyyy-MM-dd};{person.FamilyName};{person.GivenNames};{SexSymbol(person.Sex)};{person.Email};{address?.Line1};{address?.Line2};{address?.PostalCode};{address?.City};{person.VitaleSerial};{string.Join(',', person.RepresentativeNirs)}");
    }

    /// <summary>F, M or U.</summary>
    public static char SexSymbol(Sex sex) => sex switch
    {
        Sex.Female => 'F',
        Sex.Male => 'M',
        _ => 'U',
    };

    private static void Check(string? value, string field)
    {
        if (value is not null && value.AsSpan().IndexOfAny(Forbidden) >= 0)
        {
            throw new ArgumentException($"Field {field} {NoQuotingRule}.", field);
        }
    }

    private static ParsedRow Fail(long line, string field, string rule) => new(line, null, new RowError(line, field, rule));

    private static string? TextRule(ReadOnlySpan<char> value, bool required)
    {
        if (value.IsWhiteSpace())
        {
            return required ? "is required" : null;
        }
        if (value.Length > MaxNameLength)
        {
            return "must be at most 100 characters";
        }
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return "must not contain control characters";
            }
        }
        // Names and addresses follow the one text rule (no bidirectional overrides or other format characters).
        return Text.TextRules.Validate(value);
    }

    private static bool IsDigits(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    private const string EmailSyntaxRule = "must be an email address (local@domain.tld)";

    private static string? EmailRule(ReadOnlySpan<char> email)
    {
        if (email.IsEmpty)
        {
            return null;
        }
        if (email.Length > MaxEmailLength)
        {
            return "must be at most 254 characters";
        }
        var at = email.IndexOf('@');
        if (at <= 0 || at > 64 || email.LastIndexOf('@') != at)
        {
            return EmailSyntaxRule;
        }
        var local = email[..at];
        var domain = email[(at + 1)..];
        if (local[0] == '.' || local[^1] == '.' || local.IndexOf("..") >= 0)
        {
            return EmailSyntaxRule;
        }
        foreach (var c in local)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~.".Contains(c)))
            {
                return EmailSyntaxRule;
            }
        }
        var labels = 0;
        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.IsEmpty || label.Length > 63 || label[0] == '-' || label[^1] == '-')
            {
                return EmailSyntaxRule;
            }
            foreach (var c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    return EmailSyntaxRule;
                }
            }
            labels++;
        }
        var tld = domain[(domain.LastIndexOf('.') + 1)..];
        if (labels < 2 || tld.Length < 2 || IsDigits(tld))
        {
            return EmailSyntaxRule;
        }
        return null;
    }
}
