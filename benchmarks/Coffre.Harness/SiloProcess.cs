using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Coffre.Harness;

/// <summary>
/// One <c>coffre silo</c> process on loopback (started as the integration tests' LocalCluster does: <c>dotnet coffre.dll
/// silo</c> with settings in the environment), its output appended to a log file in the work folder.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private SiloProcess(Process process, StreamWriter log, int httpPort, string logPath)
    {
        _process = process;
        _log = log;
        HttpPort = httpPort;
        LogPath = logPath;
    }

    public int HttpPort { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>
    /// Starts the silo; a <paramref name="nice"/> other than 0 starts it through <c>nice -n</c> (its threads inherit the
    /// niceness; the process keeps its PID, since <c>nice</c> replaces itself with <c>dotnet</c>). Each line of its output
    /// goes to <paramref name="logPath"/>, but the lines <paramref name="logTimings"/> records (when given) go there instead.
    /// </summary>
    public static SiloProcess Start(string dll, IReadOnlyDictionary<string, string> environment, string logPath, int nice = 0, SiloLogTimings? logTimings = null)
    {
        var httpPort = FreePort();
        var info = new ProcessStartInfo(nice == 0 ? "dotnet" : "nice")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
        };
        if (nice != 0)
        {
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add(nice.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add("dotnet");
        }
        info.ArgumentList.Add(Path.GetFullPath(dll));
        info.ArgumentList.Add("silo");
        info.Environment["Urls"] = $"http://127.0.0.1:{httpPort}";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Coffre__Cluster__SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        info.Environment["Coffre__Cluster__GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && logTimings?.TryRecord(line, DateTime.UtcNow) == true)
            {
                return; // a group's or a page's line is a measurement, not the log's
            }
            Append(log, e.Data);
        };
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiloProcess(process, log, httpPort, logPath);
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // A last line after the process was disposed.
            }
        }
    }

    /// <summary>Polls <c>/health/ready</c> until 200, at most <paramref name="timeout"/>.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with {_process.ExitCode}:\n{Tail()}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the silo at {BaseAddress} was not ready after {timeout}:\n{Tail()}");
    }

    public string Tail(int lines = 30)
    {
        lock (_log)
        {
            _log.Flush();
        }
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>SIGTERM (graceful: the silo leaves the cluster), then kill after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
