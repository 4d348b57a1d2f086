using System.Diagnostics;
using System.Globalization;
using System.Net;
using Coffre.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.Cluster;

/// <summary>
/// deploy/local/up.sh and down.sh as an operator runs them (as root, like ./test.sh: PostgreSQL runs as the
/// postgres user), on a temporary state folder and free ports, with the build under test (COFFRE_LOCAL_APP) so no
/// publish runs. up.sh run again keeps what runs and restarts only what is down.
/// </summary>
public sealed class LocalScriptsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Nodes = ["silo1", "silo2", "silo3", "gateway"];
    private readonly string _state = Path.Combine(Path.GetTempPath(), "coffre-up-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Dictionary<string, string> _environment = [];
    private readonly List<int> _bases = [];
    private int _gatewayHttp;

    public Task InitializeAsync()
    {
        _gatewayHttp = CoffreProcess.FreePort();
        _environment["COFFRE_LOCAL_STATE"] = _state;
        _environment["COFFRE_LOCAL_CLUSTER_ID"] = "up" + Guid.NewGuid().ToString("N")[..8];
        _environment["COFFRE_LOCAL_PG_PORT"] = Text(CoffreProcess.FreePort());
        _environment["COFFRE_LOCAL_BLOB_PORT"] = Text(CoffreProcess.FreePort());
        _environment["COFFRE_LOCAL_SILO_PORT_BASE"] = Text(FreeBase());
        _environment["COFFRE_LOCAL_GATEWAY_PORT_BASE"] = Text(FreeBase());
        _environment["COFFRE_LOCAL_SILO_HTTP_BASE"] = Text(FreeBase());
        _environment["COFFRE_LOCAL_GATEWAY_HTTP"] = Text(_gatewayHttp);
        _environment["COFFRE_LOCAL_SMTP_PORT"] = Text(CoffreProcess.FreePort());
        _environment["COFFRE_LOCAL_SMTP_API_PORT"] = Text(CoffreProcess.FreePort());
        _environment["COFFRE_LOCAL_SMS_PORT"] = Text(CoffreProcess.FreePort());
        _environment["COFFRE_LOCAL_APP"] = AppContext.BaseDirectory;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (Directory.Exists(_state))
        {
            try
            {
                await RunAsync("down.sh", TimeSpan.FromSeconds(120), "--purge");
            }
            finally
            {
                // Whatever down.sh could not stop: kill it, and never leave the folder behind.
                foreach (var (name, pid) in Pids().Where(p => Alive(p.Value)))
                {
                    output.WriteLine($"cleanup: killing {name} (pid {pid})");
                    try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
                }
                if (Directory.Exists(_state))
                {
                    Directory.Delete(_state, recursive: true);
                }
            }
        }
    }

    [Fact]
    public async Task Up_again_keeps_what_runs_and_restarts_only_what_is_down()
    {
        var clock = Stopwatch.StartNew();
        await RunAsync("up.sh", TimeSpan.FromSeconds(180));
        var started = Pids();
        Assert.Equal(Nodes.Concat(["azurite", "postgres"]).Order(), started.Keys.Order());
        Assert.All(started, p => Assert.True(Alive(p.Value), $"{p.Key} (pid {p.Value}) is not running"));
        var firstUp = clock.Elapsed;
        await OperatorCommandsReadTheSettingsFileAsync();

        var again = await RunAsync("up.sh", TimeSpan.FromSeconds(120));
        Assert.Equal(started, Pids());
        Assert.Contains("PostgreSQL already running", again, StringComparison.Ordinal);
        Assert.Contains("gateway already running", again, StringComparison.Ordinal);

        var victim = Process.GetProcessById(started["silo2"]);
        victim.Kill();
        for (var i = 0; i < 100 && Alive(started["silo2"]); i++)
        {
            await Task.Delay(100);
        }
        Assert.False(Alive(started["silo2"]));
        Assert.True(Alive(started["postgres"]), "PostgreSQL stopped when a silo was killed");

        var restart = await RunAsync("up.sh", TimeSpan.FromSeconds(120));
        var after = Pids();
        Assert.NotEqual(started["silo2"], after["silo2"]);
        Assert.True(Alive(after["silo2"]), "silo2 was not restarted");
        Assert.Equal(started.Where(p => p.Key != "silo2"), after.Where(p => p.Key != "silo2"));
        Assert.Contains("silo2 ready", restart, StringComparison.Ordinal);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{_gatewayHttp}/health/ready"));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        await RunAsync("down.sh", TimeSpan.FromSeconds(120));
        Assert.All(after, p => Assert.False(Alive(p.Value), $"{p.Key} (pid {p.Value}) still runs after down.sh"));
        output.WriteLine($"local scripts: first up.sh {firstUp.TotalSeconds:F1} s; whole scenario (up, up, kill -9 silo2, up, down) {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>
    /// up.sh wrote the cluster's one settings file (owner-only): operator commands given only that file (no setting in
    /// the environment) reach its PostgreSQL and Blob storage with its keys, and its silos through the cluster id.
    /// </summary>
    private async Task OperatorCommandsReadTheSettingsFileAsync()
    {
        var settings = Path.Combine(_state, "coffre.settings.json");
        Assert.True(File.Exists(settings), "up.sh wrote no " + settings);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(settings));
        }
        using (var document = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(settings)))
        {
            Assert.Contains($"Port={_environment["COFFRE_LOCAL_PG_PORT"]};", document.RootElement.GetProperty("ConnectionStrings").GetProperty("Postgres").GetString(), StringComparison.Ordinal);
            Assert.Equal(_environment["COFFRE_LOCAL_CLUSTER_ID"], document.RootElement.GetProperty("Coffre").GetProperty("Cluster").GetProperty("ClusterId").GetString());
            // Silos send mail to the cluster's smtp4dev and SMS alerts to its fake provider, both up.
            Assert.Equal(_environment["COFFRE_LOCAL_SMTP_PORT"], document.RootElement.GetProperty("Coffre").GetProperty("Smtp").GetProperty("Port").GetRawText());
            var smsUrl = document.RootElement.GetProperty("Coffre").GetProperty("Sms").GetProperty("Url").GetString()!;
            Assert.Equal($"http://127.0.0.1:{_environment["COFFRE_LOCAL_SMS_PORT"]}/sms", smsUrl);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(smsUrl.Replace("/sms", "/messages", StringComparison.Ordinal)))).StatusCode);
        }

        var create = await Cli(new() { ["COFFRE_SETTINGS"] = settings }, "campaign", "create", "--id", "local-settings");
        Assert.Equal("CREATED", create.Json["status"]!.GetValue<string>());
        var status = await Cli([], "campaign", "status", "--id", "local-settings", "--settings", settings);
        Assert.Equal("local-settings", status.Json["campaign"]!["campaignId"]!.GetValue<string>());
        // Through a silo (the Orleans client finds it by the file's cluster id): a person unknown to the registry.
        var opposition = await Cli([], "opposition", "--nir", "184057512345625", "--by", "operator:local", "--settings", settings);
        Assert.False(string.IsNullOrEmpty(opposition.Json["receipt"]?.GetValue<string>()), opposition.ToString());
    }

    private async Task<RolloutEndToEnd.CliResult> Cli(Dictionary<string, string> environment, params string[] args)
    {
        var result = await RolloutEndToEnd.CoffreCli.RunAsync(environment, TimeSpan.FromMinutes(2), args);
        output.WriteLine($"$ coffre {string.Join(' ', args)}\n{result}");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>Runs a deploy/local script to its end within <paramref name="timeout"/> (else kills it and fails); returns its output.</summary>
    private async Task<string> RunAsync(string script, TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepositoryRoot(), "deploy", "local", script));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish within {timeout}");
        }
        var text = await stdout + await stderr;
        output.WriteLine($"$ {script} {string.Join(' ', arguments)} (exit {process.ExitCode})\n{text}");
        Assert.True(process.ExitCode == 0, $"{script} exited with {process.ExitCode}:\n{text}");
        return text;
    }

    /// <summary>PIDs of the nodes, Azurite and the postmaster, from the state folder.</summary>
    private Dictionary<string, int> Pids()
    {
        var files = Nodes.ToDictionary(n => n, n => Path.Combine(_state, n + ".pid"));
        files["azurite"] = Path.Combine(_state, "azurite", "azurite.pid");
        files["postgres"] = Path.Combine(_state, "pg", "data", "postmaster.pid");
        return files.Where(f => File.Exists(f.Value))
            .ToDictionary(f => f.Key, f => int.Parse(File.ReadLines(f.Value).First().Trim(), CultureInfo.InvariantCulture));
    }

    /// <summary>Running, not a zombie left unreaped after kill -9.</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "local", "up.sh")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("deploy/local/up.sh not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// A base port B with B+1..B+3 free (the scripts put node i on B+i), apart from the bases already taken. Drawn from
    /// 12000–22000: below the kernel's ephemeral range (32768–60999 here), where any outgoing connection of a test running
    /// alongside may take a port between this check and the node's bind, and below the range Orleans' test clusters draw
    /// their silo ports from (22300–30000).
    /// </summary>
    private int FreeBase()
    {
        for (var attempt = 0; ; attempt++)
        {
            var candidate = Random.Shared.Next(12000, 22000);
            var apart = _bases.All(b => Math.Abs(b - candidate) > 3);
            if ((apart && Enumerable.Range(1, 3).All(i => CoffreProcess.IsFree(candidate + i))) || attempt > 50)
            {
                _bases.Add(candidate);
                return candidate;
            }
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
