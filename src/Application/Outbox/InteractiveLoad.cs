namespace Coffre.Application.Outbox;

/// <summary>
/// How many interactive requests (people's and professionals' HTTP requests, the API) this process served in the last
/// whole second, so that bulk background work can leave them the machine: the email batch router paces itself while
/// the count is at or above its threshold (<c>Mail/EmailBatchChannel</c>). The host's HTTP pipeline calls <see cref="Record"/> once per
/// request (health probes not counted) and a silo's grain-call filter once per grain call it serves (behind gateways the
/// API's requests reach a silo that way). Counts only, nothing about who asked or what.
/// </summary>
public sealed class InteractiveLoad(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _roll = new();
    private long _second = long.MinValue;
    private int _current;
    private int _previous;
    private readonly long[] _totals = new long[2];

    /// <summary>One interactive request, or grain call, served now.</summary>
    public void Record(InteractiveSource source = InteractiveSource.Request)
    {
        Roll(Second());
        Interlocked.Increment(ref _current);
        Interlocked.Increment(ref _totals[(int)source]);
    }

    /// <summary>What <paramref name="source"/> counted since the process started.</summary>
    public long TotalOf(InteractiveSource source) => Interlocked.Read(ref _totals[(int)source]);

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

/// <summary>Where an interactive unit of work was counted.</summary>
public enum InteractiveSource
{
    /// <summary>An HTTP request of the API (health probes excluded).</summary>
    Request = 0,

    /// <summary>A grain call a silo served (the API's requests, as a silo behind gateways sees them).</summary>
    GrainCall = 1,
}
