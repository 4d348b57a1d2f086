using Coffre.Domain.Documents;

namespace Coffre.Domain.Rollout;

/// <summary>One person of the population file, validated (the NIR still in clear: it is hashed before storage).</summary>
public sealed record PersonRecord(
    string Nir,
    DateOnly BirthDate,
    string FamilyName,
    string GivenNames,
    Sex Sex,
    string? Email,
    PostalAddress? Address,
    string? VitaleSerial,
    IReadOnlyList<string> RepresentativeNirs);

/// <summary>A postal address block, as printed on a letter.</summary>
public sealed record PostalAddress(string Line1, string? Line2, string PostalCode, string City)
{
    /// <summary>The département from the postal code (2A/2B for Corsica, 3 digits overseas).</summary>
    public string Departement => PostalCode switch
    {
        ['9', '7', var c, ..] => "97" + c,
        ['2', '0', var c, ..] => c < '2' ? "2A" : "2B",
        [var a, var b, ..] => $"{a}{b}",
        _ => "",
    };
}

/// <summary>A row of the population file that broke a rule: line number (1 = first data line after the header), field, rule.</summary>
public sealed record RowError(long Line, string Field, string Rule);

/// <summary>A parsed line: either a record or an error.</summary>
public readonly record struct ParsedRow(long Line, PersonRecord? Record, RowError? Error);
