using Coffre.Domain.Access;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Types;

/// <summary>What is answering the request.</summary>
public sealed record ServiceInfo(string Name, string Version, string Role);

public sealed class ServiceInfoType : ObjectGraphType<ServiceInfo>
{
    public ServiceInfoType()
    {
        Name = "ServiceInfo";
        Field(s => s.Name);
        Field(s => s.Version);
        Field(s => s.Role).Description("embedded, silo or gateway.");
    }
}

public sealed class ViewerType : ObjectGraphType<Caller>
{
    public ViewerType()
    {
        Name = "Viewer";
        Field<NonNullGraphType<CallerKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field<StringGraphType>("subject")
            .Description("The token's subject (its sub claim), as the token carries it; null without a token.")
            .Resolve(ctx => Authorization.CallerFactory.SubjectOf(ctx.User));
        Field<StringGraphType>("rpps").Resolve(ctx => ctx.Source.Rpps);
        Field<StringGraphType>("professionCode").Description("A professional's profession, from the directory (never from the token).").Resolve(ctx => ctx.Source.ProfessionCode);
        Field<DirectoryStandingType>("directoryStanding").Description("A professional's standing in the directory (ACTIVE, SUSPENDED, UNREGISTERED); null for others.")
            .Resolve(ctx => ctx.Source.Kind == CallerKind.Professional ? ctx.Source.Standing : null);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("operatorRoles").Description("An operator's roles (support, rollout, directory-admin); empty for others.")
            .Resolve(ctx => OperatorRoleNames.Format(ctx.Source.OperatorRoles).Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Field<StringGraphType>("establishmentFiness").Resolve(ctx => ctx.Source.EstablishmentFiness);
        Field<VaultType>("vault")
            .Description("A person's own vault (null for other callers).")
            .ResolveAsync(async ctx => ctx.Source.VaultId is { } vaultId ? await ctx.ReadVaultAsync(vaultId, ctx.Source) : null);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<SessionType>>>>("sessions")
            .Description("A person's sign-in sessions at Coffre's OpenID provider, newest first (empty for other callers).")
            .ResolveAsync(async ctx => ctx.Source.VaultId is { } vaultId
                ? await ctx.RequestServices!.GetRequiredService<Authorization.IOidcDirectory>().SessionsAsync(vaultId, ctx.CancellationToken)
                : (IReadOnlyList<Authorization.PersonSession>)[]);
    }
}

public sealed class OperatorStatisticsType : ObjectGraphType<Coffre.Grains.Operations.OperatorStatistics>
{
    public OperatorStatisticsType()
    {
        Name = "OperatorStatistics";
        Description = "What the service holds and wrote (operators).";
        Field(s => s.Silo).Description("The silo that answered (its counters below).");
        Field<NonNullGraphType<LongGraphType>>("vaultActivationsStarted").Description("Vault grain activations this silo started since it started.")
            .Resolve(ctx => ctx.Source.VaultActivationsStarted);
        Field<NonNullGraphType<LongGraphType>>("auditEventsAppended").Description("Audit events this silo appended since it started.")
            .Resolve(ctx => ctx.Source.AuditEventsAppended);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<GrainActivationCountType>>>>("activeGrains")
            .Description("Activations now in memory, per grain type, across the cluster.").Resolve(ctx => ctx.Source.ActiveGrains);
    }
}

public sealed class GrainActivationCountType : ObjectGraphType<Coffre.Grains.Operations.GrainActivationCount>
{
    public GrainActivationCountType()
    {
        Name = "GrainActivationCount";
        Field(c => c.GrainType);
        Field(c => c.Activations);
    }
}
