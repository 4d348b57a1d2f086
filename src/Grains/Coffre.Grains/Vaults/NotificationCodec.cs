using System.Text.Json;
using System.Text.Json.Serialization;
using Coffre.Application.Outbox;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The one table of in-app notification kinds: the outbox's kind name (<c>first-access</c>, …), the
/// <see cref="NotificationKind"/> and the payload's type. The outbox keeps the payload as JSON (camelCase, enums by
/// name), as it always has; the grain contract and the API see typed payloads only.
/// </summary>
public static class NotificationCodec
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        // A payload missing a field or holding null where the record does not allow it does not read (Decode: null).
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private static readonly (NotificationKind Kind, string Wire, Type Payload)[] Kinds =
    [
        (NotificationKind.FirstAccess, "first-access", typeof(FirstAccessNotice)),
        (NotificationKind.BreakGlass, "break-glass", typeof(BreakGlassNotice)),
        (NotificationKind.NewDocument, "new-document", typeof(NewDocumentNotice)),
        (NotificationKind.NirAttached, "nir-attached", typeof(NirAttachedNotice)),
        (NotificationKind.HandOverIssued, "hand-over-issued", typeof(HandOverIssuedNotice)),
        (NotificationKind.VaultMerged, "vault-merged", typeof(VaultMergedNotice)),
        (NotificationKind.RepresentativeAdded, "representative-added", typeof(RepresentativeAddedNotice)),
        (NotificationKind.AccompanimentHandedOver, "accompaniment-handed-over", typeof(AccompanimentHandedOverNotice)),
        (NotificationKind.AccompanimentEnded, "accompaniment-ended", typeof(AccompanimentEndedNotice)),
        (NotificationKind.MessageReceived, "message-received", typeof(MessageReceivedNotice)),
        (NotificationKind.AppointmentChanged, "appointment-changed", typeof(AppointmentChangedNotice)),
        (NotificationKind.AppointmentReminder, "appointment-reminder", typeof(AppointmentReminderNotice)),
        (NotificationKind.ShareLinkOpened, "share-link-opened", typeof(ShareLinkOpenedNotice)),
        (NotificationKind.ShareLinkLocked, "share-link-locked", typeof(ShareLinkLockedNotice)),
        (NotificationKind.CarerDelegationStarted, "carer.started", typeof(CarerDelegationStartedNotice)),
        (NotificationKind.CarerDelegationEnded, "carer.ended", typeof(CarerDelegationEndedNotice)),
        (NotificationKind.BreakGlassReviewed, "breakglass.reviewed", typeof(BreakGlassReviewedNotice)),
        (NotificationKind.MajorityReached, "rollout.majority-reached", typeof(MajorityReachedNotice)),
        (NotificationKind.RepresentationEndedAtMajority, "rollout.representation-ended-at-majority", typeof(RepresentationEndedAtMajorityNotice)),
        (NotificationKind.ExportReady, "export-ready", typeof(ExportReadyNotice)),
        (NotificationKind.ProfileEntryAdded, "profile.entry-added", typeof(ProfileEntryAddedNotice)),
        (NotificationKind.AppConnected, "app.connected", typeof(AppConnectedNotice)),
        (NotificationKind.AppDisconnected, "app.disconnected", typeof(AppDisconnectedNotice)),
    ];

    /// <summary>The kind of a payload.</summary>
    public static NotificationKind KindOf(NotificationPayload payload) => Entry(payload.GetType()).Kind;

    /// <summary>The outbox's kind name and JSON of a payload.</summary>
    public static (string Kind, string PayloadJson) Encode(NotificationPayload payload)
    {
        var entry = Entry(payload.GetType());
        return (entry.Wire, JsonSerializer.Serialize(payload, entry.Payload, Json));
    }

    /// <summary>
    /// The notification an outbox message stands for; null for a message that is not an in-app notification of a known
    /// kind (an activation-code letter to the same recipient, a kind this version does not know) or whose payload does not read.
    /// </summary>
    public static VaultNotification? Decode(OutboxMessage message)
    {
        if (message.Channel != OutboxChannel.InApp || Array.FindIndex(Kinds, k => k.Wire == message.Kind) is var i && i < 0)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(message.PayloadJson, Kinds[i].Payload, Json) is NotificationPayload payload
                ? new VaultNotification(message.Id, Kinds[i].Kind, payload, message.CreatedAt, message.DeliveredAt)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static (NotificationKind Kind, string Wire, Type Payload) Entry(Type type) =>
        Array.Find(Kinds, k => k.Payload == type) is { Payload: not null } entry
            ? entry
            : throw new ArgumentException($"{type.Name} is not a notification payload type", nameof(type));
}
