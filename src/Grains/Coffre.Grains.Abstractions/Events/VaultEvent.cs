namespace Coffre.Grains.Events;

/// <summary>What happened in a person's vault that live subscribers are told about.</summary>
public enum VaultEventKind
{
    DocumentAdded = 0,
    MessageReceived = 1,
    AccessRecorded = 2,
    AppointmentChanged = 3,
    ReminderDue = 4,

    /// <summary>A notification was added to the person's feed (subject: its id); raised by every notice, so notificationAdded follows them all.</summary>
    NotificationAdded = 5,
}

/// <summary>
/// A domain event of one vault, pushed to the vault's authorised live subscribers. It names what changed (an opaque id:
/// a document, a conversation, an access event, an appointment) and never carries personal data or content: a
/// subscriber reads the object through the API, where access is decided again.
/// </summary>
[GenerateSerializer, Immutable, Alias("vault-event")]
public sealed record VaultEvent(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string VaultId,
    [property: Id(2)] VaultEventKind Kind,
    [property: Id(3)] string SubjectId,
    [property: Id(4)] DateTimeOffset At);
