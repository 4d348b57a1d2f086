using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using GraphQL;
using GraphQL.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// The <c>graphql-transport-ws</c> protocol (the <c>graphql-ws</c> npm client's): <c>connection_init</c> (with
/// <c>{"authorization":"Bearer …"}</c>) → <c>connection_ack</c>; <c>subscribe</c> / <c>next</c> / <c>error</c> /
/// <c>complete</c>; <c>ping</c> / <c>pong</c>. Close codes follow the protocol (4400 bad message, 4401 subscribe
/// before ack, 4403 bad token, 4408 no init in time, 4409 duplicate id, 4429 second init).
/// </summary>
public sealed class GraphQLWebSocketEndpoint(GraphQLRequestExecutor executor, IGraphQLTextSerializer serializer, IServiceScopeFactory scopes, IWebSocketAuthenticator authenticator)
{
    public const string SubProtocol = "graphql-transport-ws";
    private static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(10);
    private const int MaxMessageBytes = 256 * 1024;
    private const int MaxSubscriptions = 32;

    private GraphQLRequestExecutor Executor { get; } = executor;
    private IGraphQLTextSerializer Serializer { get; } = serializer;
    private IServiceScopeFactory Scopes { get; } = scopes;
    private IWebSocketAuthenticator Authenticator { get; } = authenticator;

    public async Task HandleAsync(HttpContext http)
    {
        if (!http.WebSockets.WebSocketRequestedProtocols.Contains(SubProtocol))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsync($"use the {SubProtocol} subprotocol");
            return;
        }
        using var socket = await http.WebSockets.AcceptWebSocketAsync(SubProtocol);
        await using var connection = new Connection(this, socket, http.User, http.RequestAborted);
        await connection.RunAsync();
    }

    private sealed class Connection(GraphQLWebSocketEndpoint endpoint, WebSocket socket, ClaimsPrincipal upgradeUser, CancellationToken aborted) : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, IDisposable> _subscriptions = new();
        private readonly SemaphoreSlim _sendLock = new(1, 1);
        private readonly CancellationTokenSource _closing = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        private ClaimsPrincipal _user = upgradeUser;
        private bool _initialised;
        private bool _acknowledged;

        public async Task RunAsync()
        {
            var initDeadline = Task.Delay(InitTimeout, _closing.Token);
            var buffer = new byte[16 * 1024];
            while (socket.State == WebSocketState.Open && !_closing.IsCancellationRequested)
            {
                var receive = ReceiveAsync(buffer);
                if (!_acknowledged)
                {
                    var first = await Task.WhenAny(receive, initDeadline);
                    if (first == initDeadline && !_acknowledged)
                    {
                        await CloseAsync(4408, "Connection initialisation timeout", receive);
                        return;
                    }
                }
                var text = await receive;
                if (text is null)
                {
                    return;
                }
                if (!await HandleAsync(text))
                {
                    return;
                }
            }
        }

        private async Task<string?> ReceiveAsync(byte[] buffer)
        {
            using var message = new MemoryStream();
            while (true)
            {
                WebSocketReceiveResult result;
                try
                {
                    result = await socket.ReceiveAsync(buffer, _closing.Token);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                    return null;
                }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }
                message.Write(buffer, 0, result.Count);
                if (message.Length > MaxMessageBytes)
                {
                    await CloseAsync(4400, "Message too large", Task.CompletedTask);
                    return null;
                }
                if (result.EndOfMessage)
                {
                    return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                }
            }
        }

        /// <summary>False when the connection was closed.</summary>
        private async Task<bool> HandleAsync(string text)
        {
            OperationMessage? message;
            try
            {
                message = endpoint.Serializer.Deserialize<OperationMessage>(text);
            }
            catch (JsonException)
            {
                message = null;
            }
            switch (message?.Type)
            {
                case "connection_init":
                    if (_initialised)
                    {
                        await CloseAsync(4429, "Too many initialisation requests");
                        return false;
                    }
                    _initialised = true;
                    if (TokenOf(message.Payload) is { } token)
                    {
                        var user = await endpoint.Authenticator.AuthenticateAsync(token, _closing.Token);
                        if (user is null)
                        {
                            await CloseAsync(4403, "Forbidden: invalid or expired token");
                            return false;
                        }
                        _user = user;
                    }
                    _acknowledged = true;
                    await SendAsync(new OperationMessage { Type = "connection_ack" });
                    return true;
                case "ping":
                    await SendAsync(new OperationMessage { Type = "pong" });
                    return true;
                case "pong":
                    return true;
                case "subscribe" when !_acknowledged:
                    await CloseAsync(4401, "Unauthorized");
                    return false;
                case "subscribe" when string.IsNullOrEmpty(message.Id):
                    await CloseAsync(4400, "subscribe needs an id");
                    return false;
                case "subscribe":
                    return await SubscribeAsync(message.Id!, message.Payload);
                case "complete" when message.Id is { } id:
                    if (_subscriptions.TryRemove(id, out var subscription))
                    {
                        subscription.Dispose();
                    }
                    return true;
                default:
                    await CloseAsync(4400, "Invalid message");
                    return false;
            }
        }

        private async Task<bool> SubscribeAsync(string id, object? payload)
        {
            if (_subscriptions.Count >= MaxSubscriptions)
            {
                await SendAsync(new OperationMessage { Id = id, Type = "error", Payload = new[] { new ExecutionError($"at most {MaxSubscriptions} operations per connection") { Code = "TOO_MANY_OPERATIONS" } } });
                return true;
            }
            var placeholder = new Subscription(this, id, endpoint.Scopes.CreateScope());
            if (!_subscriptions.TryAdd(id, placeholder))
            {
                placeholder.Dispose();
                await CloseAsync(4409, $"Subscriber for {id} already exists");
                return false;
            }
            GraphQLRequest? request;
            try
            {
                request = endpoint.Serializer.ReadNode<GraphQLRequest>(payload);
            }
            catch (Exception e) when (GraphQLRequestShape.IsMalformedInput(e))
            {
                request = null;
            }
            if (request?.Query is null)
            {
                _subscriptions.TryRemove(id, out _);
                placeholder.Dispose();
                // The close reason names the member of the wrong type, if any (a close reason holds at most 123 bytes).
                await CloseAsync(4400, payload is JsonElement { ValueKind: JsonValueKind.Object } element && GraphQLRequestShape.WrongMember(element) is { } wrong
                    ? $"subscribe payload: {wrong.Rule}"
                    : "subscribe payload needs a query");
                return false;
            }
            _ = Task.Run(() => placeholder.StartAsync(request, _user));
            return true;
        }

        public async Task SendAsync(OperationMessage message)
        {
            var bytes = Encoding.UTF8.GetBytes(endpoint.Serializer.Serialize(message));
            await _sendLock.WaitAsync(_closing.Token);
            try
            {
                if (socket.State == WebSocketState.Open)
                {
                    await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, _closing.Token);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public void Finished(string id)
        {
            if (_subscriptions.TryRemove(id, out var subscription))
            {
                subscription.Dispose();
            }
        }

        public bool IsActive(string id) => _subscriptions.ContainsKey(id);

        public GraphQLRequestExecutor Executor => endpoint.Executor;

        /// <summary>
        /// Sends the close frame, then waits (2 s at most) for the client's own close frame before the socket is
        /// dropped, so the client reads the close code (4408, 4401…) rather than an abnormal closure.
        /// </summary>
        private async Task CloseAsync(int code, string reason, Task? pendingReceive = null)
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                try
                {
                    await socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, CancellationToken.None);
                }
                catch (WebSocketException)
                {
                }
            }
            if (pendingReceive is not null)
            {
                await Task.WhenAny(pendingReceive, Task.Delay(TimeSpan.FromSeconds(2)));
            }
            else
            {
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var buffer = new byte[1024];
                try
                {
                    while (socket.State == WebSocketState.CloseSent)
                    {
                        if ((await socket.ReceiveAsync(buffer, wait.Token)).MessageType == WebSocketMessageType.Close)
                        {
                            break;
                        }
                    }
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                }
            }
            await _closing.CancelAsync();
        }

        private string? TokenOf(object? payload)
        {
            Dictionary<string, object?>? values;
            try
            {
                values = endpoint.Serializer.ReadNode<Dictionary<string, object?>>(payload);
            }
            catch (JsonException)
            {
                return null;
            }
            var raw = values?.FirstOrDefault(kv => kv.Key.Equals("authorization", StringComparison.OrdinalIgnoreCase) || kv.Key == "token").Value?.ToString();
            return raw is null ? null : raw.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? raw[7..].Trim() : raw.Trim();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var id in _subscriptions.Keys.ToList())
            {
                Finished(id);
            }
            await _closing.CancelAsync();
            _closing.Dispose();
        }
    }

    /// <summary>One operation on a connection: executes it and forwards its results until it completes or is stopped.</summary>
    private sealed class Subscription(Connection connection, string id, IServiceScope scope) : IDisposable, IObserver<ExecutionResult>
    {
        private readonly CancellationTokenSource _stop = new();
        private IDisposable? _source;
        private int _disposed;

        public async Task StartAsync(GraphQLRequest request, ClaimsPrincipal user)
        {
            try
            {
                var outcome = await connection.Executor.ExecuteAsync(request, user, scope.ServiceProvider, allowMutations: true, _stop.Token);
                // A subscription refused before its source stream exists (denied, invalid arguments) is answered with
                // graphql-transport-ws's `error` message (the errors carry their codes), not a `next`.
                if (outcome.Kind != ExecutionKind.Executed
                    || (outcome.Result.Operation?.Operation == global::GraphQLParser.AST.OperationType.Subscription
                        && outcome.Result.Streams is not { Count: > 0 } && outcome.Result.Errors is { Count: > 0 }))
                {
                    await connection.SendAsync(new OperationMessage { Id = id, Type = "error", Payload = outcome.Result.Errors?.ToArray() ?? [] });
                    connection.Finished(id);
                    return;
                }
                if (outcome.Result.Streams is { Count: > 0 } streams)
                {
                    _source = streams.Values.First().Subscribe(this);
                    return;
                }
                await connection.SendAsync(new OperationMessage { Id = id, Type = "next", Payload = outcome.Result });
                await CompleteAsync();
            }
            catch (OperationCanceledException)
            {
                connection.Finished(id);
            }
        }

        public void OnNext(ExecutionResult value)
        {
            if (connection.IsActive(id))
            {
                connection.SendAsync(new OperationMessage { Id = id, Type = "next", Payload = value }).GetAwaiter().GetResult();
            }
        }

        public void OnError(Exception error) => _ = CompleteAsync();

        public void OnCompleted() => _ = CompleteAsync();

        private async Task CompleteAsync()
        {
            if (connection.IsActive(id))
            {
                try
                {
                    await connection.SendAsync(new OperationMessage { Id = id, Type = "complete" });
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                }
            }
            connection.Finished(id);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }
            _stop.Cancel();
            _source?.Dispose();
            scope.Dispose();
            _stop.Dispose();
        }
    }
}
