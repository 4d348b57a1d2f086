namespace Coffre.Application.Outbox;

/// <summary>
/// How many interactive requests (people's and professionals' HTTP requests, the API) this process served in the last
/// whole second and so far in the current one, so that bulk background work can leave them the machine: the email batch
/// router paces itself while either count is at or above its threshold (<see cref="IsBusy"/>,
/// <c>Mail/EmailBatchChannel</c>). The host's HTTP pipeline calls <see cref="Record"/> once per request (health probes
/// not counted) and a silo's grain-call filter once per grain call it serves (behind gateways the API's requests reach a
/// silo that way). Counts only, nothing about who asked or what.
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

    /// <summary>Requests counted so far in the current second.</summary>
    public int CurrentSecond
    {
        get
        {
            Roll(Second());
            return Volatile.Read(ref _current);
        }
    }

    /// <summary>
    /// Whether the process is busy: at least <paramref name="threshold"/> requests in the last whole second, or already
    /// in the current one. A burst after a quiet spell counts from its first requests, not from the next whole second:
    /// background work that waited a second or two to notice it held the cores while the burst's first requests queued.
    /// </summary>
    public bool IsBusy(int threshold)
    {
        Roll(Second());
        return Volatile.Read(ref _previous) >= threshold || Volatile.Read(ref _current) >= threshold;
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
