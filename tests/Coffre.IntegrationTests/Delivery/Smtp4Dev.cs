using System.Diagnostics;
using System.Net.Sockets;

namespace Coffre.IntegrationTests.Delivery;

/// <summary>A private smtp4dev (tools/smtp4dev, installed by test.sh) started on given loopback ports; killed on dispose.</summary>
public sealed class Smtp4Dev : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private Smtp4Dev(Process process, string dir) => (_process, _dir) = (process, dir);

    public static Smtp4Dev Start(int smtpPort, int apiPort)
    {
        var dir = Path.Combine(Path.GetTempPath(), "coffre-smtp4dev-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var info = new ProcessStartInfo(Path.Combine(Root(), "tools", "smtp4dev", "smtp4dev"))
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { $"--baseappdatapath={dir}", "--nousersettings", "--db=", "--bindaddress=127.0.0.1", $"--smtpport={smtpPort}",
            "--imapport=", "--pop3port=", $"--urls=http://127.0.0.1:{apiPort}" })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new Smtp4Dev(process, dir);
        var clock = Stopwatch.StartNew();
        while (!Listening(smtpPort) || !Listening(apiPort))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(90) || process.HasExited)
            {
                started.Dispose();
                throw new InvalidOperationException("smtp4dev did not start");
            }
            Thread.Sleep(100);
        }
        return started;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "tools", "smtp4dev", "smtp4dev")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("tools/smtp4dev/smtp4dev not found above " + AppContext.BaseDirectory + " (./test.sh installs it)");
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
