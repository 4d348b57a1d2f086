using Coffre.Harness;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>The timeline's /proc reader: stat lines parsed where they lie, from fixed texts and from the real /proc.</summary>
public sealed class ProcFilesTests
{
    [Fact]
    public void A_stat_line_gives_its_name_and_fields_even_when_the_name_holds_parentheses_and_spaces()
    {
        var line = "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1234 567 89 10 20 -5 3 0 987654 1000 100 18446744073709551615\n"u8;

        Assert.True(ProcFiles.TryParseStat(line, out var name, out var stat));

        Assert.Equal("a (b) c", System.Text.Encoding.UTF8.GetString(name));
        Assert.Equal(new StatLine(17, 1234, 567, 89, 10, -5, 987654), stat);
        Assert.Equal(1801, stat.OwnTicks);
        Assert.Equal(99, stat.ChildTicks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 no parentheses S 1 2 3")]
    [InlineData("4242 (short) S 17 4242 4242 0 -1\n")]
    [InlineData("4242 (bad) S 17 4242 4242 0 -1 4194560 100 0 0 0 x 567 89 10 20 -5 3 0 987654 1000\n")]
    public void A_truncated_or_malformed_line_is_refused(string text)
    {
        Assert.False(ProcFiles.TryParseStat(System.Text.Encoding.ASCII.GetBytes(text), out _, out _));
    }

    [Fact]
    public void This_process_and_its_threads_read_from_proc_as_the_runtime_sees_them()
    {
        var pid = Environment.ProcessId;
        Assert.True(ProcFiles.TryReadStat($"/proc/{pid}/stat", out var stat, out var name));
        Assert.Equal(File.ReadAllText($"/proc/{pid}/stat").Split(' ')[3], stat.ParentPid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(string.IsNullOrEmpty(name));
        Assert.True(stat.OwnTicks > 0);
        Assert.True(stat.StartTicks > 0);

        Assert.Contains(pid, ProcFiles.ProcessIds());
        Assert.True(ProcFiles.TryReadStat($"/proc/{pid}/task/{pid}/stat", n => n.Length > 0, out _));
        Assert.False(ProcFiles.TryReadStat($"/proc/{pid}/task/{pid}/stat", _ => false, out _));
        Assert.False(ProcFiles.TryReadStat("/proc/0/stat", out _));
        Assert.True(ProcFiles.Read("/proc/0/stat").IsEmpty);
    }
}
