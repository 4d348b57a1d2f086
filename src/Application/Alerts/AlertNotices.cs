using System.Security.Cryptography;
using System.Text.Json;
using Coffre.Application.Outbox;
using Coffre.Domain.Contact;

namespace Coffre.Application.Alerts;

/// <summary>The generic words of an alert: no names, no health content, nothing but "go and look in Coffre".</summary>
public sealed record AlertText(string Subject, string Body);

/// <summary>
/// The one table of notices that warrant an alert beyond the app, keyed by the notification's kind name (the outbox
/// kind of the in-app notification), with the generic text sent. A new kind that should reach people outside the app
/// is one line here.
/// </summary>
public static class AlertNotices
{
    /// <summary>The outbox kind of every alert (the notice is in the payload).</summary>
    public const string OutboxKind = "alert";

    private static readonly Dictionary<string, AlertText> Table = new(StringComparer.Ordinal)
    {
        ["message-received"] = new("New message in Coffre", "You have a new message in Coffre. Sign in to read it."),
        ["appointment-reminder"] = new("Appointment reminder from Coffre", "You have an upcoming appointment. Sign in to Coffre to see it."),
        ["first-access"] = new("A professional opened your Coffre", "A professional accessed your Coffre for the first time. Sign in to see your access history."),
        ["break-glass"] = new("Emergency access to your Coffre", "Your Coffre was opened in an emergency. Sign in to see your access history."),
        ["share-link-opened"] = new("Your shared documents were opened", "Someone opened documents you shared from Coffre. Sign in to see your shared links."),
        ["carer.started"] = new("A carer now helps with your Coffre", "Someone you invited is now your carer in Coffre. Sign in to see what they may do, and end it at any time."),
        ["carer.ended"] = new("A carer delegation ended in your Coffre", "A carer delegation in your Coffre has ended. Sign in to see your carers."),
        ["breakglass.reviewed"] = new("Your emergency access review in Coffre", "The emergency access you asked us to review has been reviewed. Sign in to see the outcome."),
        ["rollout.majority-reached"] = new("Your Coffre is now yours", "You are 18: your parents no longer have access to your Coffre. Sign in, or ask for an activation code, to use it."),
        ["export-ready"] = new("Your Coffre export is ready", "The export of your Coffre you asked for is ready. Sign in to download it; it is kept for 7 days."),
    };

    /// <summary>Whether a notice of this kind also goes out by email, SMS or post.</summary>
    public static bool Warrants(string noticeKind) => Table.ContainsKey(noticeKind);

    /// <summary>The text of an alert for <paramref name="noticeKind"/>, or null for a kind that has none (any more).</summary>
    public static AlertText? Text(string noticeKind) => Table.GetValueOrDefault(noticeKind);

    /// <summary>The outbox channel an alert channel travels on.</summary>
    public static OutboxChannel ToOutbox(AlertChannel channel) => channel switch
    {
        AlertChannel.Email => OutboxChannel.Email,
        AlertChannel.Sms => OutboxChannel.Sms,
        AlertChannel.Post => OutboxChannel.Post,
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };

    public static AlertChannel? FromOutbox(OutboxChannel channel) => channel switch
    {
        OutboxChannel.Email => AlertChannel.Email,
        OutboxChannel.Sms => AlertChannel.Sms,
        OutboxChannel.Post => AlertChannel.Post,
        _ => null,
    };

    /// <summary>Tag of <see cref="AlertId"/>'s derivation: no <see cref="OutboxChannel"/> value, so never a fallback's id.</summary>
    private const byte AlertTag = 0xA1;

    /// <summary>
    /// The id of the alert that goes with in-app notice <paramref name="notice"/>: derived from the notice's id alone (not
    /// from the channel chosen), so a notice enqueued again under its own id brings no second alert, even when the
    /// person's preferred channel changed in between.
    /// </summary>
    public static Guid AlertId(Guid notice) => Derive(notice, AlertTag);

    /// <summary>
    /// The id of the fallback of alert <paramref name="bounced"/> on <paramref name="channel"/>: derived from both, so a
    /// replayed bounce (a crash before it was settled) enqueues the same message, which the outbox ignores.
    /// </summary>
    public static Guid FallbackId(Guid bounced, OutboxChannel channel) => Derive(bounced, (byte)channel);

    private static Guid Derive(Guid id, byte tag)
    {
        Span<byte> input = stackalloc byte[17];
        id.TryWriteBytes(input);
        input[16] = tag;
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom), RFC 9562
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16]);
    }
}

/// <summary>
/// The payload of an alert: the notice kind, and for a fallback the first alert of the chain (<see cref="Origin"/>) and
/// the one that bounced (<see cref="After"/>). Never an address: that is read at delivery time.
/// </summary>
public sealed record AlertPayload(string Notice, Guid? Origin = null, Guid? After = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The payload, or null when it does not read.</summary>
    public static AlertPayload? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<AlertPayload>(json, Json) is { Notice.Length: > 0 } payload ? payload : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
