using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Text;

namespace Coffre.Domain.Directory;

/// <summary>
/// The one validation path of the directory: every way of registering (the single mutations, the CSV import, its HTTP
/// upload, the bulk mutation) and the professional and establishment grains ask these rules, which answer with the first
/// broken one, naming its field (<see cref="DirectoryViolation"/>). Identifiers are checked by <see cref="Rpps"/>,
/// <see cref="CoffreProfessionalId"/> and <see cref="Finess"/> (check digits), postal codes by <see cref="Departement"/>,
/// human-readable text by <see cref="TextRules"/>.
/// </summary>
public static class DirectoryRules
{
    public const int MaxNameLength = 200;
    public const int MaxCategoryLength = 8;
    public const int MaxProfessionCodeLength = 16;
    public const int MaxTownLength = 100;
    public const int MaxRoleLength = 100;
    public const int MaxMemberships = 20;

    /// <summary>An establishment row. <paramref name="partOfField"/> names the parent's field as the caller's input spells it.</summary>
    public static DirectoryViolation? Establishment(EstablishmentEntry entry, string partOfField = "partOf")
    {
        if (Finess.Validate(entry.Finess) is { } finessRule)
        {
            return new("finess", finessRule);
        }
        if (Text("name", entry.Name, MaxNameLength) is { } name)
        {
            return name;
        }
        if (string.IsNullOrWhiteSpace(entry.CategoryCode) || entry.CategoryCode.Length > MaxCategoryLength)
        {
            return new("categoryCode", $"must be 1 to {MaxCategoryLength} characters");
        }
        if (!entry.CategoryCode.All(char.IsAsciiLetterOrDigit))
        {
            return new("categoryCode", "must be letters or digits");
        }
        if (entry.Site)
        {
            if (entry.PartOf is null || Finess.Validate(entry.PartOf) is not null)
            {
                return new(partOfField, "a site must name its legal entity's valid FINESS" + (entry.PartOf is null ? "" : $" ({Finess.Validate(entry.PartOf)})"));
            }
            if (entry.PartOf == entry.Finess)
            {
                return new(partOfField, "a site cannot be its own legal entity");
            }
        }
        else if (entry.PartOf is not null)
        {
            return new(partOfField, "a legal entity has no parent");
        }
        if (entry.PostalCode is { } postalCode && Departement.ValidatePostalCode(postalCode) is { } postalRule)
        {
            return new("postalCode", postalRule);
        }
        return entry.Town is null ? null : Text("town", entry.Town, MaxTownLength);
    }

    /// <summary>A professional row: identifier (check digit), fields, then each membership.</summary>
    public static DirectoryViolation? Professional(ProfessionalEntry entry, HabilitationMatrix matrix, string identifierField = "identifier")
    {
        if (Rpps.Validate(entry.Identifier) is { } idRule)
        {
            return new(identifierField, idRule);
        }
        return ProfessionalFields(entry.DisplayName, entry.ProfessionCode, entry.Sector, matrix) ?? Memberships(entry.Memberships);
    }

    /// <summary>Display name, profession (a code of the matrix) and sector (the profession's, as the matrix says).</summary>
    public static DirectoryViolation? ProfessionalFields(string displayName, string professionCode, ProfessionSector sector, HabilitationMatrix matrix)
    {
        if (Text("displayName", displayName, MaxNameLength) is { } name)
        {
            return name;
        }
        if (string.IsNullOrWhiteSpace(professionCode) || professionCode.Length > MaxProfessionCodeLength)
        {
            return new("professionCode", $"must be 1 to {MaxProfessionCodeLength} characters");
        }
        if (!matrix.TryGetProfession(professionCode.Trim(), out var profession))
        {
            return new("professionCode", $"is not a profession of the habilitation matrix ({string.Join(", ", matrix.Professions.Select(p => p.Code))})");
        }
        return profession.Sector == sector ? null : new("sector", $"must be the profession's sector in the habilitation matrix ({profession.Sector})");
    }

    /// <summary>A professional's memberships: at most <see cref="MaxMemberships"/>, one per establishment, each valid.</summary>
    public static DirectoryViolation? Memberships(IReadOnlyList<MembershipTerms> memberships)
    {
        if (memberships.Count > MaxMemberships)
        {
            return new("memberships", $"must list at most {MaxMemberships} establishments");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < memberships.Count; i++)
        {
            if (Membership(memberships[i], $"memberships[{i}].") is { } violation)
            {
                return violation;
            }
            if (!seen.Add(memberships[i].Finess))
            {
                return new($"memberships[{i}].finess", "names an establishment listed twice");
            }
        }
        return null;
    }

    /// <summary>One membership; <paramref name="prefix"/> prefixes the field names (<c>memberships[0].</c>, or none for a single mutation).</summary>
    public static DirectoryViolation? Membership(MembershipTerms membership, string prefix = "")
    {
        if (Finess.Validate(membership.Finess) is { } finessRule)
        {
            return new(prefix + "finess", finessRule);
        }
        if (membership.Role is { } role && Text(prefix + "role", role, MaxRoleLength) is { } roleViolation)
        {
            return roleViolation;
        }
        return membership is { Start: { } start, End: { } end } && end <= start
            ? new(prefix + "endsAt", "must be after startsAt")
            : null;
    }

    /// <summary>The most rows (establishments and professionals together) of one bulk request.</summary>
    public const int MaxBulkRows = 500;

    /// <summary>A bulk request: an idempotency key of 1 to 64 of <c>[A-Za-z0-9._-]</c>, at most <see cref="MaxBulkRows"/> rows.</summary>
    public static DirectoryViolation? BulkRequest(string? idempotencyKey, int establishments, int professionals)
    {
        if (idempotencyKey is not { Length: >= 1 and <= 64 } || !idempotencyKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            return new("idempotencyKey", "must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
        }
        if (establishments + professionals > MaxBulkRows)
        {
            return new(establishments > MaxBulkRows ? "establishments" : "professionals",
                $"a request holds at most {MaxBulkRows} rows (establishments and professionals together; found {establishments + professionals}): split it");
        }
        return null;
    }

    private static DirectoryViolation? Text(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Trim().Length > maxLength)
        {
            return new(field, $"must be 1 to {maxLength} characters");
        }
        return TextRules.Validate(value) is { } rule ? new(field, rule) : null;
    }
}
