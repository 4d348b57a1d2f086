namespace Coffre.Domain.Auditing;

/// <summary>
/// Bounds what repeated denials of one caller on one vault cost, without hiding them from the person. Pure and
/// single-threaded (one per vault grain activation, which runs one call at a time).
/// <list type="bullet">
/// <item>Per caller (actor kind and id), a window opens at its first denial and lasts <see cref="Window"/>.</item>
/// <item>The first denial of each kind (operation, target, basis, reason) in a window is appended at once;
/// identical later ones are only counted, and leave as one aggregated event (<see cref="AuditEvent.Count"/>,
/// <see cref="AuditEvent.FirstAt"/> to <see cref="AuditEvent.At"/>) when the window closes
/// (<see cref="TakeClosed"/>), or earlier when the vault flushes (<see cref="TakePending"/>: the history is read,
/// the grain deactivates).</item>
/// <item>Once a caller has <see cref="Limit"/> denials in its open window, <see cref="IsLimited"/> says so: the
/// vault then refuses the caller (reason RateLimited) without evaluating; those refusals are counted the same way,
/// under the target <c>vault</c>, so their kinds stay few.</item>
/// </list>
/// Events appended per caller and window are therefore at most the kinds it was denied (bounded by
/// <see cref="Limit"/> evaluated denials plus the few rate-limited kinds), each followed by at most one aggregate
/// per flush.
/// </summary>
public sealed class DenialLimiter
{
    private readonly Dictionary<string, ActorWindow> _actors = new(StringComparer.Ordinal);

    public DenialLimiter(int limit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        Limit = limit;
        Window = window;
    }

    /// <summary>Denials per caller and window after which the caller is refused without evaluation.</summary>
    public int Limit { get; }

    public TimeSpan Window { get; }

    /// <summary>Callers with an open window (for tests and the grain's timer).</summary>
    public int OpenWindows => _actors.Count;

    /// <summary>When the earliest open window closes; null when none is open.</summary>
    public DateTimeOffset? NextClose => _actors.Count == 0 ? null : _actors.Values.Min(w => w.Start) + Window;

    /// <summary>True when <paramref name="actorKey"/> already has <see cref="Limit"/> denials in a window still open at <paramref name="now"/>.</summary>
    public bool IsLimited(string actorKey, DateTimeOffset now) =>
        _actors.TryGetValue(actorKey, out var w) && now < w.Start + Window && w.Denials >= Limit;

    /// <summary>The key of a caller: kind and id (the same id in two kinds is two callers).</summary>
    public static string ActorKey(AuditEvent e) => $"{(int)e.ActorKind}:{e.ActorId}";

    /// <summary>
    /// Counts a denial. Returns the events to append now, in order: the aggregates of this caller's window if it had
    /// closed, then the denial itself if it is the first of its kind in the (new) window. Empty when it was only counted.
    /// </summary>
    public IReadOnlyList<AuditEvent> Record(AuditEvent denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        if (denial.Allowed)
        {
            throw new ArgumentException("only denials are limited", nameof(denial));
        }
        var output = new List<AuditEvent>();
        var key = ActorKey(denial);
        if (_actors.TryGetValue(key, out var window) && denial.At >= window.Start + Window)
        {
            window.Drain(output);
            _actors.Remove(key);
            window = null;
        }
        if (window is null)
        {
            window = new ActorWindow(denial.At);
            _actors[key] = window;
        }
        window.Denials++;
        var kind = KindOf(denial);
        if (window.Kinds.TryGetValue(kind, out var pending))
        {
            pending.Count++;
            pending.FirstAt ??= denial.At;
            pending.LastAt = pending.LastAt is { } last && last > denial.At ? last : denial.At;
        }
        else
        {
            window.Kinds[kind] = new Pending(denial);
            output.Add(denial);
        }
        return output;
    }

    /// <summary>Aggregates of the windows closed at <paramref name="now"/>; those windows are forgotten.</summary>
    public IReadOnlyList<AuditEvent> TakeClosed(DateTimeOffset now)
    {
        var output = new List<AuditEvent>();
        foreach (var (key, window) in _actors.Where(a => now >= a.Value.Start + Window).ToList())
        {
            window.Drain(output);
            _actors.Remove(key);
        }
        return output;
    }

    /// <summary>
    /// Aggregates of every denial counted but not yet appended, windows open or not; open windows stay open (the
    /// limit keeps counting), their counts start again from zero.
    /// </summary>
    public IReadOnlyList<AuditEvent> TakePending()
    {
        var output = new List<AuditEvent>();
        foreach (var window in _actors.Values)
        {
            window.Drain(output);
        }
        return output;
    }

    private static string KindOf(AuditEvent e) =>
        string.Join('\n', e.Operation, e.Target, ((int)e.Basis).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ((int)e.Reason).ToString(System.Globalization.CultureInfo.InvariantCulture), e.ActorProfession ?? "");

    private sealed class ActorWindow(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;
        public int Denials { get; set; }
        public Dictionary<string, Pending> Kinds { get; } = new(StringComparer.Ordinal);

        public void Drain(List<AuditEvent> output)
        {
            foreach (var pending in Kinds.Values.Where(p => p.Count > 0).OrderBy(p => p.FirstAt))
            {
                output.Add(pending.First with { Count = pending.Count, FirstAt = pending.FirstAt, At = pending.LastAt!.Value });
                pending.Count = 0;
                pending.FirstAt = null;
                pending.LastAt = null;
            }
        }
    }

    private sealed class Pending(AuditEvent first)
    {
        public AuditEvent First { get; } = first;
        public int Count { get; set; }
        public DateTimeOffset? FirstAt { get; set; }
        public DateTimeOffset? LastAt { get; set; }
    }
}
