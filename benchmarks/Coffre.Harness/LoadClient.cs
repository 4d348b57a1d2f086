using System.Net.Http.Headers;

namespace Coffre.Harness;

/// <summary>A request prepared once by a <see cref="LoadClient"/> and sent as many times as wanted.</summary>
public sealed record LoadRequest(object Prepared);

/// <summary>
/// The HTTP client of the measured load phases (activation, read path), chosen by <c>--load-client</c>:
/// <c>raw</c> (<see cref="RawHttpClient"/>, the default) or <c>httpclient</c> (<see cref="HttpClient"/> over
/// <see cref="SocketsHttpHandler"/>, the harness's client before 2026-12-05, kept to measure what the generator costs).
/// Both keep <c>connections</c> HTTP/1.1 keep-alive connections; a request waits for a free one.
/// </summary>
public abstract class LoadClient : IAsyncDisposable
{
    public const string Raw = "raw";
    public const string Http = "httpclient";

    public static LoadClient Create(string kind, Uri server, int connections, TimeSpan timeout) => kind switch
    {
        Raw => new RawHttpClient(server, connections, timeout),
        Http => new HttpLoadClient(server, connections, timeout),
        _ => throw new ArgumentException($"--load-client is {Raw} or {Http}, not '{kind}'", nameof(kind)),
    };

    /// <summary><c>POST <paramref name="path"/></c> with a JSON <paramref name="body"/> and, when given, a bearer <paramref name="token"/>.</summary>
    public abstract LoadRequest Post(string path, byte[] body, string? token = null);

    /// <summary>The answer's status and body.</summary>
    /// <exception cref="TimeoutException">No complete answer within the timeout.</exception>
    /// <exception cref="IOException">The connection failed, or the answer could not be read.</exception>
    public abstract ValueTask<(int Status, byte[] Body)> SendAsync(LoadRequest request);

    public abstract ValueTask DisposeAsync();

    private sealed class HttpLoadClient(Uri server, int connections, TimeSpan timeout) : LoadClient
    {
        private readonly HttpClient _http = ActivationLoad.Client(connections, timeout);

        private sealed record Prepared(Uri Uri, byte[] Body, string? Token);

        public override LoadRequest Post(string path, byte[] body, string? token = null) => new(new Prepared(new Uri(server, path), body, token));

        public override async ValueTask<(int Status, byte[] Body)> SendAsync(LoadRequest request)
        {
            var prepared = (Prepared)request.Prepared;
            using var message = new HttpRequestMessage(HttpMethod.Post, prepared.Uri) { Content = new ByteArrayContent(prepared.Body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (prepared.Token is not null)
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", prepared.Token);
            }
            try
            {
                using var response = await _http.SendAsync(message).ConfigureAwait(false);
                return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false));
            }
            catch (TaskCanceledException e)
            {
                throw new TimeoutException("no complete answer within the client's timeout", e);
            }
            catch (HttpRequestException e)
            {
                throw new IOException(e.Message, e);
            }
        }

        public override ValueTask DisposeAsync()
        {
            _http.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
