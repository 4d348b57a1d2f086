using System.Buffers.Binary;

namespace Coffre.Application.Rollout;

/// <summary>
/// Issuance's progress total without a count first. The store returns each class of eligible people (adults, then the
/// minors written to at their representatives', <see cref="EligiblePerson.ForRepresentatives"/>) in <c>nir_hash</c>
/// order, and a keyed hash spreads people uniformly over the key space: after n people of a class up to key k, the class
/// holds about n / fraction(k) people (relative error about 1 / √n). A class not reached yet counts 0, so until the
/// minors' read starts the estimate leaves them out (about a tenth of a national population).
/// </summary>
public sealed class KeyspaceEstimate
{
    private const double KeySpace = 18446744073709551616.0; // 2^64
    private long _adults;
    private long _minors;
    private double _adultsFraction;
    private double _minorsFraction;

    /// <summary>People read so far.</summary>
    public long Read => _adults + _minors;

    public void Add(EligiblePerson person)
    {
        ArgumentNullException.ThrowIfNull(person);
        var fraction = Fraction(person.NirHash);
        if (person.ForRepresentatives)
        {
            _minors++;
            _minorsFraction = fraction;
        }
        else
        {
            _adults++;
            _adultsFraction = fraction;
        }
    }

    /// <summary>The estimated number of eligible people of the read (at least those read so far).</summary>
    public long Total => Math.Max(Read, (long)Math.Round(Class(_adults, _adultsFraction) + Class(_minors, _minorsFraction)));

    private static double Class(long read, double fraction) => read == 0 ? 0 : read / fraction;

    /// <summary>Where <paramref name="key"/> sits in the key space, in (0, 1]: its first 8 bytes, big-endian (the store's byte order).</summary>
    public static double Fraction(ReadOnlySpan<byte> key)
    {
        Span<byte> head = stackalloc byte[8];
        head.Clear();
        key[..Math.Min(8, key.Length)].CopyTo(head);
        return (BinaryPrimitives.ReadUInt64BigEndian(head) + 1.0) / KeySpace;
    }
}
