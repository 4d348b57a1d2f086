using Coffre.Harness;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>What every macro report says of its machine.</summary>
public sealed class MachineFactsTests
{
    [Fact]
    public void The_cpu_speed_index_hashes_for_its_duration_and_reports_megabytes_a_second()
    {
        var index = MachineFacts.CpuSpeedIndex(TimeSpan.FromMilliseconds(100));

        // At least one round of 16 × 64 KiB in 100 ms, and not more than memory could ever stream.
        Assert.InRange(index, 1.0, 1e6);
    }
}
