using System.Net;
using System.Text;
using Coffre.Harness;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>
/// The macro harness's load clients against a real Kestrel on 127.0.0.1: what they send is what the server reads, and
/// they read every way Kestrel answers (Content-Length, chunked, Connection: close, an error status), time out, and carry
/// on with a fresh connection afterwards. Both clients answer the same for the same exchanges.
/// </summary>
public sealed class LoadClientTests : IAsyncLifetime
{
    private WebApplication? _server;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _server = builder.Build();
        // Echoes what it read: method, path, content type, authorization and body.
        _server.MapPost("/echo", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var text = $"{http.Request.Path}|{http.Request.ContentType}|{http.Request.Headers.Authorization}|{http.Request.ContentLength}|{body}";
            http.Response.ContentLength = Encoding.UTF8.GetByteCount(text);
            await http.Response.WriteAsync(text);
        });
        // No length: Kestrel sends it chunked, in as many chunks as flushes.
        _server.MapPost("/chunked", async (HttpContext http) =>
        {
            for (var i = 0; i < 3; i++)
            {
                await http.Response.WriteAsync(new string((char)('a' + i), 5000 * (i + 1)));
                await http.Response.Body.FlushAsync();
            }
        });
        _server.MapPost("/close", (HttpContext http) =>
        {
            http.Response.Headers.Connection = "close";
            return Results.Text("bye");
        });
        _server.MapPost("/refuse", () => Results.Text("{\"error\":\"no\"}", "application/json", statusCode: 400));
        _server.MapPost("/slow", async (HttpContext http) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3), http.RequestAborted);
            return Results.Text("late");
        });
        await _server.StartAsync();
        var address = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _base = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public static TheoryData<string> Kinds => [LoadClient.Raw, LoadClient.Http];

    private static LoadRequest EmptyPost(LoadClient client, string path) => client.Post(path, "{}"u8.ToArray());

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task The_server_reads_the_request_as_prepared_and_the_client_reads_the_answer_on_one_kept_connection(string kind)
    {
        await using var client = LoadClient.Create(kind, _base, connections: 1, TimeSpan.FromSeconds(10));
        var body = Encoding.UTF8.GetBytes("{\"query\":\"{ __typename }\",\"é\":1}");
        var withToken = client.Post("/echo", body, "tok.en.value");
        var anonymous = client.Post("/echo", body);

        for (var i = 0; i < 3; i++)
        {
            var (status, answer) = await client.SendAsync(i % 2 == 0 ? withToken : anonymous);
            Assert.Equal(200, status);
            var expectedAuthorization = i % 2 == 0 ? "Bearer tok.en.value" : "";
            Assert.Equal($"/echo|application/json|{expectedAuthorization}|{body.Length}|{Encoding.UTF8.GetString(body)}", Encoding.UTF8.GetString(answer));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_chunked_answer_larger_than_the_read_buffer_is_read_whole(string kind)
    {
        await using var client = LoadClient.Create(kind, _base, connections: 2, TimeSpan.FromSeconds(10));
        var request = EmptyPost(client, "/chunked");

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.SendAsync(request).AsTask()));

        var expected = new string('a', 5000) + new string('b', 10000) + new string('c', 15000);
        Assert.All(answers, a =>
        {
            Assert.Equal(200, a.Status);
            Assert.Equal(expected, Encoding.ASCII.GetString(a.Body));
        });
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_error_status_is_answered_with_its_body_and_a_closed_connection_is_replaced(string kind)
    {
        await using var client = LoadClient.Create(kind, _base, connections: 1, TimeSpan.FromSeconds(10));
        var refuse = EmptyPost(client, "/refuse");
        var close = EmptyPost(client, "/close");

        var refused = await client.SendAsync(refuse);
        var closed = await client.SendAsync(close);
        var after = await client.SendAsync(refuse);

        Assert.Equal((400, "{\"error\":\"no\"}"), (refused.Status, Encoding.UTF8.GetString(refused.Body)));
        Assert.Equal((200, "bye"), (closed.Status, Encoding.UTF8.GetString(closed.Body)));
        Assert.Equal(400, after.Status);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_answer_later_than_the_timeout_is_a_timeout_and_the_next_request_gets_a_fresh_connection(string kind)
    {
        await using var client = LoadClient.Create(kind, _base, connections: 1, TimeSpan.FromMilliseconds(300));
        var slow = EmptyPost(client, "/slow");
        var echo = EmptyPost(client, "/echo");

        await Assert.ThrowsAsync<TimeoutException>(() => client.SendAsync(slow).AsTask());
        var (status, answer) = await client.SendAsync(echo);

        Assert.Equal(200, status);
        Assert.EndsWith("|{}", Encoding.UTF8.GetString(answer));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_server_that_is_not_there_is_an_IO_failure_not_a_hang(string kind)
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var client = LoadClient.Create(kind, new Uri($"http://127.0.0.1:{port}/"), connections: 1, TimeSpan.FromSeconds(5));

        await Assert.ThrowsAsync<IOException>(() => client.SendAsync(EmptyPost(client, "/echo")).AsTask());
    }
}
