using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coffre.IntegrationTests.Infrastructure;

/// <summary>A plain GraphQL-over-HTTP client, as a front end would call Coffre.</summary>
public sealed class GraphQLHttpClient(Uri baseAddress, string? token = null, TimeSpan? timeout = null) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    public async Task<(int Status, JsonObject Body)> PostAsync(string query, object? variables = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query, variables }),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken) ?? [];
        return ((int)response.StatusCode, body);
    }

    /// <summary>Posts and throws unless the answer is 200 without errors; returns <c>data</c>.</summary>
    public async Task<JsonObject> DataAsync(string query, object? variables = null, CancellationToken cancellationToken = default)
    {
        var (status, body) = await PostAsync(query, variables, cancellationToken);
        if (status != 200 || body["errors"] is not null || body["data"] is not JsonObject data)
        {
            throw new GraphQLCallFailedException($"HTTP {status}: {body.ToJsonString(new JsonSerializerOptions { WriteIndented = false })}");
        }
        return data;
    }

    public void Dispose() => _http.Dispose();
}

public sealed class GraphQLCallFailedException(string message) : Exception(message);
