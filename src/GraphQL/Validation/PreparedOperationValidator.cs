using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser;
using GraphQLParser.AST;

namespace Coffre.GraphQL.Validation;

/// <summary>
/// The validator for operations whose text already passed every rule (the request executor then asks for no rule,
/// see <see cref="Transport.DocumentCache"/>). Such a request still needs its variables coerced and its arguments
/// parsed, but not the walks that find out where they are: GraphQL.NET's validator walks the whole operation with
/// type information for each request to find the variables' usages, and again to find the fields with arguments.
/// Here both walks happen once per operation (<see cref="PreparedOperation"/>); each request then coerces its
/// variables and parses the arguments of the fields found.
/// <para>
/// A request with any rule, or whose variables or arguments are refused, goes to GraphQL.NET's own validator, so every
/// error keeps its usual words, codes and locations. A prepared operation lives as long as its parsed document.
/// </para>
/// </summary>
public sealed class PreparedOperationValidator(IDocumentValidator standard) : IDocumentValidator
{
    private readonly ConditionalWeakTable<GraphQLOperationDefinition, PreparedOperation> _prepared = [];

    public Task<IValidationResult> ValidateAsync(in ValidationOptions options)
    {
        if (options.Rules is null || options.Rules.Any() || options.Operation is null)
        {
            return standard.ValidateAsync(options);
        }
        var (schema, document) = (options.Schema, options.Document);
        schema.Initialize();
        var prepared = _prepared.GetValue(options.Operation, operation => PreparedOperation.Of(schema, document, operation));
        // Prepared against the schema of its first request: any other schema is validated the usual way.
        return prepared.Preparable && prepared.Schema == schema ? PreparedAsync(prepared, options) : standard.ValidateAsync(options);
    }

    /// <summary>Prepared operations built so far and still alive (for tests).</summary>
    public int PreparedCount => _prepared.Count();

    private async Task<IValidationResult> PreparedAsync(PreparedOperation prepared, ValidationOptions options)
    {
        var result = await prepared.TryValidateAsync(options);
        return result ?? await standard.ValidateAsync(options);
    }
}

/// <summary>
/// What one validated operation needs per request, found once: the fields that carry arguments and the nodes that
/// carry directives in the operation and the fragments it spreads, each with its field definition, and a few
/// validation contexts that keep the variables' usages they computed once.
/// </summary>
public sealed class PreparedOperation
{
    /// <summary>Contexts kept for reuse; a burst beyond this many builds more and lets them go.</summary>
    private static readonly int ContextsKept = Math.Max(8, Environment.ProcessorCount * 8);

    private readonly ISchema _schema;
    private readonly GraphQLDocument _document;
    private readonly GraphQLOperationDefinition _operation;
    private readonly List<(GraphQLField Node, FieldType Definition)> _fieldsWithArguments = [];
    private readonly List<ASTNode> _nodesWithDirectives = [];
    private readonly ConcurrentBag<ValidationContext> _contexts = [];

    private PreparedOperation(ISchema schema, GraphQLDocument document, GraphQLOperationDefinition operation)
    {
        _schema = schema;
        _document = document;
        _operation = operation;
    }

    /// <summary>False for an operation this class does not prepare (an operation type the schema lacks): the standard validator takes it.</summary>
    public bool Preparable { get; private init; }

    /// <summary>The schema the operation was prepared against.</summary>
    public ISchema Schema => _schema;

    public static PreparedOperation Of(ISchema schema, GraphQLDocument document, GraphQLOperationDefinition operation)
    {
        IComplexGraphType? root = operation.Operation switch
        {
            OperationType.Query => schema.Query,
            OperationType.Mutation => schema.Mutation,
            OperationType.Subscription => schema.Subscription,
            _ => null,
        };
        if (root is null)
        {
            return new PreparedOperation(schema, document, operation) { Preparable = false };
        }
        var prepared = new PreparedOperation(schema, document, operation) { Preparable = true };
        prepared.NoteDirectives(operation);
        foreach (var variable in operation.Variables?.Items ?? [])
        {
            prepared.NoteDirectives(variable);
        }
        prepared.Walk(operation.SelectionSet, root, new HashSet<string>(StringComparer.Ordinal));
        return prepared;
    }

    /// <summary>
    /// The request's coerced variables and parsed arguments and directives, or null when any of them is refused (the
    /// standard validator then reports the errors).
    /// </summary>
    public async ValueTask<IValidationResult?> TryValidateAsync(ValidationOptions options)
    {
        if (!_contexts.TryTake(out var context))
        {
            context = new ValidationContext { Schema = _schema, Document = _document, Operation = _operation };
        }
        Variables variables;
        try
        {
            context.Variables = options.Variables;
            context.UserContext = options.UserContext;
            context.RequestServices = options.RequestServices;
            context.User = options.User;
            context.CancellationToken = options.CancellationToken;
            var (coerced, errors) = await context.GetVariablesValuesAsync();
            if (errors is { Count: > 0 })
            {
                return null;
            }
            variables = coerced;
        }
        finally
        {
            // The request's values and identity are not kept past the request.
            context.Variables = Inputs.Empty;
            context.UserContext = null!;
            context.RequestServices = null;
            context.User = null;
            context.CancellationToken = default;
            if (_contexts.Count < ContextsKept)
            {
                _contexts.Add(context);
            }
        }
        try
        {
            Dictionary<GraphQLField, IDictionary<string, ArgumentValue>>? arguments = null;
            foreach (var (node, definition) in _fieldsWithArguments)
            {
                if (ExecutionHelper.GetArguments(definition.Arguments, node.Arguments, variables, _document, node, null) is { } values)
                {
                    (arguments ??= [])[node] = values;
                }
            }
            Dictionary<ASTNode, IDictionary<string, DirectiveInfo>>? directives = null;
            foreach (var node in _nodesWithDirectives)
            {
                if (ExecutionHelper.GetDirectives((IHasDirectivesNode)node, variables, _schema, _document) is { } values)
                {
                    (directives ??= [])[node] = values;
                }
            }
            return new ValidationResult([]) { Variables = variables, ArgumentValues = arguments, DirectiveValues = directives };
        }
        catch (ValidationError)
        {
            return null;
        }
    }

    private void NoteDirectives(ASTNode node)
    {
        if (node is IHasDirectivesNode { Directives.Count: > 0 })
        {
            _nodesWithDirectives.Add(node);
        }
    }

    /// <summary>
    /// Visits a selection set as GraphQL.NET's argument parsing does: a field is looked up on the enclosing object or
    /// interface type (meta fields on the schema), a fragment spread is followed the first time its name is met, an
    /// inline fragment or fragment on an object or interface type encloses its selections in that type and one on a
    /// union leaves the enclosing type as it is.
    /// </summary>
    private void Walk(GraphQLSelectionSet? selections, IComplexGraphType? type, HashSet<string> visitedFragments)
    {
        foreach (var selection in selections?.Selections ?? [])
        {
            NoteDirectives(selection);
            switch (selection)
            {
                case GraphQLField field:
                    WalkField(field, type, visitedFragments);
                    break;
                case GraphQLInlineFragment inline:
                    WalkConditioned(inline.TypeCondition, inline.SelectionSet, type, visitedFragments);
                    break;
                case GraphQLFragmentSpread spread when visitedFragments.Add(spread.FragmentName.Name.StringValue)
                    && _document.FindFragmentDefinition(spread.FragmentName.Name.Value) is { } fragment:
                    NoteDirectives(fragment);
                    WalkConditioned(fragment.TypeCondition, fragment.SelectionSet, type, visitedFragments);
                    break;
            }
        }
    }

    private void WalkConditioned(GraphQLTypeCondition? condition, GraphQLSelectionSet selections, IComplexGraphType? type, HashSet<string> visitedFragments)
    {
        if (condition is null)
        {
            Walk(selections, type, visitedFragments);
            return;
        }
        switch (_schema.AllTypes[condition.Type.Name.Value]?.GetNamedType())
        {
            case IComplexGraphType conditioned:
                Walk(selections, conditioned, visitedFragments);
                break;
            case IAbstractGraphType:
                Walk(selections, type, visitedFragments);
                break;
        }
    }

    private void WalkField(GraphQLField field, IComplexGraphType? type, HashSet<string> visitedFragments)
    {
        var name = field.Name.Value;
        var definition =
            name == _schema.TypeMetaFieldType.Name ? _schema.TypeMetaFieldType :
            name == _schema.TypeNameMetaFieldType.Name ? _schema.TypeNameMetaFieldType :
            name == _schema.SchemaMetaFieldType.Name ? _schema.SchemaMetaFieldType :
            type?.Fields.Find(name);
        if (definition is null)
        {
            return;
        }
        if (field.Arguments?.Count > 0)
        {
            _fieldsWithArguments.Add((field, definition));
        }
        switch (definition.ResolvedType?.GetNamedType())
        {
            case IComplexGraphType complex:
                Walk(field.SelectionSet, complex, visitedFragments);
                break;
            case UnionGraphType:
                Walk(field.SelectionSet, type, visitedFragments);
                break;
        }
    }
}
