using GraphQL.Validation;
using GraphQLParser.AST;

namespace Coffre.GraphQL.Validation;

/// <summary>
/// Rejects a document with more aliased fields than allowed: aliases are how one request repeats a field
/// (a brute-force of activation codes in a single POST, for example).
/// </summary>
public sealed class MaxAliasesRule(int maxAliases) : ValidationRuleBase
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        var count = 0;
        return new(new MatchingNodeVisitor<GraphQLField>((field, ctx) =>
        {
            if (field.Alias is not null && ++count == maxAliases + 1)
            {
                ctx.ReportError(new ValidationError(ctx.Document.Source, "5.0", $"the document uses more than {maxAliases} aliases", field) { Code = "MAX_ALIASES" });
            }
        }));
    }
}

/// <summary>Rejects introspection (<c>__schema</c>, <c>__type</c>) where it is switched off.</summary>
public sealed class NoIntrospectionRule : ValidationRuleBase
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        new(new MatchingNodeVisitor<GraphQLField>((field, ctx) =>
        {
            if (field.Name == "__schema" || field.Name == "__type")
            {
                ctx.ReportError(new ValidationError(ctx.Document.Source, "5.0", "introspection is disabled on this server", field) { Code = "INTROSPECTION_DISABLED" });
            }
        }));
}
