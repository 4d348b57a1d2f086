using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Types;

/// <summary>
/// An establishment's view of the people it accompanies (<c>Establishment.accompaniedPeople</c>), for a social worker's
/// console: one page of people (by vault), each with the establishment's referents whose mandates are active.
/// </summary>
public static class AccompanimentFields
{
    public const int DefaultPageSize = 20;

    /// <summary>Adds <c>accompaniedPeople(first, after)</c> to the establishment type.</summary>
    public static void AddTo(ObjectGraphType<EstablishmentProfile> establishment) =>
        establishment.Field<NonNullGraphType<AccompaniedPersonConnectionType>>("accompaniedPeople")
            .Description("The people this establishment accompanies now (an active referent mandate names it: consent recorded, not expired, not revoked), " +
                $"with their referents, by vault id. Members acting for it (token finess, active membership), its own system and directory-admin operators; others FORBIDDEN. first: 1 to {AccompanimentLimits.MaxPageSize}.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            // The grain decides access first, then checks first and after (a caller who may not list learns nothing of them).
            .ResolveAsync(async ctx => await ctx.Grains().GetGrain<IAccompanimentGrain>(GrainNames.Keys.Accompaniment(ctx.Source.Finess))
                .ListAsync(ctx.SignedInCaller(), ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after")));
}

public sealed class AccompaniedPersonConnectionType : ObjectGraphType<AccompaniedPage>
{
    public AccompaniedPersonConnectionType()
    {
        Name = "AccompaniedPersonConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AccompaniedPersonEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AccompaniedPersonType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].VaultId : null));
        Field(p => p.TotalCount).Description("People accompanied now.");
    }
}

public sealed class AccompaniedPersonEdgeType : ObjectGraphType<AccompaniedPerson>
{
    public AccompaniedPersonEdgeType()
    {
        Name = "AccompaniedPersonEdge";
        Field<NonNullGraphType<AccompaniedPersonType>>("node").Resolve(ctx => ctx.Source);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.VaultId);
    }
}

public sealed class AccompaniedPersonType : ObjectGraphType<AccompaniedPerson>
{
    public AccompaniedPersonType()
    {
        Name = "AccompaniedPerson";
        Description = "A person the establishment accompanies: their vault and the establishment's referents with an active mandate.";
        Field(p => p.VaultId).Description("The vault's own id (v-…); no vault call.");
        Field<VaultType>("vault")
            .Description("The vault as you may see it (decided and audited by the vault, e.g. on the care-team basis); null with a FORBIDDEN error otherwise. One vault call per person: ask it on small pages.")
            .ResolveAsync(async ctx => await ctx.ReadVaultAsync(ctx.Source.VaultId, ctx.Caller()));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AccompanimentReferentType>>>>("referents").Resolve(ctx => ctx.Source.Referents);
    }
}

public sealed class AccompanimentReferentType : ObjectGraphType<AccompanimentMandate>
{
    public AccompanimentReferentType()
    {
        Name = "AccompanimentReferent";
        Description = "A referent of the establishment holding the person's mandate.";
        Field<NonNullGraphType<RppsGraphType>>("rpps").Resolve(ctx => ctx.Source.Rpps);
        Field<StringGraphType>("displayName")
            .Description("From the public directory (batched per request); null when unknown.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<DataLoaders.ProfessionalsByRppsDataLoader>().Load(ctx.Source.Rpps).Select(p => p?.DisplayName));
        Field<PublicProfessionalType>("professional")
            .Description("The referent's public directory entry (batched per request); null when unknown.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<DataLoaders.ProfessionalsByRppsDataLoader>().Load(ctx.Source.Rpps));
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("since").Description("Since when this referent holds the mandate (consent recorded, or hand-over).").Resolve(ctx => ctx.Source.Since);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Description("When the person's consent expires.").Resolve(ctx => ctx.Source.ExpiresAt);
    }
}

public sealed record HandOverAccompanimentInput(string VaultId, string FromRpps, string ToRpps) : IVaultInput;

public sealed class HandOverAccompanimentInputType : InputObjectGraphType<HandOverAccompanimentInput>
{
    public HandOverAccompanimentInputType()
    {
        Name = "HandOverAccompanimentInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<RppsGraphType>>("fromRpps").Description("The referent whose mandate moves.");
        Field<NonNullGraphType<RppsGraphType>>("toRpps").Description("An active social or médico-social member of the same establishment.");
    }
}

public sealed class HandOverAccompanimentPayloadType() : PayloadType<ReferentType>("HandOverAccompanimentPayload", "referent", withVault: false);

public sealed class EndAccompanimentPayloadType : PayloadType<ListGraphType<NonNullGraphType<ReferentType>>>
{
    public EndAccompanimentPayloadType() : base("EndAccompanimentPayload", "endedReferents", withVault: false)
    {
    }
}

/// <summary>A data loader's result mapped (still resolved in the loader's batch).</summary>
internal static class DataLoaderResultMapping
{
    public static IDataLoaderResult<TOut> Select<TIn, TOut>(this IDataLoaderResult<TIn> result, Func<TIn, TOut> map) => new Mapped<TIn, TOut>(result, map);

    private sealed class Mapped<TIn, TOut>(IDataLoaderResult<TIn> inner, Func<TIn, TOut> map) : IDataLoaderResult<TOut>
    {
        public async Task<TOut> GetResultAsync(CancellationToken cancellationToken = default) => map(await inner.GetResultAsync(cancellationToken));

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
    }
}
