using System.Buffers;
using System.Buffers.Binary;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Rollout;

/// <summary>
/// One transaction's worth of an import: accepted rows (already encoded as binary COPY tuples of
/// <c>registry_person</c>, so a chunk holds bytes, not millions of objects), the rejected rows, and the data lines
/// it covers (<see cref="ResumesAfterLine"/> + 1 to <see cref="LastLine"/>). A NIR appears at most once per chunk
/// (<see cref="Contains"/>): the importer closes the chunk before a duplicate so that the later line wins.
/// </summary>
public sealed class ImportChunk : IDisposable
{
    /// <summary>Columns of each tuple, in order (<c>registry_person</c> minus status).</summary>
    public const string Columns =
        "nir_hash, vault_id, nir_masked, birth_date, family_name, given_names, sex, email, address_line1, address_line2, " +
        "postal_code, city, departement, vitale_hash, representative_nir_hashes, import_id, updated_at";

    private const short FieldCount = 17;
    private readonly SegmentBuffer _tuples = new();
    private readonly HashSet<Hash256> _nirs = [];
    private readonly List<RowError> _rejects = [];

    public ImportChunk(string importId, long resumesAfterLine, DateTimeOffset updatedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(importId);
        ArgumentOutOfRangeException.ThrowIfNegative(resumesAfterLine);
        ImportId = importId;
        ResumesAfterLine = resumesAfterLine;
        LastLine = resumesAfterLine;
        UpdatedAt = updatedAt;
    }

    public string ImportId { get; }

    /// <summary>The checkpoint this chunk continues from (the import's lines_done before it).</summary>
    public long ResumesAfterLine { get; }

    /// <summary>The last data line this chunk covers; the checkpoint after it commits.</summary>
    public long LastLine { get; private set; }

    public DateTimeOffset UpdatedAt { get; }

    public int Rows { get; private set; }

    public IReadOnlyList<RowError> Rejects => _rejects;

    /// <summary>Rows plus rejects.</summary>
    public int Lines => Rows + _rejects.Count;

    public SegmentBuffer Tuples => _tuples;

    public bool Contains(ReadOnlySpan<byte> nirHash) => _nirs.Contains(Hash256.From(nirHash));

    /// <summary>Records that the chunk covers data lines up to <paramref name="line"/>.</summary>
    public void Cover(long line)
    {
        if (line < LastLine)
        {
            throw new ArgumentOutOfRangeException(nameof(line), $"line {line} is before the chunk's last line {LastLine}");
        }
        LastLine = line;
    }

    public void Reject(RowError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Cover(error.Line);
        _rejects.Add(error);
    }

    /// <summary>Adds a stored row; false (nothing added) when its NIR hash is already in the chunk.</summary>
    public bool Add(long line, RegistryRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var representatives = new byte[row.RepresentativeNirHashes.Count * 32];
        for (var i = 0; i < row.RepresentativeNirHashes.Count; i++)
        {
            Check32(row.RepresentativeNirHashes[i], "representative NIR hash");
            row.RepresentativeNirHashes[i].CopyTo(representatives, i * 32);
        }
        Check32(row.NirHash, "NIR hash");
        if (!_nirs.Add(Hash256.From(row.NirHash)))
        {
            return false;
        }
        Cover(line);
        Encode(_tuples, ImportId, UpdatedAt, row.NirHash, row.NirMasked, row.BirthDate, row.FamilyName, row.GivenNames, row.Sex, row.Email,
            row.Address, row.VitaleHash, representatives);
        Rows++;
        return true;
    }

    /// <summary>
    /// Adds a validated person: <paramref name="nirHash"/> its NIR's keyed hash, <paramref name="vitaleHash"/> empty
    /// when it has no Vitale serial, <paramref name="representativeHashes"/> the representatives' NIR hashes back to
    /// back (32 bytes each). The clear NIR only yields the masked form. False when the NIR is already in the chunk.
    /// </summary>
    public bool Add(long line, PersonRecord person, ReadOnlySpan<byte> nirHash, ReadOnlySpan<byte> vitaleHash, ReadOnlySpan<byte> representativeHashes)
    {
        ArgumentNullException.ThrowIfNull(person);
        Check32(nirHash, "NIR hash");
        if (!_nirs.Add(Hash256.From(nirHash)))
        {
            return false;
        }
        Cover(line);
        EncodePerson(_tuples, ImportId, UpdatedAt, person, nirHash, vitaleHash, representativeHashes);
        Rows++;
        return true;
    }

    /// <summary>Adds a row already encoded by <see cref="EncodePerson"/> (the importer's parallel parsers); false on a duplicate NIR.</summary>
    internal bool AddEncoded(long line, Hash256 nir, ReadOnlySpan<byte> tuple)
    {
        if (!_nirs.Add(nir))
        {
            return false;
        }
        Cover(line);
        _tuples.Write(tuple);
        Rows++;
        return true;
    }

    internal bool Contains(Hash256 nir) => _nirs.Contains(nir);

    /// <summary>Encodes one person as a <c>registry_person</c> COPY tuple (see <see cref="Add(long, PersonRecord, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>).</summary>
    internal static void EncodePerson(IBufferWriter<byte> w, string importId, DateTimeOffset updatedAt, PersonRecord person,
        ReadOnlySpan<byte> nirHash, ReadOnlySpan<byte> vitaleHash, ReadOnlySpan<byte> representativeHashes)
    {
        if (representativeHashes.Length % 32 != 0)
        {
            throw new ArgumentException("representative hashes are 32 bytes each", nameof(representativeHashes));
        }
        Encode(w, importId, updatedAt, nirHash, Nir.Mask(person.Nir), person.BirthDate, person.FamilyName, person.GivenNames, person.Sex,
            person.Email, person.Address, vitaleHash, representativeHashes);
    }

    private static void Encode(IBufferWriter<byte> w, string importId, DateTimeOffset updatedAt, ReadOnlySpan<byte> nirHash, string nirMasked,
        DateOnly birthDate, string familyName, string givenNames, Sex sex, string? email, PostalAddress? address, ReadOnlySpan<byte> vitaleHash,
        ReadOnlySpan<byte> representatives)
    {
        Check32(nirHash, "NIR hash");
        if (!vitaleHash.IsEmpty)
        {
            Check32(vitaleHash, "Vitale hash");
        }
        PgBinary.Row(w, FieldCount);
        PgBinary.Bytea(w, nirHash);
        PgBinary.Text(w, RegistryVaultIds.For(nirHash));
        PgBinary.Text(w, nirMasked);
        PgBinary.Date(w, birthDate);
        PgBinary.Text(w, familyName);
        PgBinary.Text(w, givenNames);
        PgBinary.Int16(w, (short)sex);
        PgBinary.Text(w, email);
        PgBinary.Text(w, address?.Line1);
        PgBinary.Text(w, address?.Line2);
        PgBinary.Text(w, address?.PostalCode);
        PgBinary.Text(w, address?.City);
        PgBinary.Text(w, address is null || address.Departement.Length == 0 ? null : address.Departement);
        if (vitaleHash.IsEmpty)
        {
            PgBinary.Null(w);
        }
        else
        {
            PgBinary.Bytea(w, vitaleHash);
        }
        PgBinary.ByteaArray32(w, representatives, representatives.Length / 32);
        PgBinary.Text(w, importId);
        PgBinary.TimestampTz(w, updatedAt);
    }

    /// <summary>The rows as stored (decoded from the tuples; for the embedded store and tests).</summary>
    public IReadOnlyList<DecodedRow> DecodeRows()
    {
        var list = new List<DecodedRow>(Rows);
        var reader = new PgBinary.Reader(_tuples.ToArray());
        while (reader.NextRow() == FieldCount)
        {
            var nirHash = reader.Bytea()!;
            reader.Text(); // vault id, derived
            var masked = reader.Text()!;
            var birth = reader.Date()!.Value;
            var family = reader.Text()!;
            var given = reader.Text()!;
            var sex = (Sex)reader.Int16()!.Value;
            var email = reader.Text();
            var line1 = reader.Text();
            var line2 = reader.Text();
            var postal = reader.Text();
            var city = reader.Text();
            var departement = reader.Text();
            var vitale = reader.Bytea();
            var representatives = reader.ByteaArray();
            var importId = reader.Text()!;
            var updatedAt = reader.TimestampTz()!.Value;
            var address = line1 is null ? null : new PostalAddress(line1, line2, postal!, city!);
            list.Add(new DecodedRow(new RegistryRow(nirHash, masked, birth, family, given, sex, email, address, vitale, representatives),
                departement, importId, updatedAt));
        }
        return list;
    }

    public sealed record DecodedRow(RegistryRow Row, string? Departement, string ImportId, DateTimeOffset UpdatedAt);

    public void Dispose() => _tuples.Dispose();

    private static void Check32(ReadOnlySpan<byte> hash, string what)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException($"a {what} is 32 bytes");
        }
    }
}

/// <summary>A 32-byte hash as a dictionary key (the bytes are uniformly random: the first word is a good hash code).</summary>
public readonly record struct Hash256(ulong A, ulong B, ulong C, ulong D)
{
    public static Hash256 From(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException("a hash is 32 bytes", nameof(hash));
        }
        return new Hash256(
            BinaryPrimitives.ReadUInt64LittleEndian(hash),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]));
    }

    public override int GetHashCode() => (int)A ^ (int)(A >> 32);

    public byte[] ToArray()
    {
        var bytes = new byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, A);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), B);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), C);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), D);
        return bytes;
    }
}
