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
        Field(p => p.Rpps).Description("RPPS (11 digits), ADELI (9 digits) or Coffre identifier (11 digits starting with 99, for staff registered by their establishment).");
        Field(p => p.DisplayName);
        Field(p => p.ProfessionCode).Description("Profession code (e.g. 10 médecin, 60 infirmier, SOC-AS assistant de service social).");
        Field<NonNullGraphType<ProfessionSectorType>>("sector").Resolve(ctx => ctx.Source.Sector);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("registeredAt").Resolve(ctx => ctx.Source.RegisteredAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("updatedAt").Resolve(ctx => ctx.Source.UpdatedAt);
        Field(p => p.Revision).Description("Incremented on every update.");
        Field<NonNullGraphType<ProfessionalStatusType>>("status").Description("ACTIVE, or SUSPENDED: then every vault refuses them.").Resolve(ctx => ctx.Source.Status);
        Field<StringGraphType>("suspendedBy").Description("The operator who suspended them (while suspended).").Resolve(ctx => ctx.Source.SuspendedBy);
        Field<DateTimeOffsetGraphType>("suspendedAt").Resolve(ctx => ctx.Source.SuspendedAt);
        Field<StringGraphType>("suspensionReason").Resolve(ctx => ctx.Source.SuspensionReason);
        Field<StringGraphType>("registeredBy").Description("An operator's subject, or establishment:{finess} for staff an establishment registered.").Resolve(ctx => ctx.Source.RegisteredBy);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<MembershipType>>>>("memberships").Description("Establishments they are a member of (the directory's word).").Resolve(ctx => ctx.Source.Memberships);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DirectoryEventType>>>>("history").Description("Changes of this record (registration, suspension, reinstatement, memberships), oldest first.").Resolve(ctx => ctx.Source.History);
    }
}

public sealed class ProfessionalStatusType : EnumerationGraphType<ProfessionalStatus>
{
    public ProfessionalStatusType() => Name = "ProfessionalStatus";
}

public sealed class MembershipType : ObjectGraphType<Membership>
{
    public MembershipType()
    {
        Name = "Membership";
        Field(m => m.Finess);
        Field(m => m.Admin).Description("An admin member registers the establishment's staff (Coffre identifiers).");
        Field(m => m.Role, nullable: true).Description("Their role there.");
        Field<DateTimeOffsetGraphType>("startsAt").Description("From when the membership counts (inclusive); null: since recorded.").Resolve(ctx => ctx.Source.Start);
        Field<DateTimeOffsetGraphType>("endsAt").Description("Until when (exclusive); null: open-ended.").Resolve(ctx => ctx.Source.End);
        Field<NonNullGraphType<BooleanGraphType>>("active").Description("Whether it counts now (between startsAt and endsAt).")
            .Resolve(ctx => ctx.Source.IsActiveAt(DateTimeOffset.UtcNow));
    }
}

public sealed class DirectoryEventType : ObjectGraphType<DirectoryEvent>
{
    public DirectoryEventType()
    {
        Name = "DirectoryEvent";
        Description = "One change of a directory record.";
        Field(e => e.Action).Description("registered, updated, suspended, reinstated, member, member-admin, member-removed.");
        Field(e => e.By).Description("Operator subject, or the identifier of the establishment admin who acted.");
        Field(e => e.ByRoles, nullable: true).Description("The operator's roles when an operator acted.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
        Field(e => e.Detail, nullable: true);
    }
}

public sealed class SuspendProfessionalInputType : InputObjectGraphType<SuspendProfessionalInput>
{
    public SuspendProfessionalInputType()
    {
        Name = "SuspendProfessionalInput";
        Field<NonNullGraphType<RppsGraphType>>("rpps");
        Field(x => x.Reason).Description("Why (kept in the directory record and its history).");
    }
}

public sealed record SuspendProfessionalInput(string Rpps, string Reason);

public sealed class ReinstateProfessionalInputType : InputObjectGraphType<ReinstateProfessionalInput>
{
    public ReinstateProfessionalInputType()
    {
        Name = "ReinstateProfessionalInput";
        Field<NonNullGraphType<RppsGraphType>>("rpps");
    }
}

public sealed record ReinstateProfessionalInput(string Rpps);

public sealed class RegisterEstablishmentStaffInputType : InputObjectGraphType<RegisterEstablishmentStaffInput>
{
    public RegisterEstablishmentStaffInputType()
    {
        Name = "RegisterEstablishmentStaffInput";
        Description = "A social or médico-social professional without RPPS/ADELI, registered by their establishment under a new Coffre identifier.";
        Field<NonNullGraphType<FinessGraphType>>("finess");
        Field(x => x.DisplayName);
        Field(x => x.ProfessionCode);
        Field<NonNullGraphType<ProfessionSectorType>>("sector");
    }
}

public sealed record RegisterEstablishmentStaffInput(string Finess, string DisplayName, string ProfessionCode, ProfessionSector Sector);

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
