using System.Text.Json;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// Why a POSTed body is not a GraphQL request, named by its field and rule, for the 400 answer. Runs only after the
/// request failed to deserialise (never on the request's way in), over the body already read within its size limit.
/// </summary>
public static class GraphQLRequestShape
{
    /// <summary>
    /// What the serializer throws for input that is not a GraphQL request (not JSON, or JSON of the wrong shape), as
    /// opposed to a fault of the server: the transports answer it as a bad request.
    /// </summary>
    public static bool IsMalformedInput(Exception e) =>
        e is JsonException or InvalidOperationException or NotSupportedException or FormatException or ArgumentException or OverflowException;

    /// <summary>The field at fault (<c>body</c>, <c>query</c>, <c>operationName</c>, <c>variables</c>, <c>extensions</c>) and its rule.</summary>
    public static (string Field, string Rule) Diagnose(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            // The reader's first sentence says what it met (one character at most), the position where: no content echoed.
            var what = e.Message.Split(". ")[0].TrimEnd('.');
            return ("body", $"the body is not valid JSON ({what}; line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ("body", root.ValueKind == JsonValueKind.Array
                    ? "the body must be one JSON object: batches (an array of requests) are not accepted"
                    : "the body must be a JSON object with a 'query' string");
            }
            return WrongMember(root)
                ?? ("body", "the body must be a JSON object with a 'query' string, optional 'operationName' string, 'variables' and 'extensions' objects");
        }
    }

    /// <summary>
    /// The first member of a request object (a POSTed body, a WebSocket <c>subscribe</c> payload) whose JSON type is wrong,
    /// or null when each has its type.
    /// </summary>
    public static (string Field, string Rule)? WrongMember(JsonElement request)
    {
        foreach (var property in request.EnumerateObject())
        {
            var kind = property.Value.ValueKind;
            switch (property.Name)
            {
                case "query" when kind != JsonValueKind.String:
                    return ("query", "'query' must be a string holding the GraphQL document");
                case "operationName" when kind is not (JsonValueKind.String or JsonValueKind.Null):
                    return ("operationName", "'operationName' must be a string or null");
                case "variables" or "extensions" when kind is not (JsonValueKind.Object or JsonValueKind.Null):
                    return (property.Name, $"'{property.Name}' must be a JSON object (names to values) or null");
            }
        }
        return null;
    }
}
