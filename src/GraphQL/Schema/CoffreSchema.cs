using GraphQL;
using GraphQL.Introspection;
using GraphQL.Resolvers;
using GraphQL.Types;

namespace Coffre.GraphQL.Schema;

public sealed class CoffreSchema : global::GraphQL.Types.Schema
{
    public CoffreSchema(IServiceProvider services, CoffreQuery query, CoffreMutation mutation, CoffreSubscription subscription) : base(services)
    {
        Description = "Coffre: health and social document vaults.";
        Query = query;
        Mutation = mutation;
        Subscription = subscription;
        // Introspection answers what graphql-js 16's getIntrospectionQuery asks with every option on (GraphiQL, codegen):
        // __Directive.isRepeatable, args/inputFields(includeDeprecated:) and __InputValue.isDeprecated/deprecationReason.
        Features.RepeatableDirectives = true;
        Features.DeprecationOfInputValues = true;
    }

    /// <summary>
    /// What GraphQL.NET 8 does not serve of the introspection graphql-js 16 asks for with every option on:
    /// <c>__Type.specifiedByURL</c> (GraphQL spec, October 2021; Coffre's scalars link no specification: always null)
    /// and <c>__Directive.args(includeDeprecated:)</c> (deprecated arguments left out unless asked for, as on fields).
    /// </summary>
    protected override void OnBeforeInitializeType(IGraphType graphType)
    {
        base.OnBeforeInitializeType(graphType);
        if (graphType is __Type type && !type.HasField("specifiedByURL"))
        {
            type.Field<StringGraphType>("specifiedByURL")
                .Description("A custom scalar's specification URL; null for every scalar of this schema.")
                .Resolve(_ => null);
        }
        if (graphType is __Directive directive && directive.GetField("args") is { Resolver: { } resolver } args
            && args.Arguments?.Find("includeDeprecated") is null)
        {
            (args.Arguments ??= []).Add(new QueryArgument<BooleanGraphType> { Name = "includeDeprecated", DefaultValue = false });
            args.Resolver = new FuncFieldResolver<object>(async context =>
            {
                var all = await resolver.ResolveAsync(context);
                return context.GetArgument("includeDeprecated", false) || all is not IEnumerable<QueryArgument> arguments
                    ? all
                    : arguments.Where(a => a.DeprecationReason is null).ToList();
            });
        }
    }
}
