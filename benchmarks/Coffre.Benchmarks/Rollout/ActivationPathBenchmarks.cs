using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Coffre.Grains.Rollout;
using Coffre.Silo.Commands;
using Coffre.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Benchmarks.Rollout;

/// <summary>
/// How the API in a silo's own process reaches the silo's activation settler: through the stateless activation grain
/// (baseline; what every server did before, and what a gateway still does) or directly (<see cref="SiloActivations"/>).
/// The embedded default's silo, started in this process, with no gather window, settles one attempt at a time: an
/// unknown person's (the registry is empty), so both take the same refusal path (a settlement and an audit append).
/// The difference is what the grain call costs: its message, the call filter, the copies and the hand-offs between the
/// caller, the grain's scheduler and the thread pool.
/// </summary>
[MemoryDiagnoser]
public class ActivationPathBenchmarks
{
    private static readonly ActivationRequest Unknown = new("ABCDE-FGHJK-4", "185057800608491", new DateOnly(1985, 5, 7), "80250000000000000001");

    private string _data = null!;
    private WebApplication _app = null!;
    private IActivationGrain _grain = null!;
    private IActivations _direct = null!;

    [GlobalSetup]
    public void Setup()
    {
        _data = Directory.CreateTempSubdirectory("coffre-activation-path-").FullName;
        _app = ServeCommand.BuildAsync(CoffreRole.Embedded,
        [
            $"--Coffre:DataPath={_data}", "--Urls=http://127.0.0.1:0", $"--Coffre:Cluster:SiloPort={FreePort()}",
            $"--Coffre:Cluster:GatewayPort={FreePort()}", "--Coffre:Dashboard=false", "--Coffre:Activation:GatherWindow=00:00:00",
            "--Logging:LogLevel:Default=Warning",
        ]).GetAwaiter().GetResult();
        _app.StartAsync().GetAwaiter().GetResult();
        _grain = _app.Services.GetRequiredService<IGrainFactory>().GetGrain<IActivationGrain>(0);
        _direct = _app.Services.GetRequiredService<IActivations>();
        if (_direct is not SiloActivations)
        {
            throw new InvalidOperationException("the embedded silo's API does not reach its settler directly");
        }
        if (ViaGrain().GetAwaiter().GetResult().Outcome != ActivationOutcome.Refused || Direct().GetAwaiter().GetResult().Outcome != ActivationOutcome.Refused)
        {
            throw new InvalidOperationException("an unknown person's attempt was not refused");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_data, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<ActivationResult> ViaGrain() => _grain.ActivateAsync(Unknown);

    [Benchmark]
    public Task<ActivationResult> Direct() => _direct.ActivateAsync(Unknown);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
