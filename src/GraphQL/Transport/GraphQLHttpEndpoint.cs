using System.Text.Json;
using Coffre.Domain;
using Coffre.GraphQL.Errors;
using GraphQL;
using GraphQL.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// GraphQL over HTTP (graphql.org working draft): POST with application/json, GET for queries only,
/// 4xx for requests that cannot be parsed or validated, 200 with <c>errors</c> for field errors.
/// </summary>
public sealed class GraphQLHttpEndpoint(GraphQLRequestExecutor executor, IGraphQLTextSerializer serializer, IOptions<GraphQLOptions> options)
{
    private const string GraphQLResponseJson = "application/graphql-response+json";

    public async Task HandleAsync(HttpContext http)
    {
        // Answers carry personal data: no cache, shared or private, keeps them.
        http.Response.Headers.CacheControl = "no-store";
        if (Authorization.BearerTokens.WasRejected(http))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await WriteRequestErrorAsync(http, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "the bearer token is invalid or expired");
            return;
        }
        GraphQLRequest? request;
        if (HttpMethods.IsGet(http.Request.Method))
        {
            if (FromQueryString(http.Request.Query, out var rejected) is { } fromQuery)
            {
                request = fromQuery;
            }
            else
            {
                await WriteRequestErrorAsync(http, StatusCodes.Status400BadRequest, "BAD_REQUEST", $"the '{rejected}' parameter must be a JSON object", rejected);
                return;
            }
        }
        else if (HttpMethods.IsPost(http.Request.Method))
        {
            if (http.Request.ContentLength > options.Value.MaxRequestBytes)
            {
                await WriteRequestErrorAsync(http, StatusCodes.Status413PayloadTooLarge, "REQUEST_TOO_LARGE", $"request body exceeds {options.Value.MaxRequestBytes} bytes");
                return;
            }
            if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                await WriteRequestErrorAsync(http, StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "send the request as application/json");
                return;
            }
            using var limited = new MemoryStream(http.Request.ContentLength is { } length and > 0 ? (int)length : 0);
            try
            {
                await CopyLimitedAsync(http.Request.Body, limited, options.Value.MaxRequestBytes, http.RequestAborted);
                limited.Position = 0;
                request = await serializer.ReadAsync<GraphQLRequest>(limited, http.RequestAborted);
            }
            catch (RequestTooLargeException)
            {
                await WriteRequestErrorAsync(http, StatusCodes.Status413PayloadTooLarge, "REQUEST_TOO_LARGE", $"request body exceeds {options.Value.MaxRequestBytes} bytes");
                return;
            }
            catch (Exception e) when (GraphQLRequestShape.IsMalformedInput(e))
            {
                // Not JSON, or JSON of the wrong shape (a batch, variables as an array, a query as a number…): the field and its rule.
                var (field, rule) = GraphQLRequestShape.Diagnose(limited.GetBuffer().AsMemory(0, (int)limited.Length));
                await WriteRequestErrorAsync(http, StatusCodes.Status400BadRequest, "BAD_REQUEST", $"body is not a GraphQL JSON request: {rule}", field);
                return;
            }
        }
        else
        {
            http.Response.Headers.Allow = "GET, POST";
            await WriteRequestErrorAsync(http, StatusCodes.Status405MethodNotAllowed, "METHOD_NOT_ALLOWED", "use POST, or GET for queries");
            return;
        }

        if (request is null || string.IsNullOrWhiteSpace(request.Query))
        {
            await WriteRequestErrorAsync(http, StatusCodes.Status400BadRequest, "BAD_REQUEST", "the request has no 'query': give the GraphQL document as a string", "query");
            return;
        }

        var outcome = await executor.ExecuteAsync(request, http.User, http.RequestServices, allowMutations: !HttpMethods.IsGet(http.Request.Method), http.RequestAborted);
        http.Response.StatusCode = outcome.Kind switch
        {
            ExecutionKind.RequestError => StatusCodes.Status400BadRequest,
            ExecutionKind.MutationOverGet => StatusCodes.Status405MethodNotAllowed,
            _ when IsUnavailable(outcome.Result) => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status200OK,
        };
        if (http.Response.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            http.Response.Headers.RetryAfter = TransientErrors.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        http.Response.ContentType = AcceptsGraphQLResponse(http.Request) ? GraphQLResponseJson : "application/json";
        await serializer.WriteAsync(http.Response.Body, outcome.Result, http.RequestAborted);
    }

    /// <summary>A transient cluster failure left a field unresolved: the client should retry the whole request (503 + Retry-After).</summary>
    private static bool IsUnavailable(ExecutionResult result) =>
        result.Errors?.Any(e => e.Code == ErrorCodes.Unavailable) == true;

    /// <summary>The GET request, or null with the parameter that is not a JSON object.</summary>
    private GraphQLRequest? FromQueryString(IQueryCollection query, out string rejected)
    {
        rejected = "";
        if (!TryInputs(query["variables"].ToString(), out var variables))
        {
            rejected = "variables";
            return null;
        }
        if (!TryInputs(query["extensions"].ToString(), out var extensions))
        {
            rejected = "extensions";
            return null;
        }
        return new GraphQLRequest
        {
            Query = query["query"].ToString(),
            OperationName = query["operationName"].ToString() is { Length: > 0 } name ? name : null,
            Variables = variables,
            Extensions = extensions,
        };
    }

    private bool TryInputs(string json, out Inputs? inputs)
    {
        inputs = null;
        if (json.Length == 0)
        {
            return true;
        }
        try
        {
            inputs = serializer.Deserialize<Inputs>(json);
            return true;
        }
        catch (Exception e) when (GraphQLRequestShape.IsMalformedInput(e))
        {
            return false;
        }
    }

    private static bool AcceptsGraphQLResponse(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains(GraphQLResponseJson, StringComparison.OrdinalIgnoreCase);

    private async Task WriteRequestErrorAsync(HttpContext http, int status, string code, string message, string? field = null)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = AcceptsGraphQLResponse(http.Request) ? GraphQLResponseJson : "application/json";
        var error = new ExecutionError(message) { Code = code };
        if (field is not null)
        {
            ErrorTranslation.WithField(error, field);
        }
        var result = new ExecutionResult { Errors = [error] };
        await serializer.WriteAsync(http.Response.Body, result, http.RequestAborted);
    }

    private static async Task CopyLimitedAsync(Stream source, Stream target, long limit, CancellationToken cancellationToken)
    {
        // One pooled buffer per request rather than a fresh 16 KiB array.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            int n;
            while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += n;
                if (total > limit)
                {
                    throw new RequestTooLargeException();
                }
                await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed class RequestTooLargeException : Exception;
}
