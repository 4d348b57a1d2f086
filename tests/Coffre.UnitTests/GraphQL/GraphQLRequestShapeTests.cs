using System.Text;
using System.Text.Json;
using Coffre.GraphQL.Transport;
using Xunit;

namespace Coffre.UnitTests.GraphQL;

/// <summary>A POSTed body that is not a GraphQL request: the 400 names the field at fault and its rule.</summary>
public sealed class GraphQLRequestShapeTests
{
    private static (string Field, string Rule) Diagnose(string body) => GraphQLRequestShape.Diagnose(Encoding.UTF8.GetBytes(body));

    [Theory]
    [InlineData("""{"query": 5}""", "query", "'query' must be a string")]
    [InlineData("""{"query": {"text": "{ a }"}}""", "query", "'query' must be a string")]
    [InlineData("""{"query": "{ a }", "operationName": 3}""", "operationName", "'operationName' must be a string or null")]
    [InlineData("""{"query": "{ a }", "variables": "{\"id\": 1}"}""", "variables", "'variables' must be a JSON object")]
    [InlineData("""{"query": "{ a }", "variables": [1, 2]}""", "variables", "'variables' must be a JSON object")]
    [InlineData("""{"query": "{ a }", "extensions": true}""", "extensions", "'extensions' must be a JSON object")]
    [InlineData("""[{"query": "{ a }"}]""", "body", "batches (an array of requests) are not accepted")]
    [InlineData("\"{ a }\"", "body", "must be a JSON object with a 'query' string")]
    public void A_well_formed_body_of_the_wrong_shape_names_its_field(string body, string field, string rule)
    {
        var (f, r) = Diagnose(body);
        Assert.Equal(field, f);
        Assert.Contains(rule, r, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_that_is_not_json_says_where_without_echoing_it()
    {
        var (field, rule) = Diagnose("{\"query\": \"{ a }\",\n \"variables\": {\"nir\": 1840575123456");
        Assert.Equal("body", field);
        Assert.StartsWith("the body is not valid JSON (", rule, StringComparison.Ordinal);
        Assert.Contains("line 2", rule, StringComparison.Ordinal);
        Assert.DoesNotContain("1840575123456", rule, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_body_is_not_json()
    {
        var (field, rule) = Diagnose("");
        Assert.Equal("body", field);
        Assert.StartsWith("the body is not valid JSON (", rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_optional_members_are_allowed_and_the_rest_is_named_as_a_whole()
    {
        // Every member has its type here: whatever else refused it (a value no converter takes), the whole body is named.
        var (field, rule) = Diagnose("""{"query": "{ a }", "operationName": null, "variables": null, "extensions": null}""");
        Assert.Equal("body", field);
        Assert.Contains("'variables' and 'extensions' objects", rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"query": "subscription { a }", "variables": [1]}""", "variables")]
    [InlineData("""{"query": null}""", "query")]
    [InlineData("""{"query": "{ a }", "operationName": {}}""", "operationName")]
    public void A_subscribe_payload_member_of_the_wrong_type_is_named(string payload, string field)
    {
        using var document = JsonDocument.Parse(payload);
        Assert.Equal(field, GraphQLRequestShape.WrongMember(document.RootElement)?.Field);
    }

    [Fact]
    public void A_payload_whose_members_have_their_types_has_no_wrong_member()
    {
        using var document = JsonDocument.Parse("""{"variables": {"id": 1}, "extensions": null, "other": [1]}""");
        Assert.Null(GraphQLRequestShape.WrongMember(document.RootElement));
    }
}
