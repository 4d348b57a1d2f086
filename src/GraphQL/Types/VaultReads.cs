using Coffre.Domain.Access;
using Coffre.Grains.Vaults;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Coffre.GraphQL.Types;

/// <summary>
/// One vault-grain call per vault in a query: the field that returns a <see cref="VaultType"/> (vault, node,
/// vaultByNir, viewer.vault, a payload's vault) reads its own selection and asks the grain, in one
/// <see cref="IVaultGrain.ReadAsync"/>, for the capabilities only when selected and for the first
/// <c>documents</c> selection's page. The nested resolvers use what came back, and make their own call when it
/// does not match (another alias with other arguments, a field under a directive).
/// </summary>
public static class VaultReads
{
    private const string VaultTypeName = "Vault";

    /// <summary>Reads the vault for the field being resolved (its selection decides what the grain computes).</summary>
    public static Task<VaultView> ReadVaultAsync(this IResolveFieldContext ctx, string vaultId, Caller caller) =>
        ctx.Vault(vaultId).ReadAsync(caller, PlanOf(ctx));

    /// <summary>What the field's selection needs from the vault grain.</summary>
    public static VaultRead PlanOf(IResolveFieldContext ctx)
    {
        var capabilities = false;
        GraphQLField? documents = null;
        var documentsPlannable = true;
        foreach (var field in VaultFields(ctx.FieldAst.SelectionSet, ctx.Document, 0))
        {
            switch (field.Name.StringValue)
            {
                case "capabilities":
                    capabilities = true;
                    break;
                case "documents" when documents is null:
                    documents = field;
                    // A field under @skip/@include is left to its own call: prefetching it would record a list nobody saw.
                    documentsPlannable = field.Directives is not { Count: > 0 };
                    break;
            }
        }
        var query = documents is not null && documentsPlannable ? DocumentsQueryOf(ctx, documents) : null;
        return new VaultRead(capabilities, query);
    }

    /// <summary>The documents query a field's arguments describe (shared by the plan and the documents resolver, so both agree).</summary>
    public static DocumentQuery DocumentQueryOf(IDictionary<string, ArgumentValue>? arguments)
    {
        object? Arg(string name) => arguments is not null && arguments.TryGetValue(name, out var value) ? value.Value : null;
        return new DocumentQuery(
            Codes(Arg("classCodes")), Codes(Arg("typeCodes")),
            Arg("from") as DateTimeOffset?, Arg("to") as DateTimeOffset?,
            Arg("first") is int first ? first : 20, Arg("after") as string);
    }

    /// <summary>The page for this documents field: the prefetched one when its query matches, else one more call.</summary>
    public static async Task<DocumentPage> DocumentsAsync(IResolveFieldContext<VaultView> ctx)
    {
        var query = DocumentQueryOf(ctx.Arguments);
        if (ctx.Source.Documents is { } prefetched && prefetched.Query.Matches(query))
        {
            return prefetched.Page ?? throw prefetched.Error!;
        }
        return await ctx.Vault(ctx.Source.VaultId).ListDocumentsAsync(ctx.Caller(), query);
    }

    /// <summary>The capabilities: computed by the read when selected, else (a selection the plan did not see) one more call.</summary>
    public static async Task<IReadOnlyList<VaultAction>> CapabilitiesAsync(IResolveFieldContext<VaultView> ctx) =>
        ctx.Source.Capabilities
        ?? (await ctx.Vault(ctx.Source.VaultId).ReadAsync(ctx.Caller(), new VaultRead(Capabilities: true))).Capabilities!;

    private static DocumentQuery? DocumentsQueryOf(IResolveFieldContext ctx, GraphQLField field)
    {
        if (ctx.Schema.AllTypes[VaultTypeName] is not IComplexGraphType vaultType || vaultType.GetField("documents") is not { } definition)
        {
            return null;
        }
        try
        {
            return DocumentQueryOf(ExecutionHelper.GetArguments(definition.Arguments, field.Arguments, ctx.Variables, ctx.Document, field, null));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null; // not prefetched: the documents field's own resolution reports the problem
        }
    }

    private static IReadOnlyList<string>? Codes(object? value) => value is IEnumerable<object?> items ? items.Select(i => (string)i!).ToList() : null;

    /// <summary>The fields selected on a Vault: directly, in inline fragments on Vault or Node, and in named fragments.</summary>
    private static IEnumerable<GraphQLField> VaultFields(GraphQLSelectionSet? selectionSet, GraphQLDocument document, int depth)
    {
        if (selectionSet is null || depth > 8)
        {
            yield break;
        }
        foreach (var selection in selectionSet.Selections)
        {
            switch (selection)
            {
                case GraphQLField field:
                    yield return field;
                    break;
                // A fragment under @skip/@include is left out of the plan like such a field: its fields make their own calls.
                case GraphQLInlineFragment inline when inline.Directives is not { Count: > 0 } && AppliesToVault(inline.TypeCondition):
                    foreach (var field in VaultFields(inline.SelectionSet, document, depth + 1))
                    {
                        yield return field;
                    }
                    break;
                case GraphQLFragmentSpread spread when spread.Directives is not { Count: > 0 }
                    && Fragment(document, spread.FragmentName.Name.StringValue) is { } fragment && AppliesToVault(fragment.TypeCondition):
                    foreach (var field in VaultFields(fragment.SelectionSet, document, depth + 1))
                    {
                        yield return field;
                    }
                    break;
            }
        }
    }

    private static GraphQLFragmentDefinition? Fragment(GraphQLDocument document, string name) =>
        document.Definitions.OfType<GraphQLFragmentDefinition>().FirstOrDefault(f => f.FragmentName.Name.StringValue == name);

    private static bool AppliesToVault(GraphQLTypeCondition? condition) =>
        condition is null || condition.Type.Name.StringValue is VaultTypeName or "Node";
}
