using System.Net;
using System.Net.Sockets;

namespace Coffre.TestSupport;

/// <summary>
/// Loopback ports nothing listens on, for a server a test starts to bind later (compiled into both test projects).
/// They are taken below the kernel's ephemeral range (<c>ip_local_port_range</c>, 32768–60999 by default): a port the
/// kernel handed out for <c>bind(0)</c> is one the run's own outgoing connections can take before the server binds it
/// ("address already in use"). Each port is handed out once per test process.
/// </summary>
internal static class LoopbackPorts
{
    private static readonly (int First, int Count) Range = BelowEphemeralRange();
    private static int s_next = Random.Shared.Next(Range.Count);

    public static int Free()
    {
        for (var tries = 0; tries < Range.Count; tries++)
        {
            var port = Range.First + (int)((uint)Interlocked.Increment(ref s_next) % (uint)Range.Count);
            if (IsFree(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in {Range.First}–{Range.First + Range.Count - 1}");
    }

    /// <summary>Whether a listener could bind <paramref name="port"/> on loopback now.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int First, int Count) BelowEphemeralRange()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        var low = File.Exists(range) && int.TryParse(File.ReadAllText(range).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], out var l) ? l : 32768;
        // 10 000 ports under the range (the local-cluster script tests take theirs from 12 000–22 003).
        var first = Math.Max(1024, low - 10000);
        return (first, Math.Max(1000, low - first));
    }
}
