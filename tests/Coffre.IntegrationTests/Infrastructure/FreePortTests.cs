using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Coffre.IntegrationTests.Infrastructure;

/// <summary>The ports the tests give the processes they start: outside the kernel's ephemeral range, bindable, never twice.</summary>
public sealed class FreePortTests
{
    [Fact]
    public void Ports_are_below_the_ephemeral_range_distinct_and_bindable()
    {
        var low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
            System.Globalization.CultureInfo.InvariantCulture);
        var ports = Enumerable.Range(0, 200).Select(_ => CoffreProcess.FreePort()).ToList();

        Assert.All(ports, p => Assert.InRange(p, 1024, low - 1));
        Assert.Equal(ports.Count, ports.Distinct().Count());
        foreach (var port in ports.Take(20))
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
    }
}
