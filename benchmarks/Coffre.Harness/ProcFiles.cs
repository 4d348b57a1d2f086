using System.Buffers.Text;
using System.Text;

namespace Coffre.Harness;

/// <summary>One line of <c>/proc/PID/stat</c> (or <c>/proc/PID/task/TID/stat</c>), the fields the probes use, in clock ticks.</summary>
public readonly record struct StatLine(int ParentPid, long UserTicks, long SystemTicks, long ChildUserTicks, long ChildSystemTicks, int Nice, long StartTicks)
{
    public long OwnTicks => UserTicks + SystemTicks;
    public long ChildTicks => ChildUserTicks + ChildSystemTicks;
}

/// <summary>Tells whether a process or thread name (the text between the stat line's parentheses) is wanted.</summary>
public delegate bool NameTest(ReadOnlySpan<byte> name);

/// <summary>
/// Reads the small files of <c>/proc</c> into a buffer of the calling thread and parses them where they lie: the
/// timeline reads every process's stat line four times a second while a run lasts, and reading each through a
/// <see cref="StreamReader"/> and splitting it into strings once made the generator allocate about 7 MB/s of its own.
/// </summary>
public static class ProcFiles
{
    private const int BufferBytes = 8192;

    [ThreadStatic]
    private static byte[]? t_buffer;

    /// <summary>The file's first <see cref="BufferBytes"/> bytes (valid until this thread's next read), or empty when it is gone or unreadable.</summary>
    public static ReadOnlySpan<byte> Read(string path)
    {
        var buffer = t_buffer ??= new byte[BufferBytes];
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            var count = 0;
            int read;
            while (count < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(count), count)) > 0)
            {
                count += read;
            }
            return buffer.AsSpan(0, count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return default;
        }
    }

    /// <summary>The stat line at <paramref name="path"/>; false when the process is gone or the line is malformed.</summary>
    public static bool TryReadStat(string path, out StatLine stat) => TryParseStat(Read(path), out _, out stat);

    /// <summary>As <see cref="TryReadStat(string, out StatLine)"/>, and only when <paramref name="wanted"/> accepts the name.</summary>
    public static bool TryReadStat(string path, NameTest wanted, out StatLine stat) =>
        TryParseStat(Read(path), out var name, out stat) && wanted(name);

    /// <summary>As <see cref="TryReadStat(string, out StatLine)"/>, with the name.</summary>
    public static bool TryReadStat(string path, out StatLine stat, out string name)
    {
        if (TryParseStat(Read(path), out var raw, out stat))
        {
            name = Encoding.UTF8.GetString(raw);
            return true;
        }
        name = "";
        return false;
    }

    /// <summary>
    /// "pid (name) state ppid …": the name between the first '(' and the last ')' (a name may hold both), then the
    /// fields counted from the state (0): ppid 1, utime 11, stime 12, cutime 13, cstime 14, nice 16, starttime 19.
    /// </summary>
    public static bool TryParseStat(ReadOnlySpan<byte> text, out ReadOnlySpan<byte> name, out StatLine stat)
    {
        const int Needed = 20;
        name = default;
        stat = default;
        var open = text.IndexOf((byte)'(');
        var close = text.LastIndexOf((byte)')');
        if (open < 0 || close < open || close + 2 > text.Length)
        {
            return false;
        }
        name = text[(open + 1)..close];
        var rest = text[(close + 2)..];
        Span<long> fields = stackalloc long[Needed];
        for (var index = 0; index < Needed; index++)
        {
            var space = rest.IndexOfAny((byte)' ', (byte)'\n');
            var token = space < 0 ? rest : rest[..space];
            if (token.IsEmpty || (index > 0 && (!Utf8Parser.TryParse(token, out fields[index], out var used) || used != token.Length)))
            {
                return false;
            }
            rest = space < 0 ? default : rest[(space + 1)..];
        }
        stat = new StatLine((int)fields[1], fields[11], fields[12], fields[13], fields[14], (int)fields[16], fields[19]);
        return true;
    }

    /// <summary>The numeric directories of <c>/proc</c>: the live processes' ids.</summary>
    public static IEnumerable<int> ProcessIds() => NumericDirectories("/proc");

    /// <summary>The numeric directories of <c>/proc/PID/task</c>: the process's live threads' ids (none when it is gone).</summary>
    public static IEnumerable<int> ThreadIds(int pid)
    {
        try
        {
            return [.. NumericDirectories($"/proc/{pid}/task")];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static IEnumerable<int> NumericDirectories(string path)
    {
        foreach (var dir in Directory.EnumerateDirectories(path))
        {
            if (ProcessId(dir) is { } id)
            {
                yield return id;
            }
        }
    }

    private static int? ProcessId(string dir)
    {
        var name = Path.GetFileName(dir.AsSpan());
        return name.Length > 0 && char.IsAsciiDigit(name[0])
            && int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }
}
