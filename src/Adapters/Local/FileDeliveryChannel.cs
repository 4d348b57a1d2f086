using System.Text.Json;
using Coffre.Application.Outbox;

namespace Coffre.Adapters.Local;

/// <summary>
/// The development and test sink for one channel: appends each message as one JSON line to
/// <c>{folder}/{channel}.jsonl</c> (for example <c>email.jsonl</c>) and flushes it to disk before returning.
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

    public async Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Channel != Channel)
        {
            throw new ArgumentException($"a {message.Channel} message was given to the {Channel} sink", nameof(message));
        }
        var line = new MemoryStream();
        await using (var json = new Utf8JsonWriter(line))
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
        line.WriteByte((byte)'\n');

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var file = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
            await file.WriteAsync(line.GetBuffer().AsMemory(0, (int)line.Length), CancellationToken.None).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }
    }
}
