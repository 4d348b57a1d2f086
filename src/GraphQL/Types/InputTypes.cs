using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

// Input records: one per mutation. GraphQL.NET builds them through their constructors.

/// <summary>An input that names the vault it acts on (a vault id or a Vault global id).</summary>
public interface IVaultInput
{
    string VaultId { get; }
}

public sealed record IdentityInput(string FamilyName, string GivenNames, DateOnly BirthDate, Sex Sex, string? UsualName);
public sealed record ConsentInput(ConsentMethod Method, DateTimeOffset ExpiresAt, string? Evidence, List<string>? ClassCodes, List<string>? TypeCodes);
public sealed record OpenVaultInput(IdentityInput Identity, string? Nir, ConsentInput? Consent, bool? IsMinor);
public sealed record VaultRefInput(string VaultId) : IVaultInput;
public sealed record DocumentRefInput(string VaultId, string DocumentId) : IVaultInput;
public sealed record UpdateDocumentInput(string VaultId, string DocumentId, string? Title, bool? MaskedFromProfessionals, bool? InvisibleToPatient, bool? InvisibleToRepresentatives, bool? Private) : IVaultInput;
public sealed record GrantAccessInput(string VaultId, string? Rpps, string? Finess, List<string>? ClassCodes, List<string>? TypeCodes, DateTimeOffset? ExpiresAt, bool? TreatingPhysician) : IVaultInput;
public sealed record RevokeAccessInput(string VaultId, string GrantId) : IVaultInput;
public sealed record ProfessionalRefInput(string VaultId, string Rpps) : IVaultInput;
public sealed record AddReferentInput(string VaultId, string Rpps, string? EstablishmentFiness, ConsentInput Consent) : IVaultInput;
public sealed record AddRepresentativeInput(string VaultId, string RepresentativeVaultId, RepresentationKind Kind, DateTimeOffset? Until, DateTimeOffset? PersonConsentedAt, string? Court, string? DecisionReference, DateOnly? DecisionDate) : IVaultInput;
public sealed record RemoveRepresentativeInput(string VaultId, string RepresentativeVaultId) : IVaultInput;
public sealed record BreakGlassInput(string VaultId, string Reason) : IVaultInput;
public sealed record RegisterEstablishmentInput(string Finess, string Name, Grains.Establishments.EstablishmentKind Kind, string CategoryCode, string? LegalEntityFiness, Domain.Access.ProfessionSector Sector, string? Town = null, string? PostalCode = null);
public sealed record SetEstablishmentMemberInput(string Finess, string Rpps, bool Member, bool? Admin);

public sealed class IdentityInputType : InputObjectGraphType<IdentityInput>
{
    public IdentityInputType()
    {
        Name = "IdentityInput";
        Field(x => x.FamilyName);
        Field(x => x.GivenNames);
        Field<NonNullGraphType<DateOnlyGraphType>>("birthDate");
        Field<NonNullGraphType<SexType>>("sex");
        Field(x => x.UsualName, nullable: true);
    }
}

public sealed class ConsentInputType : InputObjectGraphType<ConsentInput>
{
    public ConsentInputType()
    {
        Name = "ConsentInput";
        Description = "The person's consent as the referent records it.";
        Field<NonNullGraphType<ConsentMethodType>>("method");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Description("At most 3 years ahead.");
        Field(x => x.Evidence, nullable: true).Description("Required for SIGNED_PAPER and ORAL_WITNESSED: the form's reference or the witness.");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("classCodes").Description("Null: all classes.");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("typeCodes").Description("Null: all types.");
    }
}

public sealed class OpenVaultInputType : InputObjectGraphType<OpenVaultInput>
{
    public OpenVaultInputType()
    {
        Name = "OpenVaultInput";
        Field<NonNullGraphType<IdentityInputType>>("identity");
        Field<NirGraphType>("nir").Description("Optional: people in precarity may have none yet.");
        Field<ConsentInputType>("consent").Description("Required when a referent (not an operator) opens the vault.");
        Field<BooleanGraphType>("isMinor");
    }
}

public sealed class VaultRefInputType : InputObjectGraphType<VaultRefInput>
{
    public VaultRefInputType()
    {
        Name = "VaultRefInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
    }
}

public sealed class DocumentRefInputType : InputObjectGraphType<DocumentRefInput>
{
    public DocumentRefInputType()
    {
        Name = "DocumentRefInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<StringGraphType>>("documentId");
    }
}

public sealed class UpdateDocumentInputType : InputObjectGraphType<UpdateDocumentInput>
{
    public UpdateDocumentInputType()
    {
        Name = "UpdateDocumentInput";
        Description = "Null fields are left unchanged.";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<StringGraphType>>("documentId");
        Field(x => x.Title, nullable: true);
        Field(x => x.MaskedFromProfessionals, nullable: true);
        Field(x => x.InvisibleToPatient, nullable: true);
        Field(x => x.InvisibleToRepresentatives, nullable: true).Description("Can only be lifted (false), never set again.");
        Field(x => x.Private, nullable: true);
    }
}

public sealed class GrantAccessInputType : InputObjectGraphType<GrantAccessInput>
{
    public GrantAccessInputType()
    {
        Name = "GrantAccessInput";
        Description = "Give one of rpps or finess.";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<RppsGraphType>("rpps");
        Field<FinessGraphType>("finess");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("classCodes");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("typeCodes");
        Field<DateTimeOffsetGraphType>("expiresAt");
        Field<BooleanGraphType>("treatingPhysician");
    }
}

public sealed class RevokeAccessInputType : InputObjectGraphType<RevokeAccessInput>
{
    public RevokeAccessInputType()
    {
        Name = "RevokeAccessInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<StringGraphType>>("grantId");
    }
}

public sealed class ProfessionalRefInputType : InputObjectGraphType<ProfessionalRefInput>
{
    public ProfessionalRefInputType()
    {
        Name = "ProfessionalRefInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<RppsGraphType>>("rpps");
    }
}

public sealed class AddReferentInputType : InputObjectGraphType<AddReferentInput>
{
    public AddReferentInputType()
    {
        Name = "AddReferentInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<RppsGraphType>>("rpps");
        Field<FinessGraphType>("establishmentFiness");
        Field<NonNullGraphType<ConsentInputType>>("consent");
    }
}

public sealed class AddRepresentativeInputType : InputObjectGraphType<AddRepresentativeInput>
{
    public AddRepresentativeInputType()
    {
        Name = "AddRepresentativeInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<IdGraphType>>("representativeVaultId");
        Field<NonNullGraphType<RepresentationKindType>>("kind");
        Field<DateTimeOffsetGraphType>("until");
        Field<DateTimeOffsetGraphType>("personConsentedAt").Description("Curatelle: when the protected person consented.");
        Field<StringGraphType>("court").Description("TUTOR, CURATOR (required): the court that decided the tutelle or curatelle.");
        Field<StringGraphType>("decisionReference").Description("TUTOR, CURATOR (required): the court decision's reference.");
        Field<DateOnlyGraphType>("decisionDate").Description("TUTOR, CURATOR (required): the court decision's date.");
    }
}

public sealed class RemoveRepresentativeInputType : InputObjectGraphType<RemoveRepresentativeInput>
{
    public RemoveRepresentativeInputType()
    {
        Name = "RemoveRepresentativeInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<IdGraphType>>("representativeVaultId");
    }
}

public sealed class BreakGlassInputType : InputObjectGraphType<BreakGlassInput>
{
    public BreakGlassInputType()
    {
        Name = "BreakGlassInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field(x => x.Reason).Description("The emergency, stated for the record and shown to the person.");
    }
}

public sealed class RegisterEstablishmentInputType : InputObjectGraphType<RegisterEstablishmentInput>
{
    public RegisterEstablishmentInputType()
    {
        Name = "RegisterEstablishmentInput";
        Field<NonNullGraphType<FinessGraphType>>("finess");
        Field(x => x.Name);
        Field<NonNullGraphType<EstablishmentKindType>>("kind");
        Field(x => x.CategoryCode);
        Field<FinessGraphType>("legalEntityFiness");
        Field<NonNullGraphType<ProfessionSectorType>>("sector");
        Field<StringGraphType>("town").Description("Town of the address (public directory entry).");
        Field<StringGraphType>("postalCode").Description("Postal code of the address (5 digits); gives the département the directory search filters on.");
    }
}

public sealed class SetEstablishmentMemberInputType : InputObjectGraphType<SetEstablishmentMemberInput>
{
    public SetEstablishmentMemberInputType()
    {
        Name = "SetEstablishmentMemberInput";
        Field<NonNullGraphType<FinessGraphType>>("finess");
        Field<NonNullGraphType<RppsGraphType>>("rpps");
        Field(x => x.Member);
        Field(x => x.Admin, nullable: true).Description("An admin member registers the establishment's staff (default false).");
    }
}
