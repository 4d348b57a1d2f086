using System.Diagnostics;

namespace Coffre.Silo.Commands;

/// <summary>
/// Progress of a long operator command on stderr: a redrawn bar with rate and ETA on a terminal, one line every
/// few seconds otherwise (logs, CI). Thread-safe; stdout stays free for results that scripts parse.
/// </summary>
public sealed class ConsoleProgress(string label, long? total, TimeSpan? lineInterval = null)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly TimeSpan _interval = lineInterval ?? TimeSpan.FromSeconds(5);
    private readonly Lock _lock = new();
    private TimeSpan? _lastDraw;

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Report(long done, string? detail = null)
    {
        lock (_lock)
        {
            var now = _clock.Elapsed;
            if (_lastDraw is { } last && now - last < (_terminal ? TimeSpan.FromMilliseconds(200) : _interval))
            {
                return;
            }
            _lastDraw = now;
            Console.Error.Write(_terminal ? "\r" + Line(done, detail) + "   " : Line(done, detail) + Environment.NewLine);
        }
    }

    public void Done(long done, string? detail = null)
    {
        lock (_lock)
        {
            Console.Error.WriteLine((_terminal ? "\r" : "") + Line(done, detail) + "   ");
        }
    }

    private string Line(long done, string? detail)
    {
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var rate = done / seconds;
        var text = $"{label}: {done:N0}";
        if (total is > 0 and var t)
        {
            var fraction = Math.Clamp((double)done / t, 0, 1);
            const int width = 24;
            var filled = (int)(fraction * width);
            var eta = rate > 0 && done < t ? TimeSpan.FromSeconds((t - done) / rate) : TimeSpan.Zero;
            text = $"{label} [{new string('#', filled)}{new string('.', width - filled)}] {fraction:P0} {done:N0}/{t:N0}, ETA {eta:hh\\:mm\\:ss}";
        }
        text += $", {rate:N0}/s, {_clock.Elapsed:hh\\:mm\\:ss}";
        return detail is null ? text : $"{text} ({detail})";
    }
}
