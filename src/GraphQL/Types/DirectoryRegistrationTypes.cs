using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Grains.Directory;
using Coffre.Grains.Establishments;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed record EstablishmentEntryInput(string Finess, string Name, EstablishmentKind Kind, string? PartOf, string CategoryCode, ProfessionSector Sector,
    string? Town = null, string? PostalCode = null)
{
    public EstablishmentEntry ToEntry() => new(Finess, Name, Kind == EstablishmentKind.Site, PartOf, CategoryCode, Sector, Town, PostalCode);
}

public sealed record MembershipInput(string Finess, string? Role = null, DateTimeOffset? StartsAt = null, DateTimeOffset? EndsAt = null, bool? Admin = null)
{
    public MembershipTerms ToTerms() => new(Finess, Role, StartsAt, EndsAt, Admin ?? false);
}

public sealed record ProfessionalEntryInput(string Identifier, string DisplayName, string ProfessionCode, ProfessionSector Sector, IReadOnlyList<MembershipInput>? Memberships = null)
{
    public ProfessionalEntry ToEntry() => new(Identifier, DisplayName, ProfessionCode, Sector, Memberships?.Select(m => m.ToTerms()).ToList() ?? []);
}

public sealed record RegisterDirectoryEntriesInput(string IdempotencyKey, IReadOnlyList<EstablishmentEntryInput>? Establishments = null, IReadOnlyList<ProfessionalEntryInput>? Professionals = null);

public sealed class EstablishmentEntryInputType : InputObjectGraphType<EstablishmentEntryInput>
{
    public EstablishmentEntryInputType()
    {
        Name = "EstablishmentEntryInput";
        Description = "One establishment row. Identifiers are plain strings here: a wrong check digit rejects the row (REJECTED, field finess), not the request.";
        Field(x => x.Finess);
        Field(x => x.Name);
        Field<NonNullGraphType<EstablishmentKindType>>("kind");
        Field(x => x.PartOf, nullable: true).Description("For a SITE: its legal entity's FINESS; none for a LEGAL_ENTITY.");
        Field(x => x.CategoryCode);
        Field<NonNullGraphType<ProfessionSectorType>>("sector");
        Field(x => x.Town, nullable: true);
        Field(x => x.PostalCode, nullable: true);
    }
}

public sealed class MembershipInputType : InputObjectGraphType<MembershipInput>
{
    public MembershipInputType()
    {
        Name = "MembershipInput";
        Field(x => x.Finess).Description("A registered establishment (else the row is REJECTED, NOT_FOUND).");
        Field(x => x.Role, nullable: true);
        Field<DateTimeOffsetGraphType>("startsAt");
        Field<DateTimeOffsetGraphType>("endsAt");
        Field(x => x.Admin, nullable: true);
    }
}

public sealed class ProfessionalEntryInputType : InputObjectGraphType<ProfessionalEntryInput>
{
    public ProfessionalEntryInputType()
    {
        Name = "ProfessionalEntryInput";
        Description = "One professional row: the whole record (memberships not listed end).";
        Field(x => x.Identifier).Description("RPPS (11 digits), ADELI (9) or Coffre identifier (99…), with its check digit.");
        Field(x => x.DisplayName);
        Field(x => x.ProfessionCode).Description("A profession code of the habilitation matrix.");
        Field<NonNullGraphType<ProfessionSectorType>>("sector").Description("The profession's sector in the matrix.");
        Field<ListGraphType<NonNullGraphType<MembershipInputType>>>("memberships");
    }
}

public sealed class RegisterDirectoryEntriesInputType : InputObjectGraphType<RegisterDirectoryEntriesInput>
{
    public RegisterDirectoryEntriesInputType()
    {
        Name = "RegisterDirectoryEntriesInput";
        Field(x => x.IdempotencyKey).Description("1 to 64 of [A-Za-z0-9._-], yours: the same key with the same rows returns the first report without applying again; with other rows, IDEMPOTENCY_CONFLICT.");
        Field<ListGraphType<NonNullGraphType<EstablishmentEntryInputType>>>("establishments").Description($"Applied first. At most {DirectoryRules.MaxBulkRows} rows with the professionals.");
        Field<ListGraphType<NonNullGraphType<ProfessionalEntryInputType>>>("professionals");
    }
}

public sealed class DirectoryOutcomeType : EnumerationGraphType<DirectoryOutcome>
{
    public DirectoryOutcomeType() => Name = "DirectoryOutcome";
}

public sealed class DirectoryRowResultType : ObjectGraphType<DirectoryRowResult>
{
    public DirectoryRowResultType()
    {
        Name = "DirectoryRowResult";
        Field(r => r.Index).Description("The row's position in its list (0-based).");
        Field(r => r.Key).Description("FINESS or identifier, as sent.");
        Field<NonNullGraphType<DirectoryOutcomeType>>("outcome").Resolve(ctx => ctx.Source.Outcome);
        Field(r => r.Field, nullable: true).Description("For REJECTED: the field that broke a rule (memberships[0].finess).");
        Field(r => r.Rule, nullable: true).Description("For REJECTED: the rule.");
        Field(r => r.Code, nullable: true).Description("For REJECTED: VALIDATION, or NOT_FOUND for a membership of an unknown establishment.");
    }
}

public sealed class DirectoryBulkReportType : ObjectGraphType<DirectoryBulkReport>
{
    public DirectoryBulkReportType()
    {
        Name = "DirectoryBulkReport";
        Field(r => r.Replayed).Description("True when this key was already used with these rows: the first report, nothing applied again.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("appliedAt").Resolve(ctx => ctx.Source.AppliedAt);
        Field<NonNullGraphType<IntGraphType>>("accepted").Resolve(ctx => Count(ctx.Source, DirectoryOutcome.Accepted));
        Field<NonNullGraphType<IntGraphType>>("updated").Resolve(ctx => Count(ctx.Source, DirectoryOutcome.Updated));
        Field<NonNullGraphType<IntGraphType>>("unchanged").Resolve(ctx => Count(ctx.Source, DirectoryOutcome.Unchanged));
        Field<NonNullGraphType<IntGraphType>>("rejected").Resolve(ctx => Count(ctx.Source, DirectoryOutcome.Rejected));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DirectoryRowResultType>>>>("establishments").Resolve(ctx => ctx.Source.Establishments);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DirectoryRowResultType>>>>("professionals").Resolve(ctx => ctx.Source.Professionals);
    }

    private static int Count(DirectoryBulkReport report, DirectoryOutcome outcome) =>
        report.Establishments.Count(r => r.Outcome == outcome) + report.Professionals.Count(r => r.Outcome == outcome);
}

public sealed class RegisterDirectoryEntriesPayloadType() : PayloadType<DirectoryBulkReportType>("RegisterDirectoryEntriesPayload", "report", withVault: false);
