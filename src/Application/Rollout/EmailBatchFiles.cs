using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffre.Domain.Content;

namespace Coffre.Application.Rollout;

/// <summary>
/// A chunk's activation emails as one delivery batch in the content store (Blob in a cluster, local disk embedded), next
/// to its print batch: <c>email/{campaign}/{batch:D6}.jsonl</c>, UTF-8, one JSON object per line and '\n' after each:
/// <c>{"id":"…","vault":"…","codeHash":"…","payload":{…}}</c> — the message id (UUID v7, the email's Message-ID and the
/// key of a bounce), the recipient vault id, the base64 keyed hash of the code (the send-time check that the line still
/// carries the person's valid email code) and the same <see cref="DeliveryCodeCipher"/> payload an <c>activation-code</c>
/// outbox message carries (the code encrypted for the email channel: the file never holds a code in clear).
/// </summary>
/// <remarks>
/// Written before the transaction that commits the chunk's codes and its <c>email_batch</c> row (which records the
/// file's SHA-256 and line count), like the print CSV: a chunk that then fails leaves an orphan file no row references.
/// One outbox message per batch (<see cref="OutboxKind"/>, id <see cref="MessageId"/>) hands it to the router.
/// </remarks>
public static class EmailBatchFiles
{
    /// <summary>The kind of the one outbox message per email batch; its payload is <c>{"campaign":"…","batch":n}</c>.</summary>
    public const string OutboxKind = "activation-email-batch";

    public static string FileKey(string campaignId, int batchNo) => $"email/{campaignId}/{batchNo:D6}.jsonl";

    /// <summary>
    /// The batch's outbox message id, derived from (campaign, batch) (SHA-256, shaped as a version 8 UUID): committing or
    /// replaying the batch names the same message, so it is one row.
    /// </summary>
    public static Guid MessageId(string campaignId, int batchNo)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"coffre-email-batch\n{campaignId}\n{batchNo}"), hash);
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

    /// <summary>Appends the lines of the chunk's email people, in chunk order, to <paramref name="destination"/>.</summary>
    public static void Write(IBufferWriter<byte> destination, IssuanceChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(chunk);
        using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { SkipValidation = true });
        for (var i = 0; i < chunk.Count; i++)
        {
            if (chunk.EmailOrdinal(i) is not (var e and >= 0))
            {
                continue;
            }
            json.WriteStartObject();
            json.WriteString("id"u8, chunk.OutboxId(e));
            json.WriteString("vault"u8, chunk.VaultIdAscii(i));
            json.WriteBase64String("codeHash"u8, chunk.CodeHash(i));
            json.WritePropertyName("payload"u8);
            json.WriteRawValue(chunk.Payload(e), skipInputValidation: true);
            json.WriteEndObject();
            json.Flush();
            json.Reset();
            destination.GetSpan(1)[0] = (byte)'\n';
            destination.Advance(1);
        }
    }

    /// <summary>One line (an email) parsed.</summary>
    public static EmailBatchLine ParseLine(ReadOnlySpan<byte> line)
    {
        try
        {
            using var document = JsonDocument.Parse(line.ToArray());
            var root = document.RootElement;
            return new EmailBatchLine(
                root.GetProperty("id").GetGuid(),
                root.GetProperty("vault").GetString() ?? throw new FormatException("an email batch line has no vault"),
                root.GetProperty("codeHash").GetBytesFromBase64(),
                root.GetProperty("payload").GetRawText());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("an email batch line is malformed", e);
        }
    }

    /// <summary>Every line of a batch file's bytes.</summary>
    public static IReadOnlyList<EmailBatchLine> Parse(ReadOnlySpan<byte> file)
    {
        var lines = new List<EmailBatchLine>();
        foreach (var range in LineRanges(file))
        {
            lines.Add(ParseLine(file[range]));
        }
        return lines;
    }

    /// <summary>Where each line of the file lies (without its '\n'); a last line without '\n' counts too.</summary>
    public static List<Range> LineRanges(ReadOnlySpan<byte> file)
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
