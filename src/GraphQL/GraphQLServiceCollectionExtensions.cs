using Coffre.Domain;
using Coffre.GraphQL.GraphiQL;
using Coffre.GraphQL.Schema;
using Coffre.GraphQL.Transport;
using Coffre.GraphQL.Validation;
using GraphQL;
using GraphQL.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Coffre.GraphQL;

public static class GraphQLServiceCollectionExtensions
{
    public const string Path = "/graphql";

    /// <summary>
    /// Registers the schema, the executor with Coffre's limits and the HTTP transport; <paramref name="graphiqlByDefault"/>
    /// serves GraphiQL at /graphiql unless <c>Coffre:GraphiQL:Enabled</c> says otherwise. The composition binds
    /// <see cref="GraphQLOptions"/>, <see cref="GraphiQLOptions"/> and <see cref="Activation.ActivationRateLimitOptions"/>.
    /// </summary>
    public static IServiceCollection AddCoffreGraphQL(this IServiceCollection services, bool introspectionByDefault, bool graphiqlByDefault = false)
    {
        services.AddOptions<GraphQLOptions>().PostConfigure(o => o.Introspection ??= introspectionByDefault);
        services.AddOptions<GraphiQLOptions>().PostConfigure(o => o.Enabled ??= graphiqlByDefault);
        services.AddGraphQL(b => b
            .AddSchema<CoffreSchema>()
            .AddGraphTypes(typeof(CoffreSchema).Assembly)
            // Depth and complexity are measured by Validation.DocumentBudget before validation, in one pass linear in the
            // document's size (GraphQL.NET's analyser walks fragments once per spread).
            .AddSystemTextJson());
        // A text that passed validation is validated again per request only for its variables and arguments.
        services.AddSingleton<IDocumentValidator>(new PreparedOperationValidator(new DocumentValidator()));
        services.AddSingleton<IValidationRule>(sp => new MaxAliasesRule(sp.GetRequiredService<IOptions<GraphQLOptions>>().Value.MaxAliases));
        services.AddSingleton<IValidationRule>(sp => sp.GetRequiredService<IOptions<GraphQLOptions>>().Value.Introspection == true
            ? new NoOpRule()
            : new NoIntrospectionRule());
        services.AddScoped<DataLoaders.ProfessionalsByRppsDataLoader>();
        services.AddHttpContextAccessor();
        services.AddOptions<Activation.ActivationRateLimitOptions>();
        services.AddSingleton<Activation.ActivationRateLimiter>();
        // A silo registers its own way to its settler first; a gateway's attempts go to the activation grain.
        services.TryAddSingleton<Grains.Rollout.IActivations, Grains.Rollout.GrainActivations>();
        services.AddSingleton<Authorization.CallerResolver>();
        services.AddScoped<Activation.PassphraseWorkBudget>();
        services.AddSingleton(sp => new DocumentCache(sp.GetRequiredService<IOptions<GraphQLOptions>>().Value.DocumentCacheSize));
        services.AddSingleton<GraphQLRequestExecutor>();
        services.AddSingleton<GraphQLHttpEndpoint>();
        services.AddSingleton<GraphQLWebSocketEndpoint>();
        // The bulk feed: its bound on work in flight, and the evaluator it asks who may feed (also registered by the grains on silos).
        services.AddOptions<Feeds.FeedOptions>();
        services.AddSingleton<Feeds.FeedAdmission>();
        services.TryAddSingleton(Domain.Access.HabilitationMatrix.Default);
        services.TryAddSingleton<Domain.Access.AccessEvaluator>();
        // Live subscriptions: this process's one registration with the event hubs, fanned out locally.
        services.AddSingleton<Subscriptions.VaultEventRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<Subscriptions.VaultEventRelay>());
        return services;
    }

    public static IEndpointRouteBuilder MapCoffreGraphQL(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map(Path, (HttpContext http, GraphQLHttpEndpoint endpoint, GraphQLWebSocketEndpoint webSockets) =>
            !http.WebSockets.IsWebSocketRequest ? endpoint.HandleAsync(http)
            // An upgrade with a bearer header that does not validate is refused before the upgrade, as HTTP requests are.
            : Authorization.BearerTokens.WasRejected(http) ? RefuseUpgradeAsync(http)
            : webSockets.HandleAsync(http));
        endpoints.MapCoffreDocumentContent();
        endpoints.MapCoffreAgendaExport();
        endpoints.MapCoffreShareLinks();
        endpoints.MapCoffreExports();
        Feeds.FeedEndpoints.MapCoffreFeeds(endpoints);
        endpoints.MapCoffreDirectoryImports();
        endpoints.MapCoffreGraphiQL();
        return endpoints;
    }

    private static Task RefuseUpgradeAsync(HttpContext http)
    {
        return Errors.ErrorResponses.WriteAsync(http, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "the bearer token is invalid or expired",
            challenge: "Bearer error=\"invalid_token\"");
    }

    private sealed class NoOpRule : ValidationRuleBase;
}
