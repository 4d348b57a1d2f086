namespace Coffre.Application.Rollout;

/// <summary>
/// Issuance's progress total without a count first. The store tells how far through its read of the registry each
/// eligible person was (<see cref="EligibleReadTally.Place"/>: in PostgreSQL the row's block over the table's, one scan
/// for adults and minors alike; the in-memory store gives each class its own place). People spread evenly over the
/// read, so n people of a class read by place f means about n / f in all; each class (adults, and the minors written to
/// at their representatives', <see cref="EligiblePerson.ForRepresentatives"/>) is estimated by its own furthest place,
/// a class not reached yet counting 0. Without a place the estimate is what was read.
/// </summary>
public sealed class ReadEstimate
{
    private long _adults;
    private long _minors;
    private double _adultsPlace;
    private double _minorsPlace;

    /// <summary>People read so far.</summary>
    public long Read => _adults + _minors;

    /// <summary>Counts <paramref name="person"/>, read at <paramref name="place"/> of their class's read ((0, 1], or NaN).</summary>
    public void Add(EligiblePerson person, double place)
    {
        ArgumentNullException.ThrowIfNull(person);
        // The furthest place seen: a read that is not in table order (an index walk) then estimates low, never wildly.
        var known = double.IsFinite(place) && place > 0 ? Math.Min(1, place) : 0;
        if (person.ForRepresentatives)
        {
            _minors++;
            _minorsPlace = Math.Max(_minorsPlace, known);
        }
        else
        {
            _adults++;
            _adultsPlace = Math.Max(_adultsPlace, known);
        }
    }

    /// <summary>The estimated number of eligible people of the read (at least those read so far).</summary>
    public long Total => Math.Max(Read, (long)Math.Round(Class(_adults, _adultsPlace) + Class(_minors, _minorsPlace)));

    private static double Class(long read, double place) => place > 0 ? read / place : read;
}
