using Coffre.Domain.Access;
using Coffre.Grains.Establishments;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed class EstablishmentType : ObjectGraphType<EstablishmentProfile>
{
    public EstablishmentType()
    {
        Name = "Establishment";
        Field(e => e.Finess);
        Field(e => e.Name);
        Field<NonNullGraphType<EstablishmentKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field(e => e.CategoryCode);
        Field(e => e.LegalEntityFiness, nullable: true).Description("For a site (EG): its legal entity (EJ).");
        Field<NonNullGraphType<ProfessionSectorType>>("sector").Resolve(ctx => ctx.Source.Sector);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("members").Description("Identifiers (RPPS, ADELI, Coffre) of members; directory admin operators only (empty otherwise).").Resolve(ctx => ctx.Source.Members);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("admins").Description("Members who register staff; directory admin operators only (empty otherwise).").Resolve(ctx => ctx.Source.Admins);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("updatedAt").Resolve(ctx => ctx.Source.UpdatedAt);
        FeedStatisticsType.AddTo(this);
        Field(e => e.Town, nullable: true).Description("Town of the address.");
        Field(e => e.PostalCode, nullable: true).Description("Postal code of the address.");
        Field(e => e.Departement, nullable: true).Description("Département code from the postal code (75, 2A, 974).");
        AccompanimentFields.AddTo(this);
        BreakGlassReviewFields.AddTo(this);
    }
}

public sealed class HabilitationMatrixType : ObjectGraphType<HabilitationMatrix>
{
    public HabilitationMatrixType()
    {
        Name = "HabilitationMatrix";
        Description = "Which profession may read or deposit which document type (versioned reference data).";
        Field(m => m.Version);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProfessionInfoType>>>>("professions").Resolve(ctx => ctx.Source.Professions);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DocumentTypeInfoType>>>>("documentTypes").Resolve(ctx => ctx.Source.DocumentTypes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("emergencyScope").Description("Type codes a break-glass session opens.").Resolve(ctx => ctx.Source.EmergencyScope);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<FeedScopeInfoType>>>>("feedScopes").Description("What establishments' systems may feed, by FINESS category.").Resolve(ctx => ctx.Source.FeedScopes);
    }
}

public sealed class ProfessionInfoType : ObjectGraphType<ProfessionInfo>
{
    public ProfessionInfoType()
    {
        Name = "ProfessionInfo";
        Field(p => p.Code);
        Field(p => p.Label);
        Field<NonNullGraphType<ProfessionSectorType>>("sector").Resolve(ctx => ctx.Source.Sector);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("readableTypes").Resolve(ctx => ctx.Source.ReadableTypes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("depositableTypes").Resolve(ctx => ctx.Source.CreatableTypes);
        Field(p => p.CanBreakGlass);
    }
}

public sealed class DocumentTypeInfoType : ObjectGraphType<DocumentTypeInfo>
{
    public DocumentTypeInfoType()
    {
        Name = "DocumentTypeInfo";
        Field(t => t.TypeCode);
        Field(t => t.Label);
        Field<NonNullGraphType<StringGraphType>>("category").Resolve(ctx => ctx.Source.Category.ToString().ToUpperInvariant());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("classCodes").Resolve(ctx => ctx.Source.ClassCodes);
    }
}
