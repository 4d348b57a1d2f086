using System.Buffers.Binary;

namespace Coffre.Adapters.Postgres;

/// <summary>
/// PostgreSQL's binary COPY output (<c>COPY (…) TO STDOUT (FORMAT BINARY)</c>) read from a buffer that may end anywhere:
/// its header, then one tuple at a time as the (offset, length) of each field, length -1 for NULL, then the trailer.
/// Nothing is copied: the caller decodes the fields it wants from the buffer.
/// </summary>
internal static class CopyOutTuples
{
    private const int SignatureLength = 11;
    private const int HeaderLength = SignatureLength + 4 + 4;

    /// <summary>"PGCOPY\n\377\r\n\0".</summary>
    private static ReadOnlySpan<byte> Signature => [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

    /// <summary>The header's length once <paramref name="data"/> holds it all (0 before).</summary>
    /// <exception cref="FormatException">Not a binary COPY header.</exception>
    public static int Header(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            return 0;
        }
        if (!data[..SignatureLength].SequenceEqual(Signature))
        {
            throw new FormatException("the COPY output is not in binary format");
        }
        var extension = BinaryPrimitives.ReadInt32BigEndian(data[(SignatureLength + 4)..]);
        if (extension < 0)
        {
            throw new FormatException("the COPY output's header extension is malformed");
        }
        return data.Length < HeaderLength + extension ? 0 : HeaderLength + extension;
    }

    /// <summary>
    /// The next tuple at the start of <paramref name="data"/>: the bytes it takes (its fields in <paramref name="offsets"/>
    /// and <paramref name="lengths"/>, relative to <paramref name="data"/>), 0 when <paramref name="data"/> ends inside it,
    /// or -2 for the trailer (two bytes).
    /// </summary>
    /// <exception cref="FormatException">A tuple with another number of fields than <paramref name="offsets"/> holds, or a malformed length.</exception>
    public static int Next(ReadOnlySpan<byte> data, Span<int> offsets, Span<int> lengths)
    {
        if (data.Length < 2)
        {
            return 0;
        }
        var fields = BinaryPrimitives.ReadInt16BigEndian(data);
        if (fields == -1)
        {
            return -2;
        }
        if (fields != offsets.Length)
        {
            throw new FormatException($"a COPY tuple has {fields} fields, not {offsets.Length}");
        }
        var at = 2;
        for (var i = 0; i < fields; i++)
        {
            if (data.Length - at < 4)
            {
                return 0;
            }
            var length = BinaryPrimitives.ReadInt32BigEndian(data[at..]);
            at += 4;
            if (length < -1)
            {
                throw new FormatException("a COPY field's length is malformed");
            }
            offsets[i] = at;
            lengths[i] = length;
            if (length > 0)
            {
                if (data.Length - at < length)
                {
                    return 0;
                }
                at += length;
            }
        }
        return at;
    }
}

/// <summary>One tuple found by <see cref="CopyOutTuples.Next"/>: its fields decoded from PostgreSQL's binary forms.</summary>
internal readonly ref struct CopyTuple(ReadOnlySpan<byte> data, ReadOnlySpan<int> offsets, ReadOnlySpan<int> lengths)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private readonly ReadOnlySpan<int> _offsets = offsets;
    private readonly ReadOnlySpan<int> _lengths = lengths;

    public bool IsNull(int field) => _lengths[field] < 0;

    /// <exception cref="FormatException">The field is NULL.</exception>
    public ReadOnlySpan<byte> Bytes(int field) =>
        _lengths[field] < 0 ? throw new FormatException($"COPY field {field} is NULL") : _data.Slice(_offsets[field], _lengths[field]);

    public string? Text(int field) => IsNull(field) ? null : System.Text.Encoding.UTF8.GetString(Bytes(field));

    public bool Boolean(int field) => Bytes(field)[0] != 0;

    public long Int64(int field) => BinaryPrimitives.ReadInt64BigEndian(Bytes(field));

    /// <summary>The block number of a <c>tid</c> field.</summary>
    public uint TidBlock(int field) => BinaryPrimitives.ReadUInt32BigEndian(Bytes(field));

    /// <summary>A one-dimensional <c>text[]</c> field (NULL elements as null).</summary>
    /// <exception cref="FormatException">The field is NULL or an array of more dimensions.</exception>
    public string?[] TextArray(int field)
    {
        var a = Bytes(field);
        var dimensions = BinaryPrimitives.ReadInt32BigEndian(a);
        if (dimensions == 0)
        {
            return [];
        }
        if (dimensions != 1)
        {
            throw new FormatException($"COPY field {field} is not a one-dimensional array");
        }
        var values = new string?[BinaryPrimitives.ReadInt32BigEndian(a[12..])];
        var at = 20;
        for (var i = 0; i < values.Length; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(a[at..]);
            at += 4;
            if (length >= 0)
            {
                values[i] = System.Text.Encoding.UTF8.GetString(a.Slice(at, length));
                at += length;
            }
        }
        return values;
    }
}
