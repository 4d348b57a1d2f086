using System.Text.Json;
using Coffre.Application.Outbox;

namespace Coffre.Adapters.Local;

/// <summary>
/// The development and test sink for one channel: appends each message as one JSON line to
/// <c>{folder}/{channel}.jsonl</c> (for example <c>email.jsonl</c>) and flushes it to disk before returning — a
/// dispatched batch as one append and one flush.
/// Line fields: id, channel, recipient, kind, createdAt, attempts, payload (the payload JSON, compacted onto the line).
/// </summary>
public sealed class FileDeliveryChannel : IDeliveryChannel
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public FileDeliveryChannel(string folder, OutboxChannel channel)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Enum.IsDefined(channel))
        {
            throw new ArgumentOutOfRangeException(nameof(channel));
        }
        Channel = channel;
        Directory.CreateDirectory(folder);
        FilePath = Path.Combine(Path.GetFullPath(folder), channel.ToString().ToLowerInvariant() + ".jsonl");
    }

    public OutboxChannel Channel { get; }

    public string FilePath { get; }

    public Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default) =>
        DeliverBatchAsync([message], cancellationToken);

    /// <summary>The whole batch as one append and one flush to disk (not one fsync per message).</summary>
    public async Task<IReadOnlyDictionary<Guid, Exception>> DeliverBatchAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var lines = new MemoryStream();
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message);
            if (message.Channel != Channel)
            {
                throw new ArgumentException($"a {message.Channel} message was given to the {Channel} sink", nameof(messages));
            }
            WriteLine(lines, message);
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var file = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
            await file.WriteAsync(lines.GetBuffer().AsMemory(0, (int)lines.Length), CancellationToken.None).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }
        return new Dictionary<Guid, Exception>();
    }

    private static void WriteLine(MemoryStream lines, OutboxMessage message)
    {
        using (var json = new Utf8JsonWriter(lines))
        {
            json.WriteStartObject();
            json.WriteString("id", message.Id);
            json.WriteString("channel", message.Channel.ToString());
            json.WriteString("recipient", message.Recipient);
            json.WriteString("kind", message.Kind);
            json.WriteString("createdAt", message.CreatedAt);
            json.WriteNumber("attempts", message.Attempts);
            json.WritePropertyName("payload");
            using var payload = JsonDocument.Parse(message.PayloadJson);
            payload.WriteTo(json); // re-written compactly: one message, one line
            json.WriteEndObject();
        }
        lines.WriteByte((byte)'\n');
    }
}
