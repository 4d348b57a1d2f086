using Coffre.GraphQL.Schema;
using Coffre.GraphQL.Transport;
using Coffre.GraphQL.Validation;
using GraphQL;
using GraphQL.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http;

namespace Coffre.GraphQL;

public static class GraphQLServiceCollectionExtensions
{
    public const string Path = "/graphql";
    private const int IntrospectionMaxDepth = 15;
    private const double IntrospectionMaxComplexity = 2_000_000;

    /// <summary>Registers the schema, the executor with Coffre's limits and the HTTP transport.</summary>
    public static IServiceCollection AddCoffreGraphQL(this IServiceCollection services, IConfiguration configuration, bool introspectionByDefault)
    {
        services.AddOptions<GraphQLOptions>().Bind(configuration.GetSection("Coffre:GraphQL"))
            .PostConfigure(o => o.Introspection ??= introspectionByDefault);
        services.AddGraphQL(b => b
            .AddSchema<CoffreSchema>()
            .AddGraphTypes(typeof(CoffreSchema).Assembly)
            .AddSystemTextJson()
            .AddComplexityAnalyzer(c =>
            {
                var limits = configuration.GetSection("Coffre:GraphQL").Get<GraphQLOptions>() ?? new GraphQLOptions();
                c.MaxDepth = limits.MaxDepth;
                c.MaxComplexity = limits.MaxComplexity;
                // Tools' standard introspection query is deeper (15) and wider than API queries; where introspection is
                // on, an introspection-only operation gets its own, still finite, limits.
                c.ValidateComplexityDelegate = context =>
                {
                    var options = context.ValidationContext.RequestServices?.GetService<IOptions<GraphQLOptions>>()?.Value;
                    if (options?.Introspection == true && IsIntrospectionOnly(context.ValidationContext.Operation)
                        && context.MaxDepth <= IntrospectionMaxDepth && context.TotalImpact <= IntrospectionMaxComplexity)
                    {
                        context.Error = null;
                    }
                    return Task.CompletedTask;
                };
            }));
        services.AddSingleton<IValidationRule>(sp => new MaxAliasesRule(sp.GetRequiredService<IOptions<GraphQLOptions>>().Value.MaxAliases));
        services.AddSingleton<IValidationRule>(sp => sp.GetRequiredService<IOptions<GraphQLOptions>>().Value.Introspection == true
            ? new NoOpRule()
            : new NoIntrospectionRule());
        services.AddScoped<DataLoaders.ProfessionalsByRppsDataLoader>();
        services.AddHttpContextAccessor();
        services.AddOptions<Activation.ActivationRateLimitOptions>().Bind(configuration.GetSection("Coffre:Activation:RateLimits"));
        services.AddSingleton<Activation.ActivationRateLimiter>();
        services.AddScoped<Activation.PassphraseWorkBudget>();
        services.AddSingleton<GraphQLRequestExecutor>();
        services.AddSingleton<GraphQLHttpEndpoint>();
        services.AddSingleton<GraphQLWebSocketEndpoint>();
        return services;
    }

    public static IEndpointRouteBuilder MapCoffreGraphQL(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map(Path, (HttpContext http, GraphQLHttpEndpoint endpoint, GraphQLWebSocketEndpoint webSockets) =>
            http.WebSockets.IsWebSocketRequest ? webSockets.HandleAsync(http) : endpoint.HandleAsync(http));
        endpoints.MapCoffreDocumentContent();
        return endpoints;
    }

    private static bool IsIntrospectionOnly(GraphQLParser.AST.GraphQLOperationDefinition operation) =>
        operation.SelectionSet.Selections.All(s => s is GraphQLParser.AST.GraphQLField f && f.Name.Value.Span.StartsWith("__"));

    private sealed class NoOpRule : ValidationRuleBase;
}
