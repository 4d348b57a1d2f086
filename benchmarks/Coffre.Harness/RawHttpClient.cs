using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace Coffre.Harness;

/// <summary>
/// The load phases' HTTP/1.1 client: a fixed pool of keep-alive connections to one server; each request is one
/// pre-encoded buffer (request line, headers, body) written in one send, each answer read into its connection's own
/// buffer (<c>Content-Length</c> or chunked). It does what the measured phases need and nothing more (no redirects,
/// cookies, proxies, compression, pipelining or HTTP/2), because the generator shares the machine's two cores with the
/// silo and PostgreSQL and every microsecond it spends is taken from them. Setup traffic keeps <see cref="HttpClient"/>.
/// </summary>
/// <remarks>
/// A request waits for a free connection (as <see cref="SocketsHttpHandler"/> does at its connection limit), and that
/// wait is part of its latency. A connection that fails, times out or is closed by the server is dropped and its slot
/// reconnects on its next use; the request that met it reports the failure (it is not retried: its effect is unknown).
/// </remarks>
public sealed class RawHttpClient : LoadClient
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();

    private readonly DnsEndPoint _server;
    private readonly Channel<Connection?> _slots;
    private readonly List<Connection> _opened = [];
    private readonly TimeSpan _timeout;
    private readonly string _host;

    public RawHttpClient(Uri server, int connections, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        _server = new DnsEndPoint(server.Host, server.Port);
        _host = server.IsDefaultPort ? server.Host : $"{server.Host}:{server.Port}";
        _timeout = timeout;
        _slots = Channel.CreateBounded<Connection?>(connections);
        for (var i = 0; i < connections; i++)
        {
            _slots.Writer.TryWrite(null);
        }
    }

    public override LoadRequest Post(string path, byte[] body, string? token = null)
    {
        var head = new StringBuilder(256)
            .Append("POST ").Append(path).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(_host).Append("\r\n")
            .Append("Content-Type: application/json\r\n");
        if (token is not null)
        {
            head.Append("Authorization: Bearer ").Append(token).Append("\r\n");
        }
        head.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        var headBytes = Encoding.ASCII.GetBytes(head.ToString());
        var request = new byte[headBytes.Length + body.Length];
        headBytes.CopyTo(request, 0);
        body.CopyTo(request.AsSpan(headBytes.Length));
        return new LoadRequest(request);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<(int Status, byte[] Body)> SendAsync(LoadRequest request)
    {
        var connection = await _slots.Reader.ReadAsync().ConfigureAwait(false);
        try
        {
            if (connection is null)
            {
                connection = await Connection.OpenAsync(_server, _timeout).ConfigureAwait(false);
                lock (_opened)
                {
                    _opened.Add(connection);
                }
            }
            var answer = await connection.ExchangeAsync((byte[])request.Prepared).ConfigureAwait(false);
            if (!answer.KeepAlive)
            {
                Drop(ref connection);
            }
            return (answer.Status, answer.Body);
        }
        catch (SocketException e)
        {
            Drop(ref connection);
            throw new IOException(e.Message, e);
        }
        catch
        {
            Drop(ref connection);
            throw;
        }
        finally
        {
            _slots.Writer.TryWrite(connection);
        }
    }

    private void Drop(ref Connection? connection)
    {
        if (connection is null)
        {
            return;
        }
        lock (_opened)
        {
            _opened.Remove(connection);
        }
        connection.Dispose();
        connection = null;
    }

    public override ValueTask DisposeAsync()
    {
        lock (_opened)
        {
            foreach (var connection in _opened)
            {
                connection.Dispose();
            }
            _opened.Clear();
        }
        return ValueTask.CompletedTask;
    }

    private readonly record struct Answer(int Status, byte[] Body, bool KeepAlive);

    private sealed class Connection : IDisposable
    {
        private readonly Socket _socket;
        private readonly TimeSpan _timeout;
        private readonly CancellationTokenSource _deadline = new();
        private byte[] _buffer = new byte[16 * 1024];
        private int _count;

        private Connection(Socket socket, TimeSpan timeout)
        {
            _socket = socket;
            _timeout = timeout;
        }

        public static async Task<Connection> OpenAsync(DnsEndPoint server, TimeSpan timeout)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var connect = new CancellationTokenSource(timeout);
                await socket.ConnectAsync(server, connect.Token).ConfigureAwait(false);
                return new Connection(socket, timeout);
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                throw new TimeoutException($"no connection to {server.Host}:{server.Port} within {timeout.TotalSeconds} s");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<Answer> ExchangeAsync(byte[] request)
        {
            _deadline.CancelAfter(_timeout);
            try
            {
                await _socket.SendAsync(request, SocketFlags.None, _deadline.Token).ConfigureAwait(false);
                var answer = await ReadAnswerAsync(_deadline.Token).ConfigureAwait(false);
                // A deadline that fired after the answer was read leaves its token cancelled: the answer stands, the
                // connection is not reused.
                return _deadline.TryReset() ? answer : answer with { KeepAlive = false };
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no complete answer within {_timeout.TotalSeconds} s");
            }
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<Answer> ReadAnswerAsync(CancellationToken cancellationToken)
        {
            _count = 0;
            int headerEnd;
            while ((headerEnd = _buffer.AsSpan(0, _count).IndexOf(HeaderEnd)) < 0)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }
            var (status, length, chunked, keepAlive) = ParseHead(_buffer.AsSpan(0, headerEnd));
            var position = headerEnd + HeaderEnd.Length;
            if (!chunked)
            {
                while (_count - position < length)
                {
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                }
                return new Answer(status, _buffer.AsSpan(position, length).ToArray(), keepAlive && _count == position + length);
            }
            // Chunked: each chunk's size line, its bytes and CRLF, until the empty chunk and the final CRLF (no trailers).
            // The chunks' bytes are moved down in the buffer as they come, so the body ends up whole right after the head.
            var bodyStart = position;
            var bodyEnd = position;
            while (true)
            {
                int lineEnd;
                while ((lineEnd = _buffer.AsSpan(position, _count - position).IndexOf(LineEnd)) < 0)
                {
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                }
                var sizeText = _buffer.AsSpan(position, lineEnd);
                var extension = sizeText.IndexOf((byte)';');
                if (extension >= 0)
                {
                    sizeText = sizeText[..extension];
                }
                if (!Utf8Parser.TryParse(sizeText, out int size, out var used, 'x') || used != sizeText.Length || size < 0)
                {
                    throw new IOException("the answer's chunk size is not hexadecimal");
                }
                position += lineEnd + LineEnd.Length;
                while (_count - position < size + LineEnd.Length)
                {
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                }
                if (!_buffer.AsSpan(position + size, LineEnd.Length).SequenceEqual(LineEnd))
                {
                    throw new IOException("the answer's chunk does not end with CRLF");
                }
                if (size == 0)
                {
                    return new Answer(status, _buffer.AsSpan(bodyStart, bodyEnd - bodyStart).ToArray(), keepAlive && _count == position + LineEnd.Length);
                }
                _buffer.AsSpan(position, size).CopyTo(_buffer.AsSpan(bodyEnd));
                bodyEnd += size;
                position += size + LineEnd.Length;
            }
        }

        private static (int Status, int Length, bool Chunked, bool KeepAlive) ParseHead(ReadOnlySpan<byte> head)
        {
            // "HTTP/1.1 200 OK"
            if (head.Length < 12 || !head.StartsWith("HTTP/1.1 "u8) || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
            {
                throw new IOException("the answer is not HTTP/1.1");
            }
            var length = 0;
            var chunked = false;
            var keepAlive = true;
            var rest = head;
            while (true)
            {
                var end = rest.IndexOf(LineEnd);
                if (end < 0)
                {
                    break;
                }
                rest = rest[(end + LineEnd.Length)..];
                var line = rest.IndexOf(LineEnd) is var next and >= 0 ? rest[..next] : rest;
                var colon = line.IndexOf((byte)':');
                if (colon <= 0)
                {
                    continue;
                }
                var name = line[..colon];
                var value = line[(colon + 1)..].Trim((byte)' ');
                if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
                {
                    if (!Utf8Parser.TryParse(value, out length, out var used) || used != value.Length || length < 0)
                    {
                        throw new IOException("the answer's Content-Length is not a number");
                    }
                }
                else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
                {
                    chunked = Ascii.EqualsIgnoreCase(value, "chunked"u8) ? true : throw new IOException("the answer's transfer encoding is not chunked");
                }
                else if (Ascii.EqualsIgnoreCase(name, "Connection"u8) && Ascii.EqualsIgnoreCase(value, "close"u8))
                {
                    keepAlive = false;
                }
            }
            return (status, length, chunked, keepAlive);
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask FillAsync(CancellationToken cancellationToken)
        {
            if (_count == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_count), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("the server closed the connection before the whole answer");
            }
            _count += read;
        }

        public void Dispose()
        {
            _socket.Dispose();
            _deadline.Dispose();
        }
    }
}
