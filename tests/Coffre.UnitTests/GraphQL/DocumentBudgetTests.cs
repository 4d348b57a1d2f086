using System.Diagnostics;
using Coffre.GraphQL.Validation;
using GraphQL;
using Xunit;

namespace Coffre.UnitTests.GraphQL;

public sealed class DocumentBudgetTests
{
    private static readonly DocumentLimits Limits = new(MaxFragments: 100, MaxExpandedSelections: 5000, MaxDepth: 12, MaxComplexity: 5000, IntrospectionMaxDepth: 15);

    private static string Bomb(int levels)
    {
        var fragments = new List<string> { "fragment F0 on Query { service { name } }" };
        for (var i = 1; i <= levels; i++)
        {
            fragments.Add($"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}");
        }
        return $"{{ ...F{levels} }} " + string.Join(' ', fragments);
    }

    private static DocumentCost Measure(string query, Inputs? variables = null) =>
        DocumentBudget.Measure(GraphQLParser.Parser.Parse(query), variables, null);

    [Fact]
    public void A_fragment_bomb_is_measured_exactly_and_at_once()
    {
        var clock = Stopwatch.StartNew();
        var cost = Measure(Bomb(90));
        clock.Stop();
        // F0 has 2 fields; Fi = 2 × F(i-1); the operation spreads F90 and every definition is counted.
        Assert.Equal(2 * Math.Pow(2, 90) * 2 - 2 + 2 * Math.Pow(2, 90), cost.ExpandedSelections, 1e12);
        Assert.Equal(91, cost.Fragments);
        Assert.Equal(2, cost.Depth);
        Assert.True(clock.ElapsedMilliseconds < 1000, $"{clock.ElapsedMilliseconds} ms");
        var refused = DocumentBudget.Check(GraphQLParser.Parser.Parse(Bomb(22)), null, null, Limits, introspectionAllowed: true);
        Assert.Equal("COMPLEXITY", refused!.Code);
        Assert.Equal("expandedSelections", refused.Extensions!["limit"]);
    }

    [Fact]
    public void Depth_counts_fields_through_fragments_and_inline_fragments()
    {
        var cost = Measure("{ a { ...B } } fragment B on T { b { ... on U { c { d } } } }");
        Assert.Equal(4, cost.Depth);
        Assert.Equal(4 + 3, cost.ExpandedSelections); // the operation expands to a, b, c, d; the fragment alone to b, c, d
    }

    [Fact]
    public void Complexity_multiplies_a_selection_by_its_page_size_from_literals_and_variables()
    {
        Assert.Equal(1 + 1 + 100 * (1 + 2), Measure("{ vault { documents(first: 100) { edges { cursor title } } } }").Complexity);
        Assert.Equal(1 + 1 + 7 * 2, Measure("query($n: Int) { vault { documents(first: $n) { a b } } }", new Inputs(new Dictionary<string, object?> { ["n"] = 7 })).Complexity);
        Assert.Equal(1 + 1 + 1000 * 1, Measure("{ vault { documents(last: 99999999) { a } } }").Complexity); // clamped
    }

    [Fact]
    public void Unknown_fragments_and_cycles_measure_as_empty_for_validation_to_report()
    {
        Assert.Equal(1, Measure("{ a ...Missing }").ExpandedSelections);
        Assert.True(Measure("{ ...A } fragment A on Q { x ...B } fragment B on Q { y ...A }").ExpandedSelections < 10);
    }

    [Fact]
    public void Introspection_only_operations_get_their_own_depth_where_introspection_is_on()
    {
        var deep = "{ __schema { types { fields { type { " + string.Concat(Enumerable.Repeat("ofType { ", 9)) + "name" + new string('}', 9 + 4 + 1).Replace("}", " }");
        Assert.Null(DocumentBudget.Check(GraphQLParser.Parser.Parse(deep), null, null, Limits, introspectionAllowed: true));
        Assert.Equal("depth", DocumentBudget.Check(GraphQLParser.Parser.Parse(deep), null, null, Limits, introspectionAllowed: false)!.Extensions!["limit"]);
    }
}
