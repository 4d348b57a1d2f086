using System.Net.Http.Json;
using Coffre.GraphQL.Transport;
using Coffre.Silo.Commands;
using Coffre.Silo.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Coffre.UnitTests.Telemetry;

/// <summary>The API's meter counts the operations an embedded server answers over HTTP, by outcome, with their duration.</summary>
public sealed class ApiMetricsTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("coffre-metrics-").FullName;
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private HttpClient? _http;

    public async Task InitializeAsync()
    {
        _app = await ServeCommand.BuildAsync(CoffreRole.Embedded,
            EmbeddedServerArgs.For(_data, "--Coffre:Dashboard=false"));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Answered_operations_are_counted_by_outcome_and_timed()
    {
        using var recorder = new MeterRecorder(ApiMetrics.MeterName);

        (await _http!.PostAsJsonAsync("/graphql", new { query = "{ __typename }" })).EnsureSuccessStatusCode();
        await _http!.PostAsJsonAsync("/graphql", new { query = "{ __typename " });

        Assert.True(recorder.Sum("coffre.api.operations", "outcome", "ok") >= 1);
        Assert.True(recorder.Sum("coffre.api.operations", "outcome", "request_error") >= 1);
        Assert.Contains(recorder.Measurements, m => m.Instrument == "coffre.api.operation.duration" && m.Value > 0);
        // Tags carry outcomes only: never the operation's text.
        Assert.All(recorder.Measurements, m => Assert.Equal(["outcome"], m.Tags.Keys));
    }

    [Fact]
    public async Task Every_request_but_the_health_probes_counts_as_interactive_load()
    {
        var load = _app!.Services.GetRequiredService<Coffre.Application.Outbox.InteractiveLoad>();
        var before = load.TotalOf(Coffre.Application.Outbox.InteractiveSource.Request);
        for (var i = 0; i < 3; i++)
        {
            (await _http!.PostAsJsonAsync("/graphql", new { query = "{ __typename }" })).EnsureSuccessStatusCode();
            (await _http!.GetAsync("/health/live")).EnsureSuccessStatusCode();
        }
        await _http!.GetAsync("/health/ready");
        Assert.Equal(3, load.TotalOf(Coffre.Application.Outbox.InteractiveSource.Request) - before);
    }

    [Fact]
    public async Task Grain_calls_the_silo_serves_count_as_interactive_load_as_a_silo_behind_gateways_sees_the_API()
    {
        var load = _app!.Services.GetRequiredService<Coffre.Application.Outbox.InteractiveLoad>();
        var grains = _app.Services.GetRequiredService<IGrainFactory>();
        var before = load.TotalOf(Coffre.Application.Outbox.InteractiveSource.GrainCall);
        Assert.Null(await grains.GetGrain<Coffre.Grains.Professionals.IProfessionalGrain>(Coffre.Grains.GrainNames.Keys.Professional("10000000001")).GetDirectoryEntryAsync());
        Assert.True(load.TotalOf(Coffre.Application.Outbox.InteractiveSource.GrainCall) - before >= 1);
    }
}
