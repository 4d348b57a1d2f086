using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Grains.Directory;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Types;

/// <summary>The <c>directorySearch</c> query field: one call to the directory search grain, which decides and validates.</summary>
public static class DirectorySearchField
{
    public static void Add(ObjectGraphType query) =>
        query.Field<NonNullGraphType<DirectoryEntryConnectionType>>("directorySearch")
            .Description("Public directory entries (professionals and establishments) matching the filter, by name then identifier (cursor pagination). "
                + "Any signed-in caller; suspended professionals only for operators. At least one filter; a name gives 2 letters or more; first at most 50.")
            .Argument<NonNullGraphType<DirectorySearchFilterType>>("filter")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DirectorySearchRules.DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                return await ctx.Grains().GetGrain<IDirectorySearchGrain>(0)
                    .SearchAsync(caller, ctx.GetArgument<DirectoryFilter>("filter"), ctx.GetArgument<int?>("first"), ctx.GetArgument<string?>("after"));
            });
}

public sealed class DirectorySearchFilterType : InputObjectGraphType<DirectoryFilter>
{
    public DirectorySearchFilterType()
    {
        Name = "DirectorySearchFilter";
        Description = "What to look for; give at least one. All given filters must hold.";
        Field<StringGraphType>("name").Description(
            "Each word (2 letters or more in one of them, at most 5 words) starts some word of the name, ignoring case, accents and punctuation: "
            + "\"hel\" finds \"Dr Hélène Martin\" and \"MARTIN Hélène\"; \"mar hel\" finds both too.");
        Field<StringGraphType>("profession").Description("A profession code of the habilitation matrix (10 médecin, 60 infirmier, SOC-AS…): professionals only.");
        Field<FinessGraphType>("establishment").Description("Professionals with an active membership of this establishment.");
        Field<StringGraphType>("departement").Description("Département code (75, 2A, 974): establishments located there, and professionals with an active membership of one of them.");
        Field<ProfessionSectorType>("sector");
        Field<DirectoryEntryKindType>("kind");
    }
}

public sealed class DirectoryEntryKindType : EnumerationGraphType<DirectoryEntryKind>
{
    public DirectoryEntryKindType() => Name = "DirectoryEntryKind";
}

public sealed class DirectoryEntryType : ObjectGraphType<DirectoryListing>
{
    public DirectoryEntryType()
    {
        Name = "DirectoryEntry";
        Description = "A public directory entry: what anyone signed in may know of a professional or an establishment.";
        Field<NonNullGraphType<DirectoryEntryKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field(e => e.Identifier).Description("RPPS, ADELI or Coffre identifier for a professional; FINESS for an establishment.");
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(ctx => ctx.Source.DisplayName);
        Field<DirectoryProfessionType>("profession").Description("A professional's profession; null for an establishment.")
            .Resolve(ctx => ctx.Source.ProfessionCode);
        Field<NonNullGraphType<ProfessionSectorType>>("sector").Resolve(ctx => ctx.Source.Sector);
        Field<NonNullGraphType<ProfessionalStatusType>>("status").Description("SUSPENDED only in operators' searches (others never see suspended professionals).")
            .Resolve(ctx => ctx.Source.Suspended ? Grains.Professionals.ProfessionalStatus.Suspended : Grains.Professionals.ProfessionalStatus.Active);
        Field<DirectoryEstablishmentType>("establishment").Description("A professional's first active establishment (by FINESS); null for an establishment or without one.")
            .Resolve(ctx => ctx.Source.Establishments.Count > 0 ? ctx.Source.Establishments[0] : null);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DirectoryEstablishmentType>>>>("establishments")
            .Description("Every establishment a professional is an active member of, by FINESS (as each names itself now); empty for an establishment.")
            .Resolve(ctx => ctx.Source.Establishments);
        Field(e => e.Town, nullable: true).Description("An establishment's town; a professional's is their first active establishment's.");
        Field(e => e.Departement, nullable: true).Description("Département code, from the same place as the town.");
    }
}

public sealed class DirectoryProfessionType : ObjectGraphType<string>
{
    public DirectoryProfessionType()
    {
        Name = "DirectoryProfession";
        Field<NonNullGraphType<StringGraphType>>("code").Resolve(ctx => ctx.Source);
        Field<StringGraphType>("label").Description("The habilitation matrix's label; null for a code it does not list.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<HabilitationMatrix>().TryGetProfession(ctx.Source, out var p) ? p.Label : null);
    }
}

public sealed class DirectoryEstablishmentType : ObjectGraphType<DirectoryPlace>
{
    public DirectoryEstablishmentType()
    {
        Name = "DirectoryEstablishment";
        Field(p => p.Finess);
        Field(p => p.Name);
        Field(p => p.Town, nullable: true);
        Field(p => p.Departement, nullable: true);
    }
}

public sealed class DirectoryEntryConnectionType : ObjectGraphType<DirectoryPage>
{
    public DirectoryEntryConnectionType()
    {
        Name = "DirectoryEntryConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DirectoryEntryEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DirectoryEntryType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].Cursor : null));
    }
}

public sealed class DirectoryEntryEdgeType : ObjectGraphType<DirectoryListing>
{
    public DirectoryEntryEdgeType()
    {
        Name = "DirectoryEntryEdge";
        Field<NonNullGraphType<DirectoryEntryType>>("node").Resolve(ctx => ctx.Source);
        Field(e => e.Cursor);
    }
}
