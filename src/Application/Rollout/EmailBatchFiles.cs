using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffre.Domain.Content;

namespace Coffre.Application.Rollout;

/// <summary>
/// A chunk's activation emails as one delivery batch in the content store (Blob in a cluster, local disk embedded), next
/// to its print batch: <c>email/{campaign}/{batch:D6}.txt</c>, UTF-8, '\n' after each line. The first line names the
/// batch: <c>coffre-email-batch 1 {campaign} {batch} {expiry, Unix seconds}</c>; then one line per email:
/// <c>{vault id} {code hash, base64} {delivery key id} {nonce, base64} {ciphertext‖tag, base64}</c> — the recipient vault,
/// the keyed hash of the code (the send-time check that the line still carries the person's valid email code) and the
/// code sealed for the email channel (<see cref="DeliveryCodeCipher.WriteSealed"/>: the file never holds a code in clear).
/// The message id of line i is derived from (campaign, batch, i) (<see cref="LineId"/>): the email's Message-ID and the
/// key of its bounce. About 120 bytes a line: what the file costs the content store is most of what emailing adds to
/// issuance (the JSON lines first used were 280 bytes).
/// </summary>
public static class EmailBatchFiles
{
    /// <summary>The kind of the one outbox message per email batch; its payload is <c>{"campaign":"…","batch":n}</c>.</summary>
    public const string OutboxKind = "activation-email-batch";

    public static string FileKey(string campaignId, int batchNo) => $"email/{campaignId}/{batchNo:D6}.txt";

    private static ReadOnlySpan<byte> Magic => "coffre-email-batch 1 "u8;

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

    /// <summary>Appends the batch's first line, then a line per email person of the chunk, in chunk order, to <paramref name="destination"/>.</summary>
    public static void Write(IBufferWriter<byte> destination, IssuanceChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(chunk);
        destination.Write(Magic);
        destination.Write(Encoding.UTF8.GetBytes(
            $"{chunk.CampaignId} {chunk.BatchNo ?? throw new RolloutException("an email batch needs its batch number")} {chunk.ExpiresAt.ToUnixTimeSeconds()}\n"));
        for (var i = 0; i < chunk.Count; i++)
        {
            if (chunk.EmailOrdinal(i) is not (var e and >= 0))
            {
                continue;
            }
            var sealedCode = chunk.SealedCode(e);
            var span = destination.GetSpan(IssuanceChunk.VaultIdLength + 48 + sealedCode.Length);
            chunk.VaultIdAscii(i).CopyTo(span);
            var at = IssuanceChunk.VaultIdLength;
            span[at++] = (byte)' ';
            System.Buffers.Text.Base64.EncodeToUtf8(chunk.CodeHash(i), span[at..], out _, out var written);
            at += written;
            span[at++] = (byte)' ';
            sealedCode.CopyTo(span[at..]);
            at += sealedCode.Length;
            span[at++] = (byte)'\n';
            destination.Advance(at);
        }
    }

    /// <summary>
    /// A batch file's bytes, its first line read and its email lines located (<see cref="Count"/>), each parsed on demand
    /// (<see cref="Line"/>). Throws <see cref="FormatException"/> when the first line is not an email batch's.
    /// </summary>
    public sealed class ParsedFile
    {
        private readonly byte[] _bytes;
        private readonly List<Range> _lines;

        public ParsedFile(byte[] bytes)
        {
            ArgumentNullException.ThrowIfNull(bytes);
            _bytes = bytes;
            _lines = LineRanges(bytes);
            var header = _lines.Count == 0 ? default : bytes.AsSpan()[_lines[0]];
            if (!header.StartsWith(Magic) || Encoding.UTF8.GetString(header[Magic.Length..]).Split(' ') is not [var campaign, var batch, var expiry]
                || !int.TryParse(batch, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var batchNo)
                || !long.TryParse(expiry, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            {
                throw new FormatException("not an email batch file (first line)");
            }
            CampaignId = campaign;
            BatchNo = batchNo;
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
            _lines.RemoveAt(0);
        }

        public string CampaignId { get; }

        public int BatchNo { get; }

        public DateTimeOffset ExpiresAt { get; }

        /// <summary>The number of emails (lines after the first).</summary>
        public int Count => _lines.Count;

        /// <summary>Email <paramref name="index"/> (from 0): its derived message id, vault, code hash and payload JSON.</summary>
        public EmailBatchLine Line(int index)
        {
            var line = _bytes.AsSpan()[_lines[index]];
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
                DeliveryCodeCipher.PayloadFromSealed(CampaignId, ExpiresAt, line[(first + second + 2)..]));
        }
    }

    /// <summary>Every email line of a batch file's bytes.</summary>
    public static IReadOnlyList<EmailBatchLine> Parse(byte[] file)
    {
        var parsed = new ParsedFile(file);
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
    public static async Task<IReadOnlyList<EmailBatchLine>> ReadAsync(IContentStore content, EmailBatch batch, CancellationToken cancellationToken = default)
    {
        var lines = Parse(await ReadVerifiedAsync(content, batch, cancellationToken).ConfigureAwait(false));
        if (lines.Count != batch.Emails)
        {
            throw new RolloutException($"email batch {batch.BatchNo} holds {lines.Count} emails, {batch.Emails} were committed");
        }
        return lines;
    }

    private sealed record BatchReference(string Campaign, int Batch);

    private static readonly JsonSerializerOptions ReferenceJsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}

/// <summary>One email of a batch file: message id, recipient vault id, the code's keyed hash and the encrypted payload.</summary>
public sealed record EmailBatchLine(Guid Id, string VaultId, byte[] CodeHash, string PayloadJson);
