using Coffre.Application.Fhir;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Hl7.Fhir.Model;
using FhirAuditEvent = Hl7.Fhir.Model.AuditEvent;
using FhirConsent = Hl7.Fhir.Model.Consent;
using DomainConsent = Coffre.Domain.Vaults.Consent;

namespace Coffre.Adapters.Fhir;

/// <summary>Coffre's records as FHIR R4 resources (pure mapping; serialisation is <see cref="FhirMapper"/>'s).</summary>
internal static class FhirResources
{
    public static ResourceReference PatientRef(string vaultId) => new($"Patient/{vaultId}");

    public static Patient Patient(string vaultId, IdentityTraits? identity)
    {
        var patient = new Patient
        {
            Id = vaultId,
            Identifier = [new Identifier(FhirCodes.VaultIdSystem, vaultId)],
        };
        if (identity is not null)
        {
            var name = new HumanName { Use = HumanName.NameUse.Official, Family = identity.FamilyName, Given = identity.GivenNames.Split(' ', StringSplitOptions.RemoveEmptyEntries) };
            patient.Name = [name];
            if (!string.IsNullOrWhiteSpace(identity.UsualName))
            {
                patient.Name.Add(new HumanName { Use = HumanName.NameUse.Usual, Family = identity.UsualName });
            }
            patient.BirthDate = identity.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            patient.Gender = identity.Sex switch
            {
                Sex.Female => AdministrativeGender.Female,
                Sex.Male => AdministrativeGender.Male,
                _ => AdministrativeGender.Unknown,
            };
        }
        return patient;
    }

    public static DocumentReference DocumentReference(string vaultId, DocumentEntry document, FhirAttachment attachment)
    {
        var attachmentElement = new Attachment
        {
            ContentType = attachment.ContentType,
            Url = attachment.Url,
            // R4's size is an unsignedInt (R5 made it integer64): set it as such, or the JSON carries a string.
            SizeUnsignedInt = attachment.Size <= int.MaxValue ? (int)attachment.Size : null,
            Title = document.Title,
            CreationElement = new FhirDateTime(document.CreatedAt),
            Hash = attachment.Sha1Hex is null ? null : Convert.FromHexString(attachment.Sha1Hex),
        };
        attachmentElement.Extension.Add(new Extension(FhirCodes.Sha256Extension, new FhirString(attachment.Sha256Hex)));
        var reference = new DocumentReference
        {
            Id = document.Id,
            MasterIdentifier = new Identifier(FhirCodes.DocumentIdSystem, document.Id),
            Status = document.ReplacedBy is null ? DocumentReferenceStatus.Current : DocumentReferenceStatus.Superseded,
            DocStatus = CompositionStatus.Final,
            Type = new CodeableConcept(FhirCodes.IsLoinc(document.TypeCode) ? FhirCodes.Loinc : FhirCodes.TypeCodeSystem, document.TypeCode),
            Category = [new CodeableConcept(FhirCodes.ClassCodeSystem, document.ClassCode)],
            Subject = PatientRef(vaultId),
            Date = document.CreatedAt,
            Author = [AuthorOf(vaultId, document.Author)],
            Description = document.Title,
            Content = [new DocumentReference.ContentComponent { Attachment = attachmentElement }],
        };
        if (document.ServiceDate is { } serviceDate)
        {
            reference.Context = new DocumentReference.ContextComponent
            {
                Period = new Period { Start = serviceDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) },
            };
        }
        if (document.Replaces is { } replaced)
        {
            reference.RelatesTo = [new DocumentReference.RelatesToComponent { Code = DocumentRelationshipType.Replaces, Target = new ResourceReference($"DocumentReference/{replaced}") }];
        }
        if (document.SourceFiness is { } finess)
        {
            reference.Custodian = new ResourceReference { Identifier = new Identifier(FhirCodes.FinessSystem, finess), Display = document.SenderName };
        }
        var labels = VisibilityLabels(document.Visibility);
        if (labels.Count > 0)
        {
            reference.SecurityLabel = labels.Select(l => new CodeableConcept { Coding = [l] }).ToList();
        }
        return reference;
    }

    /// <summary>The person's masking as security labels (documents' securityLabel, profile resources' meta.security).</summary>
    public static List<Coding> VisibilityLabels(Visibility visibility)
    {
        var labels = new List<Coding>();
        foreach (var (flag, code) in VisibilityCodes)
        {
            if (flag(visibility)) labels.Add(new Coding(FhirCodes.VisibilitySystem, code));
        }
        return labels;
    }

    /// <summary>Each masking flag and its label code.</summary>
    public static readonly (Func<Visibility, bool> Flag, string Code)[] VisibilityCodes =
    [
        (v => v.MaskedFromProfessionals, "MASQUE_PS"),
        (v => v.InvisibleToPatient, "INVISIBLE_PATIENT"),
        (v => v.InvisibleToRepresentatives, "INVISIBLE_REPRESENTANTS_LEGAUX"),
    ];

    private static ResourceReference AuthorOf(string vaultId, Author author) => author.Kind switch
    {
        AuthorKind.Person => new ResourceReference($"Patient/{vaultId}") { Display = "the person" },
        AuthorKind.Professional or AuthorKind.Referent => new ResourceReference
        {
            Identifier = new Identifier(FhirCodes.RppsSystem, author.Id),
            Display = author.Kind == AuthorKind.Referent ? "referent" : "professional",
        },
        AuthorKind.Representative => new ResourceReference { Identifier = new Identifier(FhirCodes.VaultIdSystem, author.Id), Display = "legal representative" },
        _ => new ResourceReference
        {
            Identifier = author.EstablishmentFiness is { } f ? new Identifier(FhirCodes.FinessSystem, f) : new Identifier(FhirCodes.SystemAuthorSystem, author.Id),
            Display = "system",
        },
    };

    public static FhirConsent Grant(string vaultId, Grant grant, DateTimeOffset now) =>
        Consent(vaultId, "grant-" + grant.Id, "grant", grant.Id, FhirCodes.GrantIdSystem, grant.IsActive(now), grant.GrantedAt, grant.ExpiresAt ?? grant.RevokedAt,
            grant.GranteeKind == GranteeKind.Professional ? new Identifier(FhirCodes.RppsSystem, grant.Grantee) : new Identifier(FhirCodes.FinessSystem, grant.Grantee),
            grant.TreatingPhysician ? "treating physician" : "grantee", grant.Scope, grant.RevokedAt is null ? "TREAT" : null);

    public static FhirConsent Referent(string vaultId, Referent referent, DateTimeOffset now) =>
        Consent(vaultId, "referent-" + referent.Rpps + "-" + referent.Since.ToUnixTimeSeconds(), "referent-mandate", referent.Rpps, FhirCodes.RppsSystem,
            referent.IsActive(now), referent.Since, referent.RevokedAt ?? referent.Consent.ExpiresAt,
            new Identifier(FhirCodes.RppsSystem, referent.Rpps), "referent", referent.Consent.Scope, null, referent.Consent);

    public static FhirConsent Representation(string vaultId, LegalRepresentative representative, DateTimeOffset now) =>
        Consent(vaultId, "representation-" + representative.RepresentativeVaultId + "-" + representative.Since.ToUnixTimeSeconds(),
            "legal-representation-" + representative.Kind.ToString().ToLowerInvariant(), representative.RepresentativeVaultId, FhirCodes.VaultIdSystem,
            representative.IsActive(now), representative.Since, representative.Until,
            new Identifier(FhirCodes.VaultIdSystem, representative.RepresentativeVaultId), representative.Kind.ToString().ToLowerInvariant(), DocumentScope.All, null);

    public static FhirConsent Carer(string vaultId, CarerDelegation delegation, DateTimeOffset now) =>
        Consent(vaultId, "carer-" + delegation.Id, "carer-delegation", delegation.Id, FhirCodes.DelegationIdSystem, delegation.IsActive(now),
            delegation.Consent.RecordedAt, delegation.EndedAt ?? delegation.Consent.ExpiresAt,
            new Identifier(FhirCodes.VaultIdSystem, delegation.CarerVaultId), "carer: " + delegation.Actions.ToString().ToLowerInvariant(), delegation.Consent.Scope, null, delegation.Consent);

    private static FhirConsent Consent(string vaultId, string id, string kind, string recordId, string recordSystem, bool active, DateTimeOffset from, DateTimeOffset? until,
        Identifier actor, string actorRole, DocumentScope scope, string? purpose, DomainConsent? recorded = null)
    {
        var provision = new FhirConsent.provisionComponent
        {
            Type = FhirConsent.ConsentProvisionType.Permit,
            Period = new Period(new FhirDateTime(from), until is { } end ? new FhirDateTime(end) : null),
            Actor = [new FhirConsent.provisionActorComponent
            {
                Role = new CodeableConcept("urn:coffre:actor-role", actorRole.Replace(' ', '-').Replace(":", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal)) { Text = actorRole },
                Reference = new ResourceReference { Identifier = actor },
            }],
        };
        if (scope.ClassCodes is { } classes)
        {
            provision.Class = classes.Select(c => new Coding(FhirCodes.ClassCodeSystem, c)).ToList();
        }
        if (scope.TypeCodes is { } types)
        {
            provision.Code = types.Select(t => new CodeableConcept(FhirCodes.IsLoinc(t) ? FhirCodes.Loinc : FhirCodes.TypeCodeSystem, t)).ToList();
        }
        if (purpose is not null)
        {
            provision.Purpose = [new Coding(FhirCodes.ActCodeSystem, purpose)];
        }
        var consent = new FhirConsent
        {
            Id = SafeId(id),
            Identifier = [new Identifier(recordSystem, recordId)],
            Status = active ? FhirConsent.ConsentState.Active : FhirConsent.ConsentState.Inactive,
            Scope = new CodeableConcept(FhirCodes.ConsentScopeSystem, "patient-privacy"),
            Category = [new CodeableConcept(FhirCodes.ConsentKindSystem, kind), new CodeableConcept(FhirCodes.Loinc, "59284-0")],
            Patient = PatientRef(vaultId),
            DateTimeElement = new FhirDateTime(recorded?.RecordedAt ?? from),
            Policy = [new FhirConsent.PolicyComponent { Uri = FhirCodes.ConsentPolicy }],
            Provision = provision,
        };
        if (recorded is not null)
        {
            consent.Verification = [new FhirConsent.VerificationComponent
            {
                Verified = true,
                VerificationDateElement = new FhirDateTime(recorded.RecordedAt),
            }];
            consent.Category.Add(new CodeableConcept("urn:coffre:consent-method", recorded.Method.ToString()));
        }
        return consent;
    }

    /// <summary>FHIR ids: 1–64 of [A-Za-z0-9.-].</summary>
    public static string SafeId(string id)
    {
        var chars = id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-').ToArray();
        var safe = new string(chars);
        return safe.Length <= 64 ? safe : safe[..64];
    }

    public static FhirAuditEvent AuditEvent(string vaultId, FhirAuditEntry entry)
    {
        var e = entry.Event;
        var who = e.ActorKind switch
        {
            CallerKind.Professional => new ResourceReference { Identifier = new Identifier(FhirCodes.RppsSystem, e.ActorId), Display = "professional" },
            CallerKind.Patient => new ResourceReference { Identifier = new Identifier(FhirCodes.VaultIdSystem, e.ActorId), Display = e.ActorId == vaultId ? "the person" : "another person" },
            CallerKind.Operator => new ResourceReference { Identifier = new Identifier("urn:coffre:operator", e.ActorId), Display = "operator" },
            CallerKind.Establishment => new ResourceReference { Identifier = new Identifier("urn:coffre:client", e.ActorId), Display = "establishment system" },
            _ => new ResourceReference { Display = "anonymous" },
        };
        var agent = new FhirAuditEvent.AgentComponent { Who = who, Requestor = true };
        if (e.ActorProfession is { } role)
        {
            agent.Role = [new CodeableConcept("urn:coffre:actor-role", role.Replace(' ', '-'))];
        }
        var audit = new FhirAuditEvent
        {
            Id = "audit-" + entry.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Type = new Coding(FhirCodes.AuditTypeSystem, "110110", "Patient Record"),
            Subtype = [new Coding(FhirCodes.CoffreOperationSystem, e.Operation)],
            Action = e.Action switch
            {
                AuditAction.Create => FhirAuditEvent.AuditEventAction.C,
                AuditAction.Read => FhirAuditEvent.AuditEventAction.R,
                AuditAction.Update => FhirAuditEvent.AuditEventAction.U,
                AuditAction.Delete => FhirAuditEvent.AuditEventAction.D,
                _ => FhirAuditEvent.AuditEventAction.E,
            },
            Recorded = e.At,
            Outcome = e.Allowed ? FhirAuditEvent.AuditEventOutcome.N0 : FhirAuditEvent.AuditEventOutcome.N4,
            OutcomeDesc = e.Allowed
                ? $"allowed ({e.Basis})"
                : e.IsAggregate ? $"denied ({e.Reason}), {e.Count} times since {e.FirstAt:O}" : $"denied ({e.Reason})",
            PurposeOfEvent = [new CodeableConcept(e.Allowed ? FhirCodes.LegalBasisSystem : FhirCodes.DenialReasonSystem, e.Allowed ? e.Basis.ToString() : e.Reason.ToString())],
            Agent = [agent],
            Source = new FhirAuditEvent.SourceComponent { Observer = new ResourceReference { Display = "Coffre" }, Site = "coffre" },
            Entity = [new FhirAuditEvent.EntityComponent
            {
                What = PatientRef(vaultId),
                Description = e.Target,
            }],
        };
        audit.Extension.Add(new Extension(FhirCodes.AuditSequenceSystem, entry.Sequence <= int.MaxValue ? new Integer((int)entry.Sequence) : new FhirString(entry.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        if (e.Target.StartsWith("document:", StringComparison.Ordinal))
        {
            audit.Entity.Add(new FhirAuditEvent.EntityComponent { What = new ResourceReference($"DocumentReference/{e.Target["document:".Length..]}") });
        }
        return audit;
    }
}
