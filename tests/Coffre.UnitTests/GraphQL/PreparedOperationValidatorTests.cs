using System.Text.Json;
using Coffre.GraphQL;
using Coffre.GraphQL.Schema;
using Coffre.GraphQL.Validation;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Coffre.UnitTests.GraphQL;

/// <summary>
/// The prepared validator must give a validated text's request exactly what GraphQL.NET's validator gives it: the same
/// coerced variables, argument values and directive values, and for refused values the same errors. Each case runs
/// both on the real schema and compares them.
/// </summary>
public sealed class PreparedOperationValidatorTests : IDisposable
{
    private const string Activation =
        "mutation Activate($input: ActivateVaultInput!) { activateVault(input: $input) { session { vaultId token } userErrors { code } } }";

    private const string Documents =
        "query Q($id: ID!) { vault(id: $id) { vaultId documents(first: 20) { totalCount edges { cursor node { documentId title } } } } }";

    /// <summary>Fragments spread twice, a union's inline fragments, an interface's, directives, defaults, lists and nullable variables.</summary>
    private const string Mixed = """
        query Mixed($id: ID!, $first: Int = 5, $classes: [String!], $withGrants: Boolean!, $skipCount: Boolean = false, $ids: [ID!]!, $why: String) {
          vault(id: $id) {
            ...Head
            counted: documents(first: $first, classCodes: $classes) @skip(if: $skipCount) { totalCount }
            grants @include(if: $withGrants) { __typename }
            notifications(first: 3) {
              kind
              payload { __typename ... on NewDocumentNotice { documentId classCode } ... Notice }
            }
            why(action: LIST_DOCUMENTS, documentId: $why) { __typename }
          }
          nodes(ids: $ids) { id ... on Vault { ...Head two: documents(first: 2) { totalCount } } }
        }
        fragment Head on Vault { vaultId head: documents(classCodes: ["11"]) { totalCount } }
        fragment Notice on NewDocumentNotice { typeCode }
        """;

    /// <summary>What GraphiQL and code generators send: meta fields with arguments and nested fragments.</summary>
    private const string Introspection = """
        query Introspect($deprecated: Boolean = true, $name: String!) {
          __schema { queryType { name } types { ...Type } directives { name args { ...Input } } }
          __type(name: $name) { name fields(includeDeprecated: $deprecated) { name args { ...Input } } }
        }
        fragment Type on __Type { kind name fields(includeDeprecated: true) { name args { ...Input } type { ...Ref } } inputFields { ...Input } }
        fragment Input on __InputValue { name defaultValue type { ...Ref } }
        fragment Ref on __Type { kind name ofType { kind name ofType { kind name } } }
        """;

    private readonly ServiceProvider _services;
    private readonly CoffreSchema _schema;

    public PreparedOperationValidatorTests()
    {
        var services = new ServiceCollection();
        services.AddCoffreGraphQL(introspectionByDefault: false);
        _services = services.BuildServiceProvider();
        _schema = _services.GetRequiredService<CoffreSchema>();
        _schema.Initialize();
    }

    public void Dispose() => _services.Dispose();

    public static TheoryData<string, string> Requests => new()
    {
        { Activation, """{"input":{"nir":"1 75 03 75 123 456 78","birthDate":"1975-03-02","vitaleSerial":"1234","code":"ABCDE-FGHJK-M"}}""" },
        { Documents, """{"id":"v-123"}""" },
        { Mixed, """{"id":"v-1","withGrants":true,"ids":["v-1","v-2"]}""" },
        { Mixed, """{"id":"v-1","first":7,"classes":["11","12"],"withGrants":false,"skipCount":true,"ids":[],"why":"d-1"}""" },
        { Mixed, """{"id":"v-1","first":null,"classes":null,"withGrants":true,"ids":["v-3"]}""" },
        { Introspection, """{"name":"Vault"}""" },
        { Introspection, """{"name":"Document","deprecated":false}""" },
    };

    /// <summary>Requests whose variables or arguments are refused: a missing non-null value, a wrong type, a bad date, a null where none may be.</summary>
    public static TheoryData<string, string> Refused => new()
    {
        { Activation, """{"input":{"nir":"1","vitaleSerial":"1234","code":"ABCDE-FGHJK-M"}}""" },
        { Activation, """{"input":{"nir":"1","birthDate":"not a date","vitaleSerial":"1234","code":"x"}}""" },
        { Activation, "{}" },
        { Documents, """{"id":["v-1"]}""" },
        { Mixed, """{"id":"v-1","first":"many","withGrants":true,"ids":[]}""" },
        { Mixed, """{"id":"v-1","withGrants":null,"ids":[]}""" },
        { Mixed, """{"id":"v-1","withGrants":true,"ids":[null]}""" },
        { Introspection, """{"deprecated":true}""" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task A_validated_text_gets_the_same_variables_arguments_and_directives(string query, string variables)
    {
        // The text passes every rule, as a cached text has.
        var checkedByRules = await new DocumentValidator().ValidateAsync(Options(GraphQLParser.Parser.Parse(query), variables, DocumentValidator.CoreRules));
        Assert.True(checkedByRules.IsValid, Errors(checkedByRules));

        var (standard, prepared) = await BothAsync(query, variables);

        Assert.True(standard.IsValid, Errors(standard));
        Assert.True(prepared.IsValid);
        Assert.Equal(Describe(standard), Describe(prepared));
        Assert.NotEqual("", Describe(prepared));
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_refused_value_gets_the_same_errors(string query, string variables)
    {
        var (standard, prepared) = await BothAsync(query, variables);

        Assert.False(standard.IsValid);
        Assert.Equal(Errors(standard), Errors(prepared));
    }

    [Fact]
    public async Task An_operation_is_prepared_once_and_requests_with_rules_are_not_prepared()
    {
        var validator = new PreparedOperationValidator(new DocumentValidator());
        var document = GraphQLParser.Parser.Parse(Documents);
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await validator.ValidateAsync(Options(document, $$"""{"id":"v-{{i}}"}""", rules: []))).IsValid);
        }
        Assert.Equal(1, validator.PreparedCount);

        var other = GraphQLParser.Parser.Parse(Activation);
        var withRules = await validator.ValidateAsync(Options(other, "{}", rules: DocumentValidator.CoreRules));
        Assert.False(withRules.IsValid);
        Assert.Equal(1, validator.PreparedCount);
    }

    [Fact]
    public void The_composition_validates_through_the_prepared_validator() =>
        Assert.IsType<PreparedOperationValidator>(_services.GetRequiredService<IDocumentValidator>());

    private async Task<(IValidationResult Standard, IValidationResult Prepared)> BothAsync(string query, string variables)
    {
        var document = GraphQLParser.Parser.Parse(query);
        var standard = await new DocumentValidator().ValidateAsync(Options(document, variables, rules: []));
        var validator = new PreparedOperationValidator(new DocumentValidator());
        // Twice: the second request reuses the prepared operation and its context.
        await validator.ValidateAsync(Options(document, variables, rules: []));
        var prepared = await validator.ValidateAsync(Options(document, variables, rules: []));
        return (standard, prepared);
    }

    private ValidationOptions Options(GraphQLDocument document, string variables, IEnumerable<IValidationRule> rules) => new()
    {
        Schema = _schema,
        Document = document,
        Operation = document.Definitions.OfType<GraphQLOperationDefinition>().Single(),
        Rules = rules,
        Variables = new global::GraphQL.SystemTextJson.GraphQLSerializer().Deserialize<Inputs>(variables) ?? Inputs.Empty,
        Extensions = Inputs.Empty,
        UserContext = new Dictionary<string, object?>(),
        Metrics = global::GraphQL.Instrumentation.Metrics.None,
    };

    /// <summary>Every coerced variable, argument and directive value with the node it belongs to, as text.</summary>
    private static string Describe(IValidationResult result)
    {
        var lines = new List<string>();
        foreach (var variable in result.Variables ?? Variables.None)
        {
            lines.Add($"var {variable.Name} default={variable.IsDefault} value={Json(variable.Value)}");
        }
        foreach (var (field, arguments) in result.ArgumentValues ?? new Dictionary<GraphQLField, IDictionary<string, ArgumentValue>>().AsReadOnly())
        {
            foreach (var (name, value) in arguments.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                lines.Add($"arg {field.Location.Start} {field.Name.StringValue}.{name} {value.Source} {Json(value.Value)}");
            }
        }
        foreach (var (node, directives) in result.DirectiveValues ?? new Dictionary<ASTNode, IDictionary<string, DirectiveInfo>>().AsReadOnly())
        {
            foreach (var (name, directive) in directives.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                lines.Add($"directive {node.Location.Start} @{name} {string.Join(",", directive.Arguments.Select(a => $"{a.Key}={Json(a.Value.Value)}"))}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines);
    }

    private static string Errors(IValidationResult result) =>
        string.Join("\n", result.Errors.Select(e => $"{e.Code} {e.Message} at {string.Join(",", e.Locations?.Select(l => $"{l.Line}:{l.Column}") ?? [])}"));

    private static string Json(object? value) => JsonSerializer.Serialize(value);
}
