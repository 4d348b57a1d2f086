using System.Collections.Frozen;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Coffre.Grains.Establishments;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed class VaultStatusType : EnumerationGraphType<VaultStatus> { public VaultStatusType() => Name = "VaultStatus"; }
public sealed class VaultActionType : EnumerationGraphType<VaultAction> { public VaultActionType() => Name = "VaultAction"; }
public sealed class LegalBasisType : EnumerationGraphType<LegalBasis> { public LegalBasisType() => Name = "LegalBasis"; }

/// <summary>
/// The one spelling of a denial reason front-ends see: this enum's values (SCREAMING_SNAKE, e.g. MASKED_FROM_PROFESSIONALS),
/// in <c>why.reason</c> and <c>accessHistory … reason</c>, and — through <see cref="CodeOf"/> — in <c>extensions.reason</c>
/// of GraphQL errors and of the document routes' error bodies.
/// </summary>
public sealed class DenialReasonType : EnumerationGraphType<DenialReason>
{
    private static readonly FrozenDictionary<DenialReason, string> Codes =
        new DenialReasonType().Values.ToFrozenDictionary(v => (DenialReason)v.Value!, v => v.Name);

    public DenialReasonType() => Name = "DenialReason";

    /// <summary>The GraphQL enum value's name of a reason: what <c>extensions.reason</c> carries.</summary>
    public static string CodeOf(DenialReason reason) => Codes.TryGetValue(reason, out var code) ? code : Codes[DenialReason.NotPermitted];
}

public sealed class CallerKindType : EnumerationGraphType<CallerKind> { public CallerKindType() => Name = "CallerKind"; }
public sealed class AuditActionType : EnumerationGraphType<AuditAction> { public AuditActionType() => Name = "AuditAction"; }
public sealed class AuthorKindType : EnumerationGraphType<AuthorKind>
{
    public AuthorKindType()
    {
        Name = "AuthorKind";
        Description = "PERSON, PROFESSIONAL, REFERENT, REPRESENTATIVE, SYSTEM (an establishment's system or feed), CARER, APP (a connected app within the person's consent; id app:{appId}).";
    }
}
public sealed class SexType : EnumerationGraphType<Sex> { public SexType() => Name = "Sex"; }
public sealed class RepresentationKindType : EnumerationGraphType<RepresentationKind> { public RepresentationKindType() => Name = "RepresentationKind"; }
public sealed class ConsentMethodType : EnumerationGraphType<ConsentMethod> { public ConsentMethodType() => Name = "ConsentMethod"; }
public sealed class GranteeKindType : EnumerationGraphType<GranteeKind> { public GranteeKindType() => Name = "GranteeKind"; }
public sealed class EstablishmentKindType : EnumerationGraphType<EstablishmentKind> { public EstablishmentKindType() => Name = "EstablishmentKind"; }

public sealed class DirectoryStandingType : EnumerationGraphType<DirectoryStanding> { public DirectoryStandingType() => Name = "DirectoryStanding"; }
