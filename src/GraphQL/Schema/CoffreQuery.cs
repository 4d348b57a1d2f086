using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using Coffre.Grains.Identity;
using Coffre.Grains.Professionals;
using Coffre.GraphQL.Types;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Schema;

public sealed class CoffreQuery : ObjectGraphType
{
    public CoffreQuery()
    {
        Name = "Query";
        DeliveryFields.AddSupportQuery(this);

        Field<NonNullGraphType<ServiceInfoType>>("service")
            .Description("What is answering: version and role. Public.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<ServiceInfo>());

        Field<NonNullGraphType<ViewerType>>("viewer")
            .Description("Who the token says you are, and for a person their own vault.")
            .Resolve(ctx => ctx.Caller());

        Field<NodeInterface>("node")
            .Description("Any object by its global id (Vault, Document, Conversation, ProfileEntry).")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async ctx => await ResolveNodeAsync(ctx, ctx.SignedInCaller(), ctx.GetArgument<string>("id")));

        Field<NonNullGraphType<ListGraphType<NodeInterface>>>("nodes")
            .Description("Several objects by global id, in order; null where one is missing. At most 50.")
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("ids")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var ids = ctx.GetArgument<List<string>>("ids");
                if (ids.Count > 50)
                {
                    throw Errors.ErrorTranslation.WithField(new ExecutionError("ids must hold at most 50 ids") { Code = ErrorCodes.Validation }, "ids");
                }
                // Each id is resolved by its own grain, in parallel (bounded by the 50-id cap); a refused or missing
                // one is null at its position, with its error in the errors list, not the end of the whole answer.
                return await Task.WhenAll(ids.Select(async (id, i) =>
                {
                    try
                    {
                        return await ResolveNodeAsync(ctx, caller, id);
                    }
                    catch (Exception e) when (e is AccessDeniedException or ValidationFailedException)
                    {
                        var error = e is AccessDeniedException denied
                            ? Errors.ErrorTranslation.WithReason(new ExecutionError(denied.Reason) { Code = Errors.ErrorTranslation.CodeOf(denied) }, denied.Code)
                            : Errors.ErrorTranslation.WithField(new ExecutionError(e.Message) { Code = ((ValidationFailedException)e).Code }, ((ValidationFailedException)e).Field);
                        error.Path = [.. ctx.Path, i];
                        lock (ctx.Errors)
                        {
                            ctx.Errors.Add(error);
                        }
                        return null;
                    }
                }));
            });

        VaultEventQueries.AddVaultEvents(this);

        Field<VaultType>("vault")
            .Description("A vault by its id (v-…) or global id, as you may see it.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var vaultId = GlobalId.VaultId(ctx.GetArgument<string>("id"))
                    ?? throw Errors.ErrorTranslation.WithField(new ExecutionError("id is not a vault id") { Code = ErrorCodes.Validation }, "id");
                return await ctx.ReadVaultAsync(vaultId, caller);
            });

        Field<VaultType>("vaultByNir")
            .Description("A person's vault by NIR (operators and professionals; your access to it is then checked and audited). Null when the person has no vault.")
            .Argument<NonNullGraphType<NirGraphType>>("nir")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var hash = ctx.RequestServices!.GetRequiredService<NirHasher>().HashHex(ctx.GetArgument<string>("nir"));
                var vaultId = await ctx.Grains().GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(hash)).FindAsync(caller);
                return vaultId is null ? null : await ctx.ReadVaultAsync(vaultId, caller);
            });

        Field<ProfessionalType>("professional")
            .Description("A professional's directory record by RPPS, ADELI or Coffre identifier: status, memberships, history. Directory admin operators, and the professional themself.")
            .Argument<NonNullGraphType<RppsGraphType>>("rpps")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                return await ctx.Grains().GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(ctx.GetArgument<string>("rpps"))).GetAsync(caller);
            });

        Field<EstablishmentType>("establishment")
            .Description("An establishment by FINESS. Any signed-in caller; members for directory admin operators.")
            .Argument<NonNullGraphType<FinessGraphType>>("finess")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                return await ctx.Grains().GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(ctx.GetArgument<string>("finess"))).GetAsync(caller);
            });

        DirectorySearchField.Add(this);
        MessagingFields.AddToQuery(this);
        CarerFields.AddToQuery(this);
        BreakGlassReviewFields.AddToQuery(this);
        ConnectedAppFields.AddToQuery(this);

        Field<OperatorStatisticsType>("operatorStatistics")
            .Description("Operators: active grain activations per type across the cluster, and what the answering silo started and appended since it started.")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                return await ctx.Grains().GetGrain<Coffre.Grains.Operations.IOperatorStatisticsGrain>(0).GetAsync(caller);
            });

        Field<NonNullGraphType<HabilitationMatrixType>>("habilitationMatrix")
            .Description("The versioned habilitation matrix: professions, document types, emergency scope. Public reference data.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<HabilitationMatrix>());
    }

    private static async Task<object?> ResolveNodeAsync(IResolveFieldContext ctx, Caller caller, string id)
    {
        switch (GlobalId.Decode(id))
        {
            case ("Vault", var vaultId) when Ids.IsVaultId(vaultId):
                return await ctx.ReadVaultAsync(vaultId, caller);
            case ("Document", var local) when local.Split('/') is [var vaultId, var documentId] && Ids.IsVaultId(vaultId):
                return await ctx.Vault(vaultId).GetDocumentAsync(caller, documentId);
            case ("Conversation", var conversationId) when Ids.IsConversationId(conversationId):
                return await ctx.Conversation(conversationId).GetAsync(caller);
            case ("ProfileEntry", var local) when local.Split('/') is [var vaultId, var entryId] && Ids.IsVaultId(vaultId):
                return new ProfileEntryNode(vaultId, await ctx.Profile(vaultId).GetAsync(caller, entryId));
            default:
                return null;
        }
    }
}
