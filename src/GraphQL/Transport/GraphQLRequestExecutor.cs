using System.Security.Claims;
using Coffre.GraphQL.Errors;
using Coffre.GraphQL.Schema;
using GraphQL;
using GraphQL.Execution;
using GraphQLParser.AST;
using GraphQL.Transport;
using GraphQL.Validation;
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
public sealed class GraphQLRequestExecutor(IDocumentExecuter<CoffreSchema> executer, IOptions<GraphQLOptions> options, IEnumerable<IValidationRule> extraRules)
{
    public async Task<ExecutionOutcome> ExecuteAsync(GraphQLRequest request, ClaimsPrincipal user, IServiceProvider services, bool allowMutations, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        if (System.Text.Encoding.UTF8.GetByteCount(request.Query ?? "") > limits.MaxDocumentBytes)
        {
            return RequestError("DOCUMENT_TOO_LARGE", $"the query document exceeds {limits.MaxDocumentBytes} bytes");
        }
        GraphQLDocument document;
        try
        {
            document = GraphQLParser.Parser.Parse(request.Query);
        }
        catch (GraphQLParser.Exceptions.GraphQLSyntaxErrorException e)
        {
            return RequestError("GRAPHQL_PARSE_FAILED", e.Message);
        }
        if (!allowMutations && SelectedOperation(document, request.OperationName)?.Operation is OperationType.Mutation or OperationType.Subscription)
        {
            return new ExecutionOutcome(ExecutionKind.MutationOverGet, new ExecutionResult
            {
                Errors = [new ExecutionError("mutations and subscriptions need POST") { Code = "METHOD_NOT_ALLOWED" }],
            });
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limits.ExecutionTimeout);
        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Query = request.Query,
            Document = document,
            OperationName = request.OperationName,
            Variables = request.Variables,
            Extensions = request.Extensions,
            User = user,
            RequestServices = services,
            CancellationToken = timeout.Token,
            ThrowOnUnhandledException = false,
            UnhandledExceptionDelegate = ErrorCodes.Translate,
            ValidationRules = DocumentValidator.CoreRules.Concat(extraRules),
        });
        return new ExecutionOutcome(result.Executed ? ExecutionKind.Executed : ExecutionKind.RequestError, result);
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
