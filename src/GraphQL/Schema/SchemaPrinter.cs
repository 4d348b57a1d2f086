using GraphQL;
using GraphQL.Utilities;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Schema;

/// <summary>Prints the schema as SDL, sorted, exactly as committed in <c>schema.graphql</c>.</summary>
public static class CoffreSchemaPrinter
{
    public static string Print()
    {
        var services = new ServiceCollection();
        services.AddCoffreGraphQL(introspectionByDefault: true);
        using var provider = services.BuildServiceProvider();
        var schema = provider.GetRequiredService<CoffreSchema>();
        return schema.Print(new PrintOptions { StringComparison = StringComparison.Ordinal, IncludeDescriptions = true }).Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd() + "\n";
    }
}
