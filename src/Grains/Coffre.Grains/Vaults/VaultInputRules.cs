using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Text;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The checks of what callers send a vault, as pure functions of their input (and the matrix, limits and clock they
/// are given): each throws <see cref="ValidationFailedException"/> naming the field and the rule.
/// </summary>
public static class VaultInputRules
{
    /// <summary>A new document's metadata; <paramref name="remainingQuota"/> is null before the vault exists.</summary>
    public static void NewDocument(NewDocument document, HabilitationMatrix matrix, VaultOptions limits, long? remainingQuota)
    {
        if (string.IsNullOrWhiteSpace(document.Title) || document.Title.Length > 200)
        {
            throw new ValidationFailedException("title", "must be 1 to 200 characters");
        }
        if (TextRules.Validate(document.Title) is { } titleRule)
        {
            throw new ValidationFailedException("title", titleRule);
        }
        if (!matrix.IsKnownType(document.TypeCode))
        {
            throw new ValidationFailedException("typeCode", "is not a document type of the habilitation matrix (JDV_J07)");
        }
        if (Coffre.Domain.Profile.ProfileSections.FromTypeCode(document.TypeCode) is not null)
        {
            throw new ValidationFailedException("typeCode", "is a medical profile section, not a document type: add a profile entry (addProfileEntry) instead");
        }
        if (!matrix.IsValidClassFor(document.TypeCode, document.ClassCode))
        {
            throw new ValidationFailedException("classCode", $"is not a class (TRE_A03) allowed for type {document.TypeCode}");
        }
        if (!limits.AllowedContentTypes.Contains(document.ContentType, StringComparer.OrdinalIgnoreCase))
        {
            throw new ValidationFailedException("contentType", $"must be one of {string.Join(", ", limits.AllowedContentTypes)}");
        }
        if (Sha256Hex.Normalise(document.Sha256) is null)
        {
            throw new ValidationFailedException("sha256", "must be 64 hexadecimal characters");
        }
        if (document.Size <= 0 || document.Size > limits.MaxDocumentBytes)
        {
            throw new ValidationFailedException("size", $"must be between 1 and {limits.MaxDocumentBytes} bytes");
        }
        if (remainingQuota is { } remaining && document.Size > remaining)
        {
            throw new ValidationFailedException("size", $"exceeds the vault's remaining quota of {remaining} bytes", ErrorCodes.QuotaExceeded);
        }
    }

    /// <summary>Who a new document is by, as the person's history shows it.</summary>
    public static Author AuthorOf(Caller caller, VaultAccessState access, string vaultId, DateTimeOffset now) => caller.Kind switch
    {
        CallerKind.Professional when access.Referents.Any(r => r.Rpps == caller.Rpps && r.IsActive(now)) => new Author(AuthorKind.Referent, caller.Rpps!, caller.EstablishmentFiness),
        CallerKind.Professional => new Author(AuthorKind.Professional, caller.Rpps!, caller.EstablishmentFiness),
        CallerKind.Patient when caller.VaultId == vaultId => new Author(AuthorKind.Person, caller.Subject),
        CallerKind.Patient when !AccessEvaluator.IsEffectiveRepresentative(access, caller.VaultId, now)
            && access.CarerDelegations.Any(d => d.CarerVaultId == caller.VaultId && d.IsActive(now)) => new Author(AuthorKind.Carer, caller.Subject),
        CallerKind.Patient => new Author(AuthorKind.Representative, caller.Subject),
        CallerKind.Establishment => new Author(AuthorKind.System, caller.Subject, caller.EstablishmentFiness),
        CallerKind.App => new Author(AuthorKind.App, AuditEvents.ActorId(caller)),
        _ => new Author(AuthorKind.System, AuditEvents.ActorId(caller)),
    };

    /// <summary>A recorded consent, as stored, recorded by <paramref name="actorId"/> at <paramref name="now"/>.</summary>
    public static Consent Consent(ConsentRecord record, string actorId, DateTimeOffset now, HabilitationMatrix matrix)
    {
        if (record.ExpiresAt <= now || record.ExpiresAt > now.AddYears(3))
        {
            throw new ValidationFailedException("consent.expiresAt", "must be in the future and at most 3 years ahead");
        }
        if (record.Method is ConsentMethod.SignedPaper or ConsentMethod.OralWitnessed && string.IsNullOrWhiteSpace(record.Evidence))
        {
            throw new ValidationFailedException("consent.evidence", "must describe the signed form or the witness for paper and oral consent");
        }
        Scope(record.Scope, "consent.scope", matrix);
        return new Consent(actorId, now, record.Method, record.Scope, record.ExpiresAt, record.Evidence?.Trim());
    }

    public static void Scope(DocumentScope scope, string field, HabilitationMatrix matrix)
    {
        if (scope.TypeCodes?.FirstOrDefault(t => !matrix.IsKnownType(t)) is { } unknown)
        {
            throw new ValidationFailedException($"{field}.typeCodes", $"contains unknown type {unknown}");
        }
    }

    public static void Grantee(GranteeKind kind, string grantee)
    {
        var rule = kind == GranteeKind.Professional ? Rpps.Validate(grantee) : Finess.Validate(grantee);
        if (rule is not null)
        {
            throw new ValidationFailedException(kind == GranteeKind.Professional ? "rpps" : "finess", rule);
        }
    }

    /// <summary>A person's identity traits; a birth date after <paramref name="today"/> is refused.</summary>
    public static void Identity(IdentityTraits identity, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(identity.FamilyName) || identity.FamilyName.Length > 100)
        {
            throw new ValidationFailedException("identity.familyName", "must be 1 to 100 characters");
        }
        if (string.IsNullOrWhiteSpace(identity.GivenNames) || identity.GivenNames.Length > 100)
        {
            throw new ValidationFailedException("identity.givenNames", "must be 1 to 100 characters");
        }
        foreach (var (field, value) in new[] { ("identity.familyName", identity.FamilyName), ("identity.givenNames", identity.GivenNames), ("identity.usualName", identity.UsualName) })
        {
            if (TextRules.Validate(value) is { } rule)
            {
                throw new ValidationFailedException(field, rule);
            }
        }
        if (identity.UsualName is { Length: > 100 })
        {
            throw new ValidationFailedException("identity.usualName", "must be at most 100 characters");
        }
        if (identity.BirthDate < new DateOnly(1890, 1, 1) || identity.BirthDate > today)
        {
            throw new ValidationFailedException("identity.birthDate", "must be a real date in the past");
        }
    }
}
