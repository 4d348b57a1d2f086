using System.Globalization;
using GraphQL;
using GraphQLParser.AST;

namespace Coffre.GraphQL.Validation;

/// <summary>What one document may cost before GraphQL validation looks at it (configuration section <c>Coffre:GraphQL</c>).</summary>
public sealed record DocumentLimits(int MaxFragments, int MaxExpandedSelections, int MaxDepth, int MaxComplexity, int IntrospectionMaxDepth);

/// <summary>The measured size of a document as executed: fragments spread where they are used.</summary>
public readonly record struct DocumentCost(int Fragments, double ExpandedSelections, int Depth, double Complexity);

/// <summary>
/// Measures a parsed document in one pass, linear in its size: each fragment definition is measured once and its
/// measure reused wherever it is spread, so a chain of fragments that each spread the previous one twice (a
/// "fragment bomb": 1 KB that expands to millions of fields) costs as little to measure as to read. The request is
/// refused before validation or execution when the expanded document is too large, too deep or too complex; GraphQL
/// validation, whose rules expand fragments, then only ever sees bounded documents.
/// <para>
/// Measures: <b>expanded selections</b> = fields once every spread is replaced by its fragment, summed over every
/// operation and fragment definition (validation walks them all, used or not); <b>depth</b> = nesting of fields;
/// <b>complexity</b> = each field costs 1 plus its selection times its page size (<c>first</c>/<c>last</c>, from a
/// literal or a variable; 1 when absent).
/// </para>
/// </summary>
public static class DocumentBudget
{
    private const int MaxPageMultiplier = 1_000;

    public static DocumentCost Measure(GraphQLDocument document, Inputs? variables, GraphQLOperationDefinition? operation)
    {
        var fragments = new Dictionary<string, GraphQLFragmentDefinition>(StringComparer.Ordinal);
        var definitions = 0;
        foreach (var fragment in document.Definitions.OfType<GraphQLFragmentDefinition>())
        {
            definitions++; // repeated names count too: validation walks every definition
            fragments.TryAdd(fragment.FragmentName.Name.StringValue, fragment);
        }
        var measurer = new Measurer(fragments, variables);
        double expanded = 0;
        var depth = 0;
        double complexity = 0;
        foreach (var definition in document.Definitions)
        {
            var set = definition switch
            {
                GraphQLOperationDefinition o => o.SelectionSet,
                GraphQLFragmentDefinition f => f.SelectionSet,
                _ => null,
            };
            if (set is null)
            {
                continue;
            }
            var measure = measurer.Of(set);
            expanded += measure.Fields;
            if (definition is GraphQLOperationDefinition op && (operation is null || ReferenceEquals(op, operation)))
            {
                depth = Math.Max(depth, measure.Depth);
                complexity = Math.Max(complexity, measure.Cost);
            }
        }
        return new DocumentCost(definitions, expanded, depth, complexity);
    }

    /// <summary>The first limit the document exceeds, as a request error naming it; null when within every limit.</summary>
    public static ExecutionError? Check(GraphQLDocument document, Inputs? variables, GraphQLOperationDefinition? operation, DocumentLimits limits, bool introspectionAllowed)
    {
        var cost = Measure(document, variables, operation);
        if (cost.Fragments > limits.MaxFragments)
        {
            return Refuse("fragments", $"the document defines {cost.Fragments} fragments; at most {limits.MaxFragments} are allowed");
        }
        if (cost.ExpandedSelections > limits.MaxExpandedSelections)
        {
            return Refuse("expandedSelections", $"the document expands to {Format(cost.ExpandedSelections)} selections once its fragments are spread; at most {limits.MaxExpandedSelections} are allowed");
        }
        var maxDepth = introspectionAllowed && IsIntrospectionOnly(document, operation) ? limits.IntrospectionMaxDepth : limits.MaxDepth;
        if (cost.Depth > maxDepth)
        {
            return Refuse("depth", $"the query is nested {cost.Depth} levels deep; at most {maxDepth} are allowed");
        }
        if (cost.Complexity > limits.MaxComplexity)
        {
            return Refuse("complexity", $"the query is too complex ({Format(cost.Complexity)}; at most {limits.MaxComplexity}): ask for smaller pages or fewer fields");
        }
        return null;
    }

    private static ExecutionError Refuse(string limit, string message)
    {
        var error = new ExecutionError(message) { Code = "COMPLEXITY" };
        (error.Extensions ??= [])["limit"] = limit;
        return error;
    }

    private static string Format(double value) => value >= 1e15 ? "more than 10^15" : value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Every root field of the operation(s) is an introspection field (<c>__schema</c>, <c>__type</c>, <c>__typename</c>).</summary>
    private static bool IsIntrospectionOnly(GraphQLDocument document, GraphQLOperationDefinition? operation) =>
        (operation is null ? document.Definitions.OfType<GraphQLOperationDefinition>() : [operation])
            .All(o => o.SelectionSet.Selections.All(s => s is GraphQLField f && f.Name.Value.Span.StartsWith("__")));

    private readonly record struct Size(double Fields, int Depth, double Cost);

    /// <summary>Memoised over fragment definitions; a fragment cycle measures as empty (validation reports the cycle).</summary>
    private sealed class Measurer(Dictionary<string, GraphQLFragmentDefinition> fragments, Inputs? variables)
    {
        private readonly Dictionary<string, Size> _done = new(StringComparer.Ordinal);
        private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);

        public Size Of(GraphQLSelectionSet set)
        {
            double fields = 0;
            var depth = 0;
            double cost = 0;
            foreach (var selection in set.Selections)
            {
                var measure = selection switch
                {
                    GraphQLField field => OfField(field),
                    GraphQLFragmentSpread spread => OfFragment(spread.FragmentName.Name.StringValue),
                    GraphQLInlineFragment inline => Of(inline.SelectionSet),
                    _ => default,
                };
                fields += measure.Fields;
                depth = Math.Max(depth, measure.Depth);
                cost += measure.Cost;
            }
            return new Size(fields, depth, cost);
        }

        private Size OfField(GraphQLField field)
        {
            if (field.SelectionSet is not { } set)
            {
                return new Size(1, 1, 1);
            }
            var children = Of(set);
            return new Size(1 + children.Fields, 1 + children.Depth, 1 + PageSize(field) * children.Cost);
        }

        private Size OfFragment(string name)
        {
            if (_done.TryGetValue(name, out var known))
            {
                return known;
            }
            if (!fragments.TryGetValue(name, out var fragment) || !_inProgress.Add(name))
            {
                return default; // unknown fragment or a cycle: validation reports it
            }
            var measure = Of(fragment.SelectionSet);
            _inProgress.Remove(name);
            _done[name] = measure;
            return measure;
        }

        private double PageSize(GraphQLField field)
        {
            foreach (var argument in field.Arguments?.Items ?? [])
            {
                if (argument.Name.Value.Span is not ("first" or "last"))
                {
                    continue;
                }
                var value = argument.Value switch
                {
                    GraphQLIntValue literal when long.TryParse(literal.Value.Span, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
                    GraphQLVariable variable when variables is not null && variables.TryGetValue(variable.Name.StringValue, out var v) && v is not null
                        && long.TryParse(Convert.ToString(v, CultureInfo.InvariantCulture), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
                    _ => 1,
                };
                return Math.Clamp(value, 1, MaxPageMultiplier);
            }
            return 1;
        }
    }
}
