using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Coffre.Harness;

/// <summary>
/// The silo's garbage-collection pauses, seen from outside the silo: an EventPipe session on the silo process (the
/// runtime's diagnostic port, as <c>dotnet-trace</c> uses it) with the runtime's GC events only, read into a
/// <see cref="PauseLog"/>. A pause of the silo holds every request it serves meanwhile, so an open run's slots are read
/// beside it. The session also keeps the runtime's allocation samples (one per ~100 KB the silo allocates, naming a type)
/// and what each collection promoted, so a run tells how much the silo allocates per request and what survives. The
/// silo is not changed: the session adds a few events per collection and one per ~100 KB allocated.
/// </summary>
public sealed class SiloGcPauses : IAsyncDisposable
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";

    private readonly PauseLog _log = new();
    private readonly AllocationSamples _samples = new();
    private readonly EventPipeSession _session;
    private readonly EventPipeEventSource _source;
    private readonly Task _reading;
    private long _lastEventTicks;

    private SiloGcPauses(int pid)
    {
        var client = new DiagnosticsClient(pid);
        _session = client.StartEventPipeSession(
            // Verbose: the allocation ticks are verbose GC events.
            [new EventPipeProvider(RuntimeProvider, EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC)],
            requestRundown: false, circularBufferMB: 16);
        _source = new EventPipeEventSource(_session.EventStream);
        _source.Clr.GCSuspendEEStart += e => _log.Suspending(Seen(e.TimeStamp));
        _source.Clr.GCStart += e => _log.Collecting(e.Depth);
        _source.Clr.GCRestartEEStop += e => _log.Restarted(Seen(e.TimeStamp));
        _source.Clr.GCHeapStats += e => _log.Promoted(e.TotalPromotedSize0 + e.TotalPromotedSize1);
        _source.Clr.GCAllocationTick += e => _samples.Add(Seen(e.TimeStamp), e.TypeName ?? "?", e.AllocationAmount64);
        _reading = Task.Run(() => _source.Process());
    }

    /// <summary>Starts reading the GC events of process <paramref name="pid"/> (a .NET process of this machine).</summary>
    public static SiloGcPauses Start(int pid) => new(pid);

    /// <summary>
    /// As <see cref="Start"/>, or null with the reason when the process's diagnostic port cannot be reached (a silo
    /// started with <c>DOTNET_EnableDiagnostics=0</c>, another temporary folder): the run goes on without it.
    /// </summary>
    public static SiloGcPauses? TryStart(int pid, out string? error)
    {
        try
        {
            error = null;
            return new SiloGcPauses(pid);
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException or UnauthorizedAccessException)
        {
            error = $"{e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    private DateTime Seen(DateTime timeStamp)
    {
        var utc = timeStamp.ToUniversalTime();
        Interlocked.Exchange(ref _lastEventTicks, utc.Ticks);
        return utc;
    }

    /// <summary>
    /// The pauses that began between <paramref name="from"/> and <paramref name="to"/> (UTC), described as
    /// <see cref="PauseLog.Describe"/> does. The runtime hands its events over in batches: this waits (at most
    /// <paramref name="settle"/>, 2 s by default) for an event at or after <paramref name="to"/> before describing.
    /// </summary>
    public async Task<JsonObject> DescribeAsync(DateTime from, DateTime to, TimeSpan? settle = null)
    {
        var deadline = DateTime.UtcNow + (settle ?? TimeSpan.FromSeconds(2));
        while (Interlocked.Read(ref _lastEventTicks) < to.Ticks && DateTime.UtcNow < deadline && !_reading.IsCompleted)
        {
            await Task.Delay(50);
        }
        return _log.Describe(from, to);
    }

    /// <summary>The silo's allocation samples between <paramref name="from"/> and <paramref name="to"/> (UTC), by type (call after <see cref="DescribeAsync"/>).</summary>
    public JsonObject DescribeAllocations(DateTime from, DateTime to) => _samples.Describe(from, to);

    /// <summary>
    /// One run's view, as every run of the harness reports it: <c>siloGcPauses</c> (<see cref="DescribeAsync"/>, which waits
    /// for the run's last events) then <c>siloAllocationSamples</c> (<see cref="DescribeAllocations"/>), into <paramref name="figures"/>.
    /// </summary>
    public async Task AddRunAsync(JsonObject figures, DateTime from, DateTime to)
    {
        figures["siloGcPauses"] = await DescribeAsync(from, to);
        figures["siloAllocationSamples"] = DescribeAllocations(from, to);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _session.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is ServerNotAvailableException or EndOfStreamException or IOException or TimeoutException)
        {
            // The silo has already exited: its stream ends by itself.
        }
        await Task.WhenAny(_reading, Task.Delay(TimeSpan.FromSeconds(5)));
        _source.Dispose();
        _session.Dispose();
    }
}
