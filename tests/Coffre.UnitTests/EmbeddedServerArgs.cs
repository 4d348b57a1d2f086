using Coffre.TestSupport;

namespace Coffre.UnitTests;

/// <summary>
/// Arguments for an embedded server in a test's process: its data folder, an HTTP port and the silo's and gateway's
/// ports picked free on loopback below the kernel's ephemeral range (<see cref="LoopbackPorts"/>; Orleans refuses port 0
/// once a grain factory is resolved), then the test's own.
/// </summary>
internal static class EmbeddedServerArgs
{
    public static string[] For(string dataPath, params string[] extra) =>
    [
        $"--Coffre:DataPath={dataPath}", "--Urls=http://127.0.0.1:0",
        $"--Coffre:Cluster:SiloPort={LoopbackPorts.Free()}", $"--Coffre:Cluster:GatewayPort={LoopbackPorts.Free()}", .. extra,
    ];
}
