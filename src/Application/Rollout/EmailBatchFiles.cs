using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffre.Domain.Content;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Rollout;

/// <summary>
/// A chunk's activation emails as one delivery batch in the content store (Blob in a cluster, local disk embedded), next
/// to its print batch: <c>email/{campaign}/{batch:D6}.bin</c> (<c>.txt</c> for version 1 files: each batch's row keeps
/// its file's key). Version 3 (written since 2026-12-07, <see cref="Write"/>): a first line, UTF-8 ending in '\n',
/// <c>coffre-email-batch 3 {campaign} {batch} {expiry, Unix seconds} {record size} {delivery key id} {nonce, base64}</c>;
/// then, per email, <see cref="ClearRecordSize"/> bytes in clear: the recipient vault id (22 ASCII bytes) and the first
/// <see cref="CodeHashPrefix"/> bytes of the code's keyed hash (the send-time check that the record still carries the
/// person's valid email code); then every email's code, ASCII, encrypted together in ONE AES-256-GCM operation under
/// the delivery key (<see cref="DeliveryCodeCipher.SealBatch"/>), whose associated data is everything before them (first
/// line and clear records); then the 16-byte tag. <see cref="RecordSize"/> = 45 bytes an email. The file never holds a
/// code in clear, and no byte of it can change unnoticed. Reading it takes the delivery key: <see cref="ParsedFile"/>
/// opens the codes once and seals each again for its own message (the payload an email of version 2 carried), so what
/// the router hands on is unchanged. The message id of record i is derived from (campaign, batch, i) (<see cref="LineId"/>):
/// the email's Message-ID and the key of its bounce. Still read: version 2 (75-byte records, each code sealed alone with
/// its own nonce and tag: one AES-GCM call per email cost issuance about 1 µs, nearly all of it the call) and version 1
/// (text lines, base64, the whole hash, 124 bytes an email).
/// </summary>
public static class EmailBatchFiles
{
    /// <summary>The kind of the one outbox message per email batch; its payload is <c>{"campaign":"…","batch":n}</c>.</summary>
    public const string OutboxKind = "activation-email-batch";

    public static string FileKey(string campaignId, int batchNo) => $"email/{campaignId}/{batchNo:D6}.bin";

    /// <summary>How much of the code's keyed hash a record keeps: 96 bits tell the person's valid code from any other.</summary>
    public const int CodeHashPrefix = 12;

    /// <summary>The clear part of an email's record: vault id and code hash prefix.</summary>
    public const int ClearRecordSize = IssuanceChunk.VaultIdLength + CodeHashPrefix;

    /// <summary>What a version 3 file holds per email: the clear record and the code's ciphertext.</summary>
    public const int RecordSize = ClearRecordSize + ActivationCodes.CanonicalLength;

    /// <summary>The size of a version 2 record: the clear record and the code sealed alone (<see cref="DeliveryCodeCipher.SealedSize"/>).</summary>
    public const int SealedRecordSize = ClearRecordSize + DeliveryCodeCipher.SealedSize;

    private static ReadOnlySpan<byte> Magic => "coffre-email-batch 3 "u8;

    private static ReadOnlySpan<byte> MagicSealedRecords => "coffre-email-batch 2 "u8;

    private static ReadOnlySpan<byte> MagicText => "coffre-email-batch 1 "u8;

    /// <summary>
    /// The batch's outbox message id, derived from (campaign, batch) (SHA-256, shaped as a version 8 UUID): committing or
    /// replaying the batch names the same message, so it is one row.
    /// </summary>
    public static Guid MessageId(string campaignId, int batchNo) => DerivedId($"coffre-email-batch\n{campaignId}\n{batchNo}");

    /// <summary>The message id of line <paramref name="index"/> (from 0) of a batch: the same whenever the file is read.</summary>
    public static Guid LineId(string campaignId, int batchNo, int index) => DerivedId($"coffre-email\n{campaignId}\n{batchNo}\n{index}");

    /// <summary>SHA-256 of <paramref name="text"/>, shaped as a version 8 UUID.</summary>
    private static Guid DerivedId(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>The batch's outbox message payload.</summary>
    public static string MessagePayload(string campaignId, int batchNo) =>
        JsonSerializer.Serialize(new BatchReference(campaignId, batchNo), ReferenceJsonOptions);

    /// <summary>Reads a batch message payload back (null when it is not one).</summary>
    public static (string CampaignId, int BatchNo)? ParseMessagePayload(string payloadJson)
    {
        try
        {
            return JsonSerializer.Deserialize<BatchReference>(payloadJson, ReferenceJsonOptions) is { Campaign.Length: > 0 } r ? (r.Campaign, r.Batch) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Appends the chunk's email batch file (version 3, see the class summary) to <paramref name="destination"/>: a
    /// record per email person of the chunk, in chunk order, their codes sealed together under
    /// <paramref name="cipher"/>'s current key.
    /// </summary>
    public static void Write(IBufferWriter<byte> destination, IssuanceChunk chunk, DeliveryCodeCipher cipher)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(cipher);
        var batchNo = chunk.BatchNo ?? throw new RolloutException("an email batch needs its batch number");
        Span<byte> nonce = stackalloc byte[DeliveryCodeCipher.BatchNonceSize];
        cipher.NewBatchNonce(nonce);
        var header = Encoding.UTF8.GetBytes(
            $"coffre-email-batch 3 {chunk.CampaignId} {batchNo} {chunk.ExpiresAt.ToUnixTimeSeconds()} {RecordSize} {cipher.CurrentKeyId} {Convert.ToBase64String(nonce)}\n");
        var emails = chunk.Emails;
        var clearLength = header.Length + emails * ClearRecordSize;
        var codesLength = emails * ActivationCodes.CanonicalLength;
        var total = clearLength + codesLength + DeliveryCodeCipher.BatchTagSize;
        var file = ArrayPool<byte>.Shared.Rent(total);
        var codes = ArrayPool<byte>.Shared.Rent(Math.Max(1, codesLength));
        try
        {
            header.CopyTo(file, 0);
            for (var i = 0; i < chunk.Count; i++)
            {
                if (chunk.EmailOrdinal(i) is not (var e and >= 0))
                {
                    continue;
                }
                var record = file.AsSpan(header.Length + e * ClearRecordSize, ClearRecordSize);
                chunk.VaultIdAscii(i).CopyTo(record);
                chunk.CodeHash(i)[..CodeHashPrefix].CopyTo(record[IssuanceChunk.VaultIdLength..]);
                chunk.EmailCode(e).CopyTo(codes.AsSpan(e * ActivationCodes.CanonicalLength));
            }
            cipher.SealBatch(nonce, file.AsSpan(0, clearLength), codes.AsSpan(0, codesLength),
                file.AsSpan(clearLength, codesLength), file.AsSpan(clearLength + codesLength, DeliveryCodeCipher.BatchTagSize));
            destination.Write(file.AsSpan(0, total));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(codes.AsSpan(0, codesLength));
            ArrayPool<byte>.Shared.Return(codes);
            ArrayPool<byte>.Shared.Return(file);
        }
    }

    /// <summary>
    /// A batch file's bytes, its first line read and its emails located (<see cref="Count"/>), each parsed on demand
    /// (<see cref="Line"/>): version 3 (opened with <c>cipher</c>, each code sealed again for its message), version 2
    /// records, or version 1 text lines (<c>{vault id} {code hash, base64} {sealed code as text}</c>, written until
    /// 2026-12-07). Throws <see cref="FormatException"/> when the first line is not an email batch's, the records do not
    /// fill the file, or a version 3 file cannot be opened (no cipher, unknown key, anything altered).
    /// </summary>
    public sealed class ParsedFile
    {
        private readonly byte[] _bytes;
        private readonly List<Range>? _lines;
        private readonly int _recordsStart;

        public ParsedFile(byte[] bytes, DeliveryCodeCipher? cipher = null)
        {
            ArgumentNullException.ThrowIfNull(bytes);
            _bytes = bytes;
            var end = bytes.AsSpan().IndexOf((byte)'\n');
            var header = end < 0 ? default : bytes.AsSpan(0, end);
            var version = header.StartsWith(Magic) ? 3 : header.StartsWith(MagicSealedRecords) ? 2 : header.StartsWith(MagicText) ? 1 : 0;
            var fields = version > 0 ? Encoding.UTF8.GetString(header[Magic.Length..]).Split(' ') : [];
            if (fields.Length != version switch { 1 => 3, 2 => 4, 3 => 6, _ => -1 }
                || !int.TryParse(fields[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var batchNo)
                || !long.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                || version > 1 && fields[3] != (version == 3 ? RecordSize : SealedRecordSize).ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new FormatException("not an email batch file (first line)");
            }
            CampaignId = fields[0];
            BatchNo = batchNo;
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
            _recordsStart = end + 1;
            if (version == 1)
            {
                _lines = LineRanges(bytes.AsSpan(_recordsStart));
                Count = _lines.Count;
            }
            else if (version == 3)
            {
                _bytes = OpenSealed(bytes, _recordsStart, fields, cipher ?? throw new FormatException("a version 3 email batch file is read with the delivery key"));
                _recordsStart = 0;
                Count = _bytes.Length / SealedRecordSize;
            }
            else if ((bytes.Length - _recordsStart) % SealedRecordSize != 0)
            {
                throw new FormatException("an email batch file ends inside a record");
            }
            else
            {
                Count = (bytes.Length - _recordsStart) / SealedRecordSize;
            }
        }

        /// <summary>
        /// A version 3 file's emails as version 2 records: the codes opened together, then each sealed alone for its
        /// message under the same key (<see cref="DeliveryCodeCipher.Seal(DeliveryCodeCipher.PayloadTemplate, string, ReadOnlySpan{char}, Span{byte})"/>),
        /// so that no code stays in clear after this returns.
        /// </summary>
        private byte[] OpenSealed(byte[] bytes, int recordsStart, string[] fields, DeliveryCodeCipher cipher)
        {
            Span<byte> nonce = stackalloc byte[DeliveryCodeCipher.BatchNonceSize];
            if (!short.TryParse(fields[4], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var keyId)
                || !Convert.TryFromBase64String(fields[5], nonce, out var nonceLength) || nonceLength != nonce.Length)
            {
                throw new FormatException("not an email batch file (first line)");
            }
            var body = bytes.Length - recordsStart - DeliveryCodeCipher.BatchTagSize;
            if (body < 0 || body % RecordSize != 0)
            {
                throw new FormatException("an email batch file ends inside a record");
            }
            var count = body / RecordSize;
            var clearLength = recordsStart + count * ClearRecordSize;
            var codesLength = count * ActivationCodes.CanonicalLength;
            var codes = ArrayPool<byte>.Shared.Rent(Math.Max(1, codesLength));
            try
            {
                try
                {
                    cipher.OpenBatch(keyId, nonce, bytes.AsSpan(0, clearLength), bytes.AsSpan(clearLength, codesLength),
                        bytes.AsSpan(clearLength + codesLength, DeliveryCodeCipher.BatchTagSize), codes.AsSpan(0, codesLength));
                }
                catch (CryptographicException e)
                {
                    throw new FormatException("an email batch file cannot be opened with the delivery keys (unknown key, or altered)", e);
                }
                var template = DeliveryCodeCipher.TemplateFor(CampaignId, keyId, ExpiresAt);
                var records = new byte[count * SealedRecordSize];
                Span<char> code = stackalloc char[ActivationCodes.CanonicalLength];
                for (var i = 0; i < count; i++)
                {
                    var clear = bytes.AsSpan(recordsStart + i * ClearRecordSize, ClearRecordSize);
                    var record = records.AsSpan(i * SealedRecordSize, SealedRecordSize);
                    clear.CopyTo(record);
                    Ascii.ToUtf16(codes.AsSpan(i * ActivationCodes.CanonicalLength, ActivationCodes.CanonicalLength), code, out _);
                    // The vault id is checked where every version's record is read (Line); here it is only the sealing's associated data.
                    cipher.Seal(template, Encoding.ASCII.GetString(clear[..IssuanceChunk.VaultIdLength]), code, record[ClearRecordSize..]);
                }
                code.Clear();
                return records;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(codes.AsSpan(0, codesLength));
                ArrayPool<byte>.Shared.Return(codes);
            }
        }

        public string CampaignId { get; }

        public int BatchNo { get; }

        public DateTimeOffset ExpiresAt { get; }

        /// <summary>The number of emails.</summary>
        public int Count { get; }

        /// <summary>Email <paramref name="index"/> (from 0): its derived message id, vault, code hash (or its prefix) and payload JSON.</summary>
        public EmailBatchLine Line(int index)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            if (_lines is not null)
            {
                return TextLine(index);
            }
            var record = _bytes.AsSpan(_recordsStart + index * SealedRecordSize, SealedRecordSize);
            var vault = record[..IssuanceChunk.VaultIdLength];
            if (vault.ContainsAnyExceptInRange((byte)'!', (byte)'~'))
            {
                throw new FormatException($"record {index + 1} of an email batch file has no vault id");
            }
            return new EmailBatchLine(LineId(CampaignId, BatchNo, index), Encoding.ASCII.GetString(vault),
                record.Slice(IssuanceChunk.VaultIdLength, CodeHashPrefix).ToArray(),
                DeliveryCodeCipher.PayloadFromSealed(CampaignId, ExpiresAt, record[(IssuanceChunk.VaultIdLength + CodeHashPrefix)..]));
        }

        private EmailBatchLine TextLine(int index)
        {
            var line = _bytes.AsSpan(_recordsStart)[_lines![index]];
            var first = line.IndexOf((byte)' ');
            var second = first < 0 ? -1 : line[(first + 1)..].IndexOf((byte)' ');
            if (first != IssuanceChunk.VaultIdLength || second < 0)
            {
                throw new FormatException($"line {index + 2} of an email batch file is malformed");
            }
            var codeHash = new byte[32];
            if (System.Buffers.Text.Base64.DecodeFromUtf8(line.Slice(first + 1, second), codeHash, out _, out var decoded) != OperationStatus.Done || decoded != 32)
            {
                throw new FormatException($"line {index + 2} of an email batch file has no code hash");
            }
            return new EmailBatchLine(LineId(CampaignId, BatchNo, index), Encoding.ASCII.GetString(line[..first]), codeHash,
                DeliveryCodeCipher.PayloadFromSealedText(CampaignId, ExpiresAt, line[(first + second + 2)..]));
        }
    }

    /// <summary>Every email line of a batch file's bytes (<paramref name="cipher"/>: the delivery keys, for version 3).</summary>
    public static IReadOnlyList<EmailBatchLine> Parse(byte[] file, DeliveryCodeCipher? cipher = null)
    {
        var parsed = new ParsedFile(file, cipher);
        return [.. Enumerable.Range(0, parsed.Count).Select(parsed.Line)];
    }

    /// <summary>Where each line of the file lies (without its '\n'); a last line without '\n' counts too.</summary>
    private static List<Range> LineRanges(ReadOnlySpan<byte> file)
    {
        var ranges = new List<Range>();
        var start = 0;
        while (start < file.Length)
        {
            var end = file[start..].IndexOf((byte)'\n');
            var stop = end < 0 ? file.Length : start + end;
            if (stop > start)
            {
                ranges.Add(new Range(start, stop));
            }
            start = stop + 1;
        }
        return ranges;
    }

    /// <summary>
    /// Reads a committed batch file whole from the content store and checks it against its <c>email_batch</c> row (stored
    /// SHA-256 and the bytes' own, line count) before anything is parsed: a file that is not the committed one is never
    /// sent. Throws <see cref="RolloutException"/> when it is missing or differs.
    /// </summary>
    public static async Task<byte[]> ReadVerifiedAsync(IContentStore content, EmailBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(batch);
        byte[] bytes;
        await using (var reader = await content.OpenReadAsync(new ContentKey(batch.ContentKey), cancellationToken).ConfigureAwait(false)
            ?? throw new RolloutException($"email batch {batch.BatchNo} of campaign '{batch.CampaignId}' is missing from the content store"))
        {
            if (!Sha256Hex.Matches(reader.Sha256, batch.Sha256))
            {
                throw new RolloutException($"email batch {batch.BatchNo} of campaign '{batch.CampaignId}' is not the committed file");
            }
            using var buffer = new MemoryStream(reader.Length is > 0 and < int.MaxValue ? (int)reader.Length : 0);
            try
            {
                await reader.Stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (ContentIntegrityException e)
            {
                throw new RolloutException($"email batch {batch.BatchNo} of campaign '{batch.CampaignId}' is not the committed file", e);
            }
            bytes = buffer.ToArray();
        }
        if (!Sha256Hex.Matches(Sha256Hex.Of(bytes), batch.Sha256))
        {
            throw new RolloutException($"email batch {batch.BatchNo} of campaign '{batch.CampaignId}' is not the committed file");
        }
        return bytes;
    }

    /// <summary>The lines of a committed batch, checked as <see cref="ReadVerifiedAsync"/> does, and their count against the row.</summary>
    public static async Task<IReadOnlyList<EmailBatchLine>> ReadAsync(IContentStore content, EmailBatch batch, DeliveryCodeCipher? cipher, CancellationToken cancellationToken = default)
    {
        var lines = Parse(await ReadVerifiedAsync(content, batch, cancellationToken).ConfigureAwait(false), cipher);
        if (lines.Count != batch.Emails)
        {
            throw new RolloutException($"email batch {batch.BatchNo} holds {lines.Count} emails, {batch.Emails} were committed");
        }
        return lines;
    }

    private sealed record BatchReference(string Campaign, int Batch);

    private static readonly JsonSerializerOptions ReferenceJsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}

/// <summary>
/// One email of a batch file: message id, recipient vault id, the code's keyed hash (its first
/// <see cref="EmailBatchFiles.CodeHashPrefix"/> bytes in a version 2 file, all 32 in a version 1 file) and the encrypted payload.
/// </summary>
public sealed record EmailBatchLine(Guid Id, string VaultId, byte[] CodeHash, string PayloadJson)
{
    /// <summary>Whether <paramref name="codeHash"/> (a whole keyed hash) is the one this email carries.</summary>
    public bool Carries(ReadOnlySpan<byte> codeHash) => CodeHash.Length >= EmailBatchFiles.CodeHashPrefix && codeHash.StartsWith(CodeHash);
}
