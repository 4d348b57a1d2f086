using Coffre.Grains.Professionals;
using Coffre.Domain.Access;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed class ProfessionalType : ObjectGraphType<ProfessionalProfile>
{
    public ProfessionalType()
    {
        Name = "Professional";
        Description = "A health, social or médico-social professional from the directory.";
        Field(p => p.Rpps).Description("RPPS (11 digits) or ADELI (9 digits) number.");
        Field(p => p.DisplayName);
        Field(p => p.ProfessionCode).Description("Profession code (e.g. 10 médecin, 60 infirmier, SOC-AS assistant de service social).");
        Field<NonNullGraphType<ProfessionSectorType>>("sector").Resolve(ctx => ctx.Source.Sector);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("registeredAt").Resolve(ctx => ctx.Source.RegisteredAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("updatedAt").Resolve(ctx => ctx.Source.UpdatedAt);
        Field(p => p.Revision).Description("Incremented on every update.");
    }
}

public sealed class ProfessionSectorType : EnumerationGraphType<ProfessionSector>
{
    public ProfessionSectorType() => Name = "ProfessionSector";
}

public sealed class RegisterProfessionalInputType : InputObjectGraphType<RegisterProfessionalInput>
{
    public RegisterProfessionalInputType()
    {
        Name = "RegisterProfessionalInput";
        Field<NonNullGraphType<RppsGraphType>>("rpps");
        Field(x => x.DisplayName);
        Field(x => x.ProfessionCode);
        Field<NonNullGraphType<ProfessionSectorType>>("sector");
    }
}

public sealed record RegisterProfessionalInput(string Rpps, string DisplayName, string ProfessionCode, ProfessionSector Sector);
