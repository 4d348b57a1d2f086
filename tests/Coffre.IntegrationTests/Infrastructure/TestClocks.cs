namespace Coffre.IntegrationTests.Infrastructure;

/// <summary>A clock that moves one second each time it is read (the email batch router reads it once per page).</summary>
internal sealed class SteppingClock : TimeProvider
{
    private long _ticks = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Add(ref _ticks, TimeSpan.TicksPerSecond), TimeSpan.Zero);
}

/// <summary>
/// A clock that stands still but for its timers: a timer (as <c>Task.Delay</c> creates) moves the clock by its due time,
/// records it in <see cref="Waits"/> and fires at once.
/// </summary>
internal sealed class SkippingClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    public List<TimeSpan> Waits { get; } = [];

    public override DateTimeOffset GetUtcNow() => Now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (Waits)
        {
            Waits.Add(dueTime);
            Now += dueTime;
        }
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new Fired();
    }

    private sealed class Fired : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
