using System.Text.Json;
using Coffre.GraphQL.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Coffre.UnitTests.GraphQL;

/// <summary>The outermost middleware: what a client receives and what is logged when a request throws.</summary>
public sealed class ErrorBoundaryTests
{
    private sealed class ListLogger : ILogger<ErrorBoundary>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }

    private static async Task<(HttpContext Http, JsonElement Body, ListLogger Logger)> RunAsync(Exception thrown, string path = "/vaults/v-x/documents?nir=184057512345678")
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = path.Split('?')[0];
        http.Request.QueryString = new QueryString(path.Contains('?') ? path[path.IndexOf('?')..] : "");
        http.Response.Body = new MemoryStream();
        var logger = new ListLogger();
        await new ErrorBoundary(_ => throw thrown, logger).InvokeAsync(http);
        http.Response.Body.Position = 0;
        var body = http.Response.Body.Length == 0 ? default : JsonDocument.Parse(http.Response.Body).RootElement;
        return (http, body, logger);
    }

    [Fact]
    public async Task A_defect_answers_500_with_a_correlation_id_logged_once_without_the_url_or_the_message()
    {
        var (http, body, logger) = await RunAsync(new InvalidOperationException("secret personal detail 1840575123456"));

        Assert.Equal(500, http.Response.StatusCode);
        var error = body.GetProperty("errors")[0];
        Assert.Equal("INTERNAL", error.GetProperty("extensions").GetProperty("code").GetString());
        var correlationId = error.GetProperty("extensions").GetProperty("correlationId").GetString();
        Assert.False(string.IsNullOrEmpty(correlationId));
        Assert.Equal(correlationId, http.Response.Headers["X-Correlation-Id"].ToString());
        Assert.DoesNotContain("secret", body.GetRawText());
        Assert.DoesNotContain("InvalidOperationException", body.GetRawText());

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains(correlationId!, entry.Message);
        Assert.Contains("InvalidOperationException", entry.Message);
        Assert.DoesNotContain("secret", entry.Message);
        Assert.DoesNotContain("1840575123456", entry.Message);
        Assert.DoesNotContain("nir=", entry.Message);
    }

    [Theory]
    [InlineData(typeof(IOException))]
    [InlineData(typeof(InvalidDataException))]
    public async Task A_malformed_body_answers_400_and_logs_nothing(Type type)
    {
        var (http, body, logger) = await RunAsync((Exception)Activator.CreateInstance(type, "Unexpected end of Stream, the content may have already been read by another component.")!);
        Assert.Equal(400, http.Response.StatusCode);
        Assert.Equal("BAD_REQUEST", body.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public async Task Kestrels_bad_request_keeps_its_status()
    {
        var (http, body, _) = await RunAsync(new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge));
        Assert.Equal(413, http.Response.StatusCode);
        Assert.Equal("REQUEST_TOO_LARGE", body.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(typeof(TimeoutException))]
    [InlineData(typeof(Orleans.Runtime.SiloUnavailableException))]
    public async Task A_transient_cluster_failure_answers_503_with_retry_after(Type type)
    {
        var (http, body, logger) = await RunAsync((Exception)Activator.CreateInstance(type)!);
        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("2", http.Response.Headers.RetryAfter.ToString());
        Assert.Equal("UNAVAILABLE", body.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public async Task A_client_that_went_away_gets_nothing_and_nothing_is_logged()
    {
        var http = new DefaultHttpContext();
        using var aborted = new CancellationTokenSource();
        aborted.Cancel();
        http.RequestAborted = aborted.Token;
        http.Response.Body = new MemoryStream();
        var logger = new ListLogger();
        await new ErrorBoundary(_ => throw new OperationCanceledException(), logger).InvokeAsync(http);
        Assert.Equal(0, http.Response.Body.Length);
        Assert.Empty(logger.Entries);
    }
}
