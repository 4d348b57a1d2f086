using System.Security.Claims;
using Coffre.Domain;
using Coffre.GraphQL.Errors;
using Coffre.GraphQL.Schema;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Transport;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.Options;

namespace Coffre.GraphQL.Transport;

public enum ExecutionKind
{
    Executed,
    RequestError,
    MutationOverGet,
}

public sealed record ExecutionOutcome(ExecutionKind Kind, ExecutionResult Result);

/// <summary>
/// Runs one GraphQL request with Coffre's limits (document size, depth, complexity, aliases, timeout) and
/// error translation. Shared by the HTTP endpoint and the WebSocket transport.
/// </summary>
public sealed class GraphQLRequestExecutor(IDocumentExecuter<CoffreSchema> executer, IOptions<GraphQLOptions> options, IEnumerable<IValidationRule> extraRules, CoffreSchema schema,
    Authorization.CallerResolver callers, DocumentCache documents)
{
    private readonly IEnumerable<IValidationRule> _rules = [.. DocumentValidator.CoreRules, .. extraRules];

    public async Task<ExecutionOutcome> ExecuteAsync(GraphQLRequest request, ClaimsPrincipal user, IServiceProvider services, bool allowMutations, CancellationToken cancellationToken)
    {
        var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = await ExecuteMeasuredAsync(request, user, services, allowMutations, cancellationToken);
        ApiMetrics.Answered(outcome.Kind, outcome.Result.Errors is { Count: > 0 }, startedAt);
        return outcome;
    }

    private async Task<ExecutionOutcome> ExecuteMeasuredAsync(GraphQLRequest request, ClaimsPrincipal user, IServiceProvider services, bool allowMutations, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        if (System.Text.Encoding.UTF8.GetByteCount(request.Query ?? "") > limits.MaxDocumentBytes)
        {
            return RequestError("DOCUMENT_TOO_LARGE", $"the query document exceeds {limits.MaxDocumentBytes} bytes");
        }
        DocumentCache.Entry cached;
        try
        {
            cached = documents.GetOrParse(request.Query ?? "");
        }
        catch (GraphQLParser.Exceptions.GraphQLSyntaxErrorException e)
        {
            return RequestError("GRAPHQL_PARSE_FAILED", e.Message);
        }
        var document = cached.Document;
        // Bounded before any validation rule runs: validation expands fragments, so an unmeasured document could keep a
        // core busy for minutes after its client has gone.
        var selected = SelectedOperation(document, request.OperationName);
        if (Validation.DocumentBudget.Check(document, request.Variables, selected, limits.Limits, limits.Introspection == true) is { } tooCostly)
        {
            return new ExecutionOutcome(ExecutionKind.RequestError, new ExecutionResult { Errors = [tooCostly] });
        }
        if (!allowMutations && selected?.Operation is OperationType.Mutation or OperationType.Subscription)
        {
            return new ExecutionOutcome(ExecutionKind.MutationOverGet, new ExecutionResult
            {
                Errors = [new ExecutionError("mutations and subscriptions need POST") { Code = "METHOD_NOT_ALLOWED" }],
            });
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limits.ExecutionTimeout);
        var caller = await callers.ResolveAsync(user);
        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            UserContext = new Dictionary<string, object?> { [Authorization.CallerResolver.UserContextKey] = caller },
            Query = request.Query,
            Document = document,
            OperationName = request.OperationName,
            Variables = request.Variables,
            Extensions = request.Extensions,
            User = user,
            RequestServices = services,
            CancellationToken = timeout.Token,
            ThrowOnUnhandledException = false,
            UnhandledExceptionDelegate = ErrorTranslation.Translate,
            // A text that already passed validation is not validated again (the rules look at the document only).
            ValidationRules = cached.Validated ? [] : _rules,
        });
        if (result.Executed && !cached.Validated)
        {
            cached.Validated = true;
        }
        if (result.Errors is { Count: > 0 } errors && errors.Any(e => IsScalarRuleError(e) || LiteralRuleOf(e) is not null))
        {
            var mapped = new ExecutionErrors();
            foreach (var error in errors)
            {
                mapped.Add(IsScalarRuleError(error) ? AsValidation(error, RuleOf(error)!) : LiteralRuleOf(error) is { } rule ? AsValidation(error, rule) : error);
            }
            result.Errors = mapped;
        }
        return new ExecutionOutcome(result.Executed ? ExecutionKind.Executed : ExecutionKind.RequestError, result);
    }

    /// <summary>A scalar (Rpps, Finess, Nir, Sha256…) refused a value: its FormatException names the scalar and the rule.</summary>
    private static bool IsScalarRuleError(ExecutionError error) => error is ValidationError && RuleOf(error) is not null;

    private static FormatException? RuleOf(Exception error)
    {
        for (var e = error.InnerException; e is not null; e = e.InnerException)
        {
            if (e is FormatException format)
            {
                return format;
            }
        }
        return null;
    }

    /// <summary>
    /// A literal argument a Coffre scalar refused (GraphQL.NET reports only "Expected type 'Rpps'"): the scalar is
    /// asked again for its rule, so the answer names it.
    /// </summary>
    private FormatException? LiteralRuleOf(ExecutionError error)
    {
        if (error is not ValidationError { Code: "ARGUMENTS_OF_CORRECT_TYPE" })
        {
            return null;
        }
        var match = System.Text.RegularExpressions.Regex.Match(error.Message, "Expected type '([A-Za-z0-9]+)', found \"(.*)\"\\.$");
        if (!match.Success || schema.AllTypes[match.Groups[1].Value] is not Types.CheckedStringGraphType scalar)
        {
            return null;
        }
        try
        {
            scalar.ParseValue(match.Groups[2].Value);
            return null;
        }
        catch (FormatException rule)
        {
            return rule;
        }
    }

    /// <summary>Re-states a refused scalar value as <c>VALIDATION</c> with the rule's own words and <c>extensions.field</c>.</summary>
    private static ExecutionError AsValidation(ExecutionError error, FormatException rule)
    {
        var match = System.Text.RegularExpressions.Regex.Match(error.Message, @"(?:Variable '\$|Argument ')([A-Za-z0-9_.\[\]]+)'");
        var field = match.Success ? match.Groups[1].Value.Split('.')[^1] : null;
        var mapped = new ExecutionError(field is null ? rule.Message : $"{field}: {rule.Message}") { Code = ErrorCodes.Validation };
        if (field is not null)
        {
            Errors.ErrorTranslation.WithField(mapped, field);
        }
        foreach (var location in error.Locations ?? [])
        {
            mapped.AddLocation(location);
        }
        return mapped;
    }

    /// <summary>The operation the request selects, or null when the name matches none (execution then reports it).</summary>
    public static GraphQLOperationDefinition? SelectedOperation(GraphQLDocument document, string? operationName)
    {
        var operations = document.Definitions.OfType<GraphQLOperationDefinition>().ToList();
        return string.IsNullOrEmpty(operationName)
            ? (operations.Count == 1 ? operations[0] : null)
            : operations.FirstOrDefault(o => o.Name?.StringValue == operationName);
    }

    private static ExecutionOutcome RequestError(string code, string message) =>
        new(ExecutionKind.RequestError, new ExecutionResult { Errors = [new ExecutionError(message) { Code = code }] });
}
