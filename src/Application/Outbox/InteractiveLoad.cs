namespace Coffre.Application.Outbox;

/// <summary>
/// How many interactive requests (people's and professionals' HTTP requests, the API) this process served in the last
/// whole second, so that bulk background work can leave them the machine: the email batch router paces itself while
/// the count is at or above its threshold (<c>Mail/EmailBatchChannel</c>). The host's HTTP pipeline calls <see cref="Record"/> once per
/// request; health probes are not counted. Counts only, nothing about who asked or what.
/// </summary>
public sealed class InteractiveLoad(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _roll = new();
    private long _second = long.MinValue;
    private int _current;
    private int _previous;
    private long _total;

    /// <summary>One interactive request served now.</summary>
    public void Record()
    {
        Roll(Second());
        Interlocked.Increment(ref _current);
        Interlocked.Increment(ref _total);
    }

    /// <summary>Requests counted since the process started.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Requests counted in the last whole second (none if that second saw none or is long past).</summary>
    public int LastSecond
    {
        get
        {
            Roll(Second());
            return Volatile.Read(ref _previous);
        }
    }

    private long Second() => _time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Moves the counters to <paramref name="second"/>: the current count becomes the previous second's, or zero after a gap.</summary>
    private void Roll(long second)
    {
        if (Volatile.Read(ref _second) == second)
        {
            return;
        }
        lock (_roll)
        {
            var last = _second;
            if (last == second)
            {
                return;
            }
            var counted = Interlocked.Exchange(ref _current, 0);
            Volatile.Write(ref _previous, second == last + 1 ? counted : 0);
            Volatile.Write(ref _second, second);
        }
    }
}
