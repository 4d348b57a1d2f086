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
public sealed class DenialReasonType : EnumerationGraphType<DenialReason> { public DenialReasonType() => Name = "DenialReason"; }
public sealed class CallerKindType : EnumerationGraphType<CallerKind> { public CallerKindType() => Name = "CallerKind"; }
public sealed class AuditActionType : EnumerationGraphType<AuditAction> { public AuditActionType() => Name = "AuditAction"; }
public sealed class AuthorKindType : EnumerationGraphType<AuthorKind> { public AuthorKindType() => Name = "AuthorKind"; }
public sealed class SexType : EnumerationGraphType<Sex> { public SexType() => Name = "Sex"; }
public sealed class RepresentationKindType : EnumerationGraphType<RepresentationKind> { public RepresentationKindType() => Name = "RepresentationKind"; }
public sealed class ConsentMethodType : EnumerationGraphType<ConsentMethod> { public ConsentMethodType() => Name = "ConsentMethod"; }
public sealed class GranteeKindType : EnumerationGraphType<GranteeKind> { public GranteeKindType() => Name = "GranteeKind"; }
public sealed class EstablishmentKindType : EnumerationGraphType<EstablishmentKind> { public EstablishmentKindType() => Name = "EstablishmentKind"; }

public sealed class DirectoryStandingType : EnumerationGraphType<DirectoryStanding> { public DirectoryStandingType() => Name = "DirectoryStanding"; }
