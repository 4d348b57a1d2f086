using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;

namespace Coffre.Application.Audit;

/// <summary>
/// The hash chain both audit stores share: the canonical bytes of an event, the link hash
/// <c>hash_n = SHA-256(hash_{n-1} ‖ canonical(event_n))</c> from <see cref="Genesis"/>, the head MAC, and the
/// verification that turns a stored chain into a <see cref="ChainVerification"/>.
/// </summary>
/// <remarks>
/// Canonical form, version 1 (all integers big-endian): the byte 0x01; then vault id, actor id, actor
/// profession, operation and target are each written as an int32 UTF-8 byte length followed by the bytes (length
/// -1 and no bytes for a null profession); the time as int64 microseconds since 1970-01-01T00:00:00Z; actor kind,
/// basis and reason as int32; the action code as uint16; allowed as one byte 0/1. Fields come in this order:
/// version, vault id, time, actor kind, actor id, profession, action, operation, target, allowed, basis, reason.
/// Microseconds are what PostgreSQL's timestamptz keeps, so an event read back hashes the same.
/// <para>Version 2, only for aggregated events (<see cref="AuditEvent.IsAggregate"/>: count ≠ 1 or a first time):
/// the byte 0x02, the same fields as version 1, then the count as int32 and the first time as int64 microseconds
/// (-1 when absent). Single events keep version 1, so chains written before aggregation existed verify unchanged.</para>
/// </remarks>
public static class AuditChain
{
    /// <summary>Configuration key of the base64 head-MAC key (at least 32 bytes).</summary>
    public const string HeadKeyConfigurationKey = "Coffre:Audit:HeadKey";

    public const int HashLength = 32;
    private const int MinimumKeyLength = 32;
    private const byte CanonicalVersion = 1;
    private const byte AggregateCanonicalVersion = 2;
    private static readonly byte[] HeadMacTag = "coffre.audit.head.v1"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The hash before event 1: 32 zero bytes.</summary>
    public static ReadOnlySpan<byte> Genesis => new byte[HashLength];

    /// <summary>
    /// The event as it is stored and hashed: the time in UTC truncated to whole microseconds. Throws
    /// <see cref="ArgumentException"/> for what no store can keep (empty vault id, null strings, NUL characters,
    /// unpaired surrogates), so a bad event fails its own caller and never a whole batch.
    /// </summary>
    public static AuditEvent Normalise(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        if (string.IsNullOrEmpty(auditEvent.VaultId))
        {
            throw new ArgumentException("audit event has no vault id", nameof(auditEvent));
        }
        CheckText(auditEvent.VaultId, "vault id");
        CheckText(auditEvent.ActorId, "actor id");
        if (auditEvent.ActorProfession is not null)
        {
            CheckText(auditEvent.ActorProfession, "actor profession");
        }
        CheckText(auditEvent.Operation, "operation");
        CheckText(auditEvent.Target, "target");
        if (auditEvent.Count < 1)
        {
            throw new ArgumentException("audit event count must be at least 1", nameof(auditEvent));
        }
        var code = (int)auditEvent.Action;
        if (code is <= 0 or > 0x7F)
        {
            throw new ArgumentException($"audit action {code} is not a single ASCII code", nameof(auditEvent));
        }
        var at = TruncateToMicroseconds(auditEvent.At);
        var firstAt = auditEvent.FirstAt is { } f ? TruncateToMicroseconds(f) : (DateTimeOffset?)null;
        return at == auditEvent.At && auditEvent.At.Offset == TimeSpan.Zero && firstAt == auditEvent.FirstAt
            && (auditEvent.FirstAt is null || auditEvent.FirstAt.Value.Offset == TimeSpan.Zero)
            ? auditEvent
            : auditEvent with { At = at, FirstAt = firstAt };
    }

    /// <summary>UTC, whole microseconds (the precision of PostgreSQL's timestamptz).</summary>
    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
    }

    /// <summary>The canonical bytes of <see cref="Normalise"/>d <paramref name="auditEvent"/>.</summary>
    public static byte[] Canonical(AuditEvent auditEvent)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        WriteCanonical(writer, Normalise(auditEvent));
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>SHA-256(<paramref name="previousHash"/> ‖ canonical(<paramref name="auditEvent"/>)).</summary>
    public static byte[] ComputeHash(ReadOnlySpan<byte> previousHash, AuditEvent auditEvent)
    {
        if (previousHash.Length != HashLength)
        {
            throw new ArgumentException($"a chain hash has {HashLength} bytes", nameof(previousHash));
        }
        var writer = new ArrayBufferWriter<byte>(256);
        writer.Write(previousHash);
        WriteCanonical(writer, Normalise(auditEvent));
        return SHA256.HashData(writer.WrittenSpan);
    }

    /// <summary>HMAC-SHA256(key, tag ‖ len(vault id) ‖ vault id ‖ seq ‖ hash): the head's proof that Coffre wrote it.</summary>
    public static byte[] ComputeHeadMac(ReadOnlySpan<byte> key, string vaultId, long sequence, ReadOnlySpan<byte> hash)
    {
        CheckKey(key);
        var writer = new ArrayBufferWriter<byte>(128);
        writer.Write(HeadMacTag);
        WriteString(writer, vaultId);
        WriteInt64(writer, sequence);
        writer.Write(hash);
        return HMACSHA256.HashData(key, writer.WrittenSpan);
    }

    public static bool HeadMacIsValid(ReadOnlySpan<byte> key, AuditHead head) =>
        CryptographicOperations.FixedTimeEquals(ComputeHeadMac(key, head.VaultId, head.Sequence, head.Hash), head.Mac);

    /// <summary>Reads the head key from its base64 configuration value; it must decode to at least 32 bytes.</summary>
    public static byte[] ParseHeadKey(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            throw new InvalidOperationException($"{HeadKeyConfigurationKey} is not set: give a base64 key of at least {MinimumKeyLength} bytes");
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{HeadKeyConfigurationKey} is not valid base64");
        }
        CheckKey(key);
        return key;
    }

    /// <summary>Lower-case hex, the spelling of <see cref="StoredAuditEvent.Hash"/>.</summary>
    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    /// <summary>Verifies a whole chain held in memory (links in sequence order) against its head.</summary>
    public static ChainVerification Verify(string vaultId, IEnumerable<AuditChainLink> links, AuditHead? head, ReadOnlySpan<byte> headKey)
    {
        var verifier = new AuditChainVerifier();
        foreach (var link in links)
        {
            if (!verifier.Add(link))
            {
                break;
            }
        }
        return verifier.Complete(vaultId, head, headKey);
    }

    public static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinimumKeyLength)
        {
            throw new ArgumentException($"the audit head key must have at least {MinimumKeyLength} bytes", nameof(key));
        }
    }

    private static void CheckText(string? value, string what)
    {
        if (value is null)
        {
            throw new ArgumentException($"audit event {what} is null");
        }
        if (value.Contains('\0'))
        {
            throw new ArgumentException($"audit event {what} contains a NUL character");
        }
        try
        {
            StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"audit event {what} is not valid Unicode");
        }
    }

    private static void WriteCanonical(ArrayBufferWriter<byte> writer, AuditEvent e)
    {
        writer.GetSpan(1)[0] = e.IsAggregate ? AggregateCanonicalVersion : CanonicalVersion;
        writer.Advance(1);
        WriteString(writer, e.VaultId);
        WriteInt64(writer, (e.At.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        WriteInt32(writer, (int)e.ActorKind);
        WriteString(writer, e.ActorId);
        WriteString(writer, e.ActorProfession);
        var action = writer.GetSpan(2);
        BinaryPrimitives.WriteUInt16BigEndian(action, (ushort)(int)e.Action);
        writer.Advance(2);
        WriteString(writer, e.Operation);
        WriteString(writer, e.Target);
        writer.GetSpan(1)[0] = e.Allowed ? (byte)1 : (byte)0;
        writer.Advance(1);
        WriteInt32(writer, (int)e.Basis);
        WriteInt32(writer, (int)e.Reason);
        if (e.IsAggregate)
        {
            WriteInt32(writer, e.Count);
            WriteInt64(writer, e.FirstAt is { } first ? Micros(first) : -1);
        }
    }

    private static long Micros(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    private static void WriteString(ArrayBufferWriter<byte> writer, string? value)
    {
        if (value is null)
        {
            WriteInt32(writer, -1);
            return;
        }
        var length = StrictUtf8.GetByteCount(value);
        WriteInt32(writer, length);
        StrictUtf8.GetBytes(value, writer.GetSpan(length));
        writer.Advance(length);
    }

    private static void WriteInt32(ArrayBufferWriter<byte> writer, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }
}

/// <summary>One stored link of a chain: the event with the hashes stored beside it.</summary>
public sealed record AuditChainLink(long Sequence, AuditEvent Event, byte[] PreviousHash, byte[] Hash);

/// <summary>The stored head of a vault's chain: newest sequence and hash, and their MAC.</summary>
public sealed record AuditHead(string VaultId, long Sequence, byte[] Hash, byte[] Mac);

/// <summary>
/// Where a vault's chain ended when it was read (sequence 0 and the genesis hash for a chain with no head): a writer
/// that appends in its own transaction chains onto it, and loses to any writer that moved the chain since.
/// </summary>
public sealed record AuditChainTip(long Sequence, byte[] Hash)
{
    public static AuditChainTip Start() => new(0, AuditChain.Genesis.ToArray());
}

/// <summary>
/// Checks a chain link by link, in sequence order, without holding it (the PostgreSQL store streams it). Feed
/// links with <see cref="Add"/> until it returns false (broken: stop reading), then call <see cref="Complete"/>.
/// </summary>
public sealed class AuditChainVerifier
{
    private byte[] _previous = AuditChain.Genesis.ToArray();
    private long _expected = 1;
    private long _checked;
    private ChainVerification? _broken;

    /// <summary>Links read so far.</summary>
    public long EventsChecked => _checked;

    /// <summary>Checks the next link; false once the chain is broken (further links are ignored).</summary>
    public bool Add(AuditChainLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (_broken is not null)
        {
            return false;
        }
        _checked++;
        var n = _expected;
        if (link.Sequence > n)
        {
            return Break(n, $"event {n} is missing");
        }
        if (link.Sequence < n || !CryptographicOperations.FixedTimeEquals(link.PreviousHash, _previous))
        {
            return Break(link.Sequence, n == 1 ? "event 1 does not start the chain" : $"event {link.Sequence} does not follow event {n - 1}");
        }
        byte[] actual;
        try
        {
            actual = AuditChain.ComputeHash(_previous, link.Event);
        }
        catch (ArgumentException)
        {
            return Break(n, $"event {n} was modified");
        }
        if (!CryptographicOperations.FixedTimeEquals(actual, link.Hash))
        {
            return Break(n, $"event {n} was modified");
        }
        _previous = actual;
        _expected = n + 1;
        return true;
    }

    /// <summary>The verdict: the first broken link, or else the chain's end checked against its head.</summary>
    public ChainVerification Complete(string vaultId, AuditHead? head, ReadOnlySpan<byte> headKey)
    {
        if (_broken is not null)
        {
            return _broken;
        }
        var last = _expected - 1;
        if (head is null)
        {
            return last == 0
                ? new ChainVerification(true, _checked, null, null)
                : new ChainVerification(false, _checked, null, "chain head is missing");
        }
        if (!string.Equals(head.VaultId, vaultId, StringComparison.Ordinal) || !AuditChain.HeadMacIsValid(headKey, head))
        {
            return new ChainVerification(false, _checked, null, "chain head was modified");
        }
        if (head.Sequence > last)
        {
            return new ChainVerification(false, _checked, last + 1, $"events after {last} were removed");
        }
        if (head.Sequence < last)
        {
            return new ChainVerification(false, _checked, head.Sequence + 1, $"event {head.Sequence + 1} was added after the chain head");
        }
        if (!CryptographicOperations.FixedTimeEquals(head.Hash, _previous))
        {
            return new ChainVerification(false, _checked, last, $"event {last} does not match the chain head: events after {last - 1} were removed or replaced");
        }
        return new ChainVerification(true, _checked, null, null);
    }

    private bool Break(long sequence, string problem)
    {
        _broken = new ChainVerification(false, _checked, sequence, problem);
        return false;
    }
}
