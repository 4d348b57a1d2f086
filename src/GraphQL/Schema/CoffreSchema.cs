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
    }
}
