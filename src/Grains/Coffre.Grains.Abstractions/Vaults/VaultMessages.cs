using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

[GenerateSerializer, Immutable, Alias("coffre.open-vault")]
public sealed record OpenVault(
    [property: Id(0)] IdentityTraits Identity,
    [property: Id(1)] ConsentRecord? Consent,
    [property: Id(2)] bool IsMinor = false);

/// <summary>The person's consent as a referent records it (method, evidence, scope, duration).</summary>
[GenerateSerializer, Immutable, Alias("coffre.consent-record")]
public sealed record ConsentRecord(
    [property: Id(0)] ConsentMethod Method,
    [property: Id(1)] DocumentScope Scope,
    [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] string? Evidence);

[GenerateSerializer, Immutable, Alias("coffre.vault-view")]
public sealed record VaultView(
    [property: Id(0)] string VaultId,
    [property: Id(1)] VaultStatus Status,
    [property: Id(2)] IdentityTraits? Identity,
    [property: Id(3)] long QuotaBytes,
    [property: Id(4)] long UsedBytes,
    [property: Id(5)] int DocumentCount,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] VaultAccessState? Access,
    [property: Id(8)] IReadOnlyList<VaultAction>? Capabilities,
    [property: Id(9)] LegalBasis Basis,
    [property: Id(10)] string? MergedInto = null,
    [property: Id(11)] PrefetchedDocuments? Documents = null);

/// <summary>
/// What one read of a vault (<see cref="IVaultGrain.ReadAsync"/>) should bring back beside its summary: the
/// capabilities (about 40 evaluator decisions, so only when asked) and the first page of documents for a query.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.vault-read")]
public sealed record VaultRead(
    [property: Id(0)] bool Capabilities = true,
    [property: Id(1)] DocumentQuery? Documents = null);

/// <summary>
/// The documents a read brought back for <see cref="Query"/>: the page, or the refusal or validation error the
/// documents field answers with (the vault's summary itself was allowed).
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.prefetched-documents")]
public sealed record PrefetchedDocuments(
    [property: Id(0)] DocumentQuery Query,
    [property: Id(1)] DocumentPage? Page,
    [property: Id(2)] Exception? Error);

[GenerateSerializer, Immutable, Alias("coffre.document-query")]
public sealed record DocumentQuery(
    [property: Id(0)] IReadOnlyList<string>? ClassCodes = null,
    [property: Id(1)] IReadOnlyList<string>? TypeCodes = null,
    [property: Id(2)] DateTimeOffset? From = null,
    [property: Id(3)] DateTimeOffset? To = null,
    [property: Id(4)] int First = 20,
    [property: Id(5)] string? After = null)
{
    /// <summary>The same query (filters compared by their elements, not by list identity).</summary>
    public bool Matches(DocumentQuery other) =>
        First == other.First && After == other.After && From == other.From && To == other.To
        && SameCodes(ClassCodes, other.ClassCodes) && SameCodes(TypeCodes, other.TypeCodes);

    private static bool SameCodes(IReadOnlyList<string>? a, IReadOnlyList<string>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b, StringComparer.Ordinal);
}

[GenerateSerializer, Immutable, Alias("coffre.document-page")]
public sealed record DocumentPage(
    [property: Id(0)] IReadOnlyList<DocumentEntry> Items,
    [property: Id(1)] IReadOnlyList<string> Cursors,
    [property: Id(2)] bool HasNextPage,
    [property: Id(3)] int TotalCount);

[GenerateSerializer, Immutable, Alias("coffre.new-document")]
public sealed record NewDocument(
    [property: Id(0)] string Title,
    [property: Id(1)] string ClassCode,
    [property: Id(2)] string TypeCode,
    [property: Id(3)] string ContentType,
    [property: Id(4)] long Size,
    [property: Id(5)] string Sha256,
    [property: Id(6)] DateOnly? ServiceDate = null,
    [property: Id(7)] Visibility? Visibility = null,
    [property: Id(8)] bool Private = false,
    [property: Id(9)] string? Replaces = null);

[GenerateSerializer, Immutable, Alias("coffre.upload-permit")]
public sealed record UploadPermit(
    [property: Id(0)] string ContentKey,
    [property: Id(1)] long MaxBytes);

/// <summary>Metadata changes: null leaves a field as it is.</summary>
[GenerateSerializer, Immutable, Alias("coffre.document-changes")]
public sealed record DocumentChanges(
    [property: Id(0)] string? Title = null,
    [property: Id(1)] bool? MaskedFromProfessionals = null,
    [property: Id(2)] bool? InvisibleToPatient = null,
    [property: Id(3)] bool? InvisibleToRepresentatives = null,
    [property: Id(4)] bool? Private = null);

[GenerateSerializer, Immutable, Alias("coffre.grant-request")]
public sealed record GrantRequest(
    [property: Id(0)] GranteeKind GranteeKind,
    [property: Id(1)] string Grantee,
    [property: Id(2)] DocumentScope Scope,
    [property: Id(3)] DateTimeOffset? ExpiresAt,
    [property: Id(4)] bool TreatingPhysician = false);

[GenerateSerializer, Immutable, Alias("coffre.referent-request")]
public sealed record ReferentRequest(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string? EstablishmentFiness,
    [property: Id(2)] ConsentRecord Consent);

[GenerateSerializer, Immutable, Alias("coffre.representative-request")]
public sealed record RepresentativeRequest(
    [property: Id(0)] string RepresentativeVaultId,
    [property: Id(1)] RepresentationKind Kind,
    [property: Id(2)] DateTimeOffset? Until,
    [property: Id(3)] DateTimeOffset? PersonConsentedAt = null,
    [property: Id(4)] CourtDecision? Decision = null);

[GenerateSerializer, Immutable, Alias("coffre.access-history-page")]
public sealed record AccessHistoryPage(
    [property: Id(0)] IReadOnlyList<AccessHistoryEntry> Items,
    [property: Id(1)] bool HasMore,
    [property: Id(2)] long TotalCount);

[GenerateSerializer, Immutable, Alias("coffre.access-history-entry")]
public sealed record AccessHistoryEntry(
    [property: Id(0)] long Sequence,
    [property: Id(1)] AuditEvent Event);

[GenerateSerializer, Immutable, Alias("coffre.audit-chain-report")]
public sealed record AuditChainReport(
    [property: Id(0)] bool Intact,
    [property: Id(1)] long EventsChecked,
    [property: Id(2)] long? FirstBrokenSequence,
    [property: Id(3)] string? Problem);

/// <summary>
/// One of the person's in-app notifications: its kind and the typed details of that kind. Ids 1 and 2 (the kind's
/// wire name and the JSON payload, before the payload was typed) are retired: never reuse them.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.vault-notification")]
public sealed record VaultNotification(
    [property: Id(0)] Guid Id,
    [property: Id(5)] NotificationKind Kind,
    [property: Id(6)] NotificationPayload Payload,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset? DeliveredAt);

/// <summary>What a notification tells the person; each kind has its own <see cref="NotificationPayload"/> type.</summary>
[GenerateSerializer, Alias("coffre.notification-kind")]
public enum NotificationKind
{
    /// <summary>A professional reached the vault for the first time (<see cref="FirstAccessNotice"/>).</summary>
    FirstAccess = 0,
    /// <summary>A professional broke the glass (<see cref="BreakGlassNotice"/>).</summary>
    BreakGlass = 1,
    /// <summary>A document was deposited by someone else (<see cref="NewDocumentNotice"/>).</summary>
    NewDocument = 2,
    /// <summary>The person's NIR was attached to the vault (<see cref="NirAttachedNotice"/>).</summary>
    NirAttached = 3,
    /// <summary>A hand-over sheet was issued for the vault (<see cref="HandOverIssuedNotice"/>).</summary>
    HandOverIssued = 4,
    /// <summary>An operator merged two vaults of the person (<see cref="VaultMergedNotice"/>).</summary>
    VaultMerged = 5,
    /// <summary>A legal representative was recorded (<see cref="RepresentativeAddedNotice"/>).</summary>
    RepresentativeAdded = 6,
    /// <summary>An establishment handed the person's accompaniment over to another of its members (<see cref="AccompanimentHandedOverNotice"/>).</summary>
    AccompanimentHandedOver = 7,
    /// <summary>An establishment ended its accompaniment of the person (<see cref="AccompanimentEndedNotice"/>).</summary>
    AccompanimentEnded = 8,
    /// <summary>A professional or an establishment wrote to the person (<see cref="MessageReceivedNotice"/>).</summary>
    MessageReceived = 9,
    /// <summary>A professional proposed, changed or cancelled an appointment, or answered a counter-proposal (<see cref="AppointmentChangedNotice"/>).</summary>
    AppointmentChanged = 10,
    /// <summary>An appointment is near: one of its reminder offsets came (<see cref="AppointmentReminderNotice"/>).</summary>
    AppointmentReminder = 11,
    /// <summary>Someone opened one of the person's share links with its code (<see cref="ShareLinkOpenedNotice"/>).</summary>
    ShareLinkOpened = 12,
    /// <summary>A share link locked after too many wrong codes (<see cref="ShareLinkLockedNotice"/>).</summary>
    ShareLinkLocked = 13,
    /// <summary>A carer accepted the person's invitation: their delegation started (<see cref="CarerDelegationStartedNotice"/>).</summary>
    CarerDelegationStarted = 14,
    /// <summary>A carer delegation was ended by the person, a representative or the carer (<see cref="CarerDelegationEndedNotice"/>).</summary>
    CarerDelegationEnded = 15,
    /// <summary>An operator reviewed a break-glass session the person flagged (<see cref="BreakGlassReviewedNotice"/>).</summary>
    BreakGlassReviewed = 16,
    /// <summary>The person turned 18: their parents' representation ended, the vault is theirs (<see cref="MajorityReachedNotice"/>).</summary>
    MajorityReached = 18,
    /// <summary>To a parent: the child they represented turned 18 and their representation ended (<see cref="RepresentationEndedAtMajorityNotice"/>).</summary>
    RepresentationEndedAtMajority = 19,
    /// <summary>An export of the vault is ready to download (<see cref="ExportReadyNotice"/>).</summary>
    ExportReady = 17,
    /// <summary>Someone else (a professional, an establishment's system, a carer, a representative) added an entry to the person's medical profile (<see cref="ProfileEntryAddedNotice"/>).</summary>
    ProfileEntryAdded = 22,
    /// <summary>The person connected an app of the catalogue to their vault (<see cref="AppConnectedNotice"/>).</summary>
    AppConnected = 20,
    /// <summary>A connected app was disconnected from the vault (<see cref="AppDisconnectedNotice"/>).</summary>
    AppDisconnected = 21,
}

/// <summary>The details of a notification: one sealed record per <see cref="NotificationKind"/>.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notification-payload")]
public abstract record NotificationPayload;

[GenerateSerializer, Immutable, Alias("coffre.notice.first-access")]
public sealed record FirstAccessNotice(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string? Profession,
    [property: Id(2)] LegalBasis Basis,
    [property: Id(3)] DateTimeOffset At) : NotificationPayload;

[GenerateSerializer, Immutable, Alias("coffre.notice.break-glass")]
public sealed record BreakGlassNotice(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string? Profession,
    [property: Id(2)] DateTimeOffset StartedAt,
    [property: Id(3)] DateTimeOffset ExpiresAt) : NotificationPayload;

[GenerateSerializer, Immutable, Alias("coffre.notice.new-document")]
public sealed record NewDocumentNotice(
    [property: Id(0)] string DocumentId,
    [property: Id(1)] string ClassCode,
    [property: Id(2)] string TypeCode,
    [property: Id(3)] string? SenderFiness = null,
    [property: Id(4)] string? SenderName = null) : NotificationPayload;

[GenerateSerializer, Immutable, Alias("coffre.notice.nir-attached")]
public sealed record NirAttachedNotice(
    [property: Id(0)] string By,
    [property: Id(1)] string NirMasked,
    [property: Id(2)] DateTimeOffset At) : NotificationPayload;

[GenerateSerializer, Immutable, Alias("coffre.notice.hand-over-issued")]
public sealed record HandOverIssuedNotice(
    [property: Id(0)] string By,
    [property: Id(1)] string Reference,
    [property: Id(2)] DateTimeOffset IssuedAt,
    [property: Id(3)] DateTimeOffset ExpiresAt) : NotificationPayload;

/// <summary>A merge, seen from the vault merged into (<see cref="Documents"/> moved) or from the one closed (null).</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.vault-merged")]
public sealed record VaultMergedNotice(
    [property: Id(0)] string From,
    [property: Id(1)] string Into,
    [property: Id(3)] string By,
    [property: Id(4)] string Reason,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(2)] int? Documents = null) : NotificationPayload;

[GenerateSerializer, Immutable, Alias("coffre.notice.representative-added")]
public sealed record RepresentativeAddedNotice(
    [property: Id(0)] string VaultId,
    [property: Id(1)] string RepresentativeVaultId,
    [property: Id(2)] RepresentationKind Kind,
    [property: Id(3)] string RecordedBy,
    [property: Id(4)] DateTimeOffset Since,
    [property: Id(5)] DateTimeOffset? Until,
    [property: Id(6)] string? Court,
    [property: Id(7)] string? DecisionReference,
    [property: Id(8)] DateOnly? DecisionDate) : NotificationPayload;

/// <summary>
/// An establishment's referent mandate moved from one member to another (the person's consent kept): the establishment,
/// the former and the new referent (RPPS, and their names in the directory when it knows them), who did it and when.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.accompaniment-handed-over")]
public sealed record AccompanimentHandedOverNotice(
    [property: Id(0)] string Finess,
    [property: Id(1)] string? EstablishmentName,
    [property: Id(2)] string FromRpps,
    [property: Id(3)] string? FromName,
    [property: Id(4)] string ToRpps,
    [property: Id(5)] string? ToName,
    [property: Id(6)] string By,
    [property: Id(7)] DateTimeOffset At) : NotificationPayload;

/// <summary>An establishment ended all its referent mandates on the vault: which one (and its name in the directory), who did it and when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.accompaniment-ended")]
public sealed record AccompanimentEndedNotice(
    [property: Id(0)] string Finess,
    [property: Id(1)] string? EstablishmentName,
    [property: Id(2)] string By,
    [property: Id(3)] DateTimeOffset At) : NotificationPayload;

/// <summary>An appointment in the person's agenda changed on the professional's side: which, what (proposed, changed, cancelled, accepted, declined), by whom (RPPS or client id), its times now.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.appointment-changed")]
public sealed record AppointmentChangedNotice(
    [property: Id(0)] string AppointmentId,
    [property: Id(1)] string Change,
    [property: Id(2)] string By,
    [property: Id(3)] string Title,
    [property: Id(4)] DateTimeOffset StartsAt,
    [property: Id(5)] DateTimeOffset At) : NotificationPayload;

/// <summary>A reminder of an appointment: which, its title and start, and the offset that came (minutes before the start).</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.appointment-reminder")]
public sealed record AppointmentReminderNotice(
    [property: Id(0)] string AppointmentId,
    [property: Id(1)] string Title,
    [property: Id(2)] DateTimeOffset StartsAt,
    [property: Id(3)] int OffsetMinutes,
    [property: Id(4)] string? Place) : NotificationPayload;

/// <summary>
/// A printed hand-over sheet: the vault it opens (id and a short reference to read out), the code in clear (shown once,
/// never stored: only its keyed hash) and its expiry.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.hand-over-sheet")]
public sealed record HandOverSheet(
    [property: Id(0)] string VaultId,
    [property: Id(1)] string Reference,
    [property: Id(2)] string Code,
    [property: Id(3)] DateTimeOffset IssuedAt,
    [property: Id(4)] DateTimeOffset ExpiresAt);

/// <summary>What a merge moves from the source vault to the target.</summary>
[GenerateSerializer, Immutable, Alias("coffre.merge-bundle")]
public sealed record MergeBundle(
    [property: Id(0)] string SourceVaultId,
    [property: Id(1)] IReadOnlyList<DocumentEntry> Documents,
    [property: Id(2)] IReadOnlyList<Referent> Referents);

/// <summary>A new message for the person: which conversation, who wrote (kind and directory name), what type. Never the text.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.message-received")]
public sealed record MessageReceivedNotice(
    [property: Id(0)] string ConversationId,
    [property: Id(1)] Messaging.ParticipantKind SenderKind,
    [property: Id(2)] string? SenderName,
    [property: Id(3)] Domain.Messaging.MessageType MessageType,
    [property: Id(4)] bool NoReply) : NotificationPayload;

/// <summary>A share link was opened with its code: which link, when, how many openings so far (never the code).</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.share-link-opened")]
public sealed record ShareLinkOpenedNotice(
    [property: Id(0)] string LinkId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] int Openings) : NotificationPayload;

/// <summary>A share link locked after too many wrong codes: nobody can open it any more.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.share-link-locked")]
public sealed record ShareLinkLockedNotice(
    [property: Id(0)] string LinkId,
    [property: Id(1)] DateTimeOffset At) : NotificationPayload;
/// <summary>A carer's delegation started: which one, the carer's vault, what it allows (<see cref="Classes"/>: the class codes, comma-separated, or "all"), until when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.carer-started")]
public sealed record CarerDelegationStartedNotice(
    [property: Id(0)] string DelegationId,
    [property: Id(1)] string CarerVaultId,
    [property: Id(2)] string? Label,
    [property: Id(3)] CarerActions Actions,
    [property: Id(4)] string Classes,
    [property: Id(5)] DateTimeOffset Until) : NotificationPayload;

/// <summary>A carer's delegation ended: which one, who ended it (the person, a representative, the carer), when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.carer-ended")]
public sealed record CarerDelegationEndedNotice(
    [property: Id(0)] string DelegationId,
    [property: Id(1)] string CarerVaultId,
    [property: Id(2)] string? Label,
    [property: Id(3)] string EndedBy,
    [property: Id(4)] DateTimeOffset EndedAt) : NotificationPayload;

/// <summary>The outcome of the review of a break-glass session the person flagged.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.break-glass-reviewed")]
public sealed record BreakGlassReviewedNotice(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string CaseId,
    [property: Id(2)] BreakGlassReviewOutcome Outcome,
    [property: Id(3)] string Note,
    [property: Id(4)] DateTimeOffset ResolvedAt) : NotificationPayload;
/// <summary>
/// To the person, on their 18th birthday: the PARENT representations of their vault ended (<see cref="ParentsLosingAccess"/>
/// of them), the vault is theirs alone, and how to get their own way in when they have none yet.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.majority-reached")]
public sealed record MajorityReachedNotice(
    [property: Id(0)] string VaultId,
    [property: Id(1)] int ParentsLosingAccess,
    [property: Id(2)] DateTimeOffset At) : NotificationPayload;

/// <summary>To a parent: the person whose vault they represented (<see cref="VaultId"/>) turned 18; their access ended.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.representation-ended-at-majority")]
public sealed record RepresentationEndedAtMajorityNotice(
    [property: Id(0)] string VaultId,
    [property: Id(1)] DateTimeOffset At) : NotificationPayload;
/// <summary>An export of the vault is ready: which, its size, until when it can be downloaded, and where.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.export-ready")]
public sealed record ExportReadyNotice(
    [property: Id(0)] string ExportId,
    [property: Id(1)] long Size,
    [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] string DownloadPath) : NotificationPayload;

/// <summary>
/// Someone else added an entry to the person's medical profile: which entry and section, who (RPPS, establishment system or
/// vault id, as in the access history) and when — never the entry's content.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.profile-entry-added")]
public sealed record ProfileEntryAddedNotice(
    [property: Id(0)] string EntryId,
    [property: Id(1)] Coffre.Domain.Profile.ProfileSection Section,
    [property: Id(2)] Coffre.Domain.Documents.AuthorKind AuthorKind,
    [property: Id(3)] string By,
    [property: Id(4)] DateTimeOffset At) : NotificationPayload;
/// <summary>The person connected an app: which, its name, the consented scopes (space-separated), when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.app-connected")]
public sealed record AppConnectedNotice(
    [property: Id(0)] string AppId,
    [property: Id(1)] string AppName,
    [property: Id(2)] string Scopes,
    [property: Id(3)] DateTimeOffset At) : NotificationPayload;

/// <summary>A connected app was disconnected: which, by whom (the person's or a representative's vault id), when.</summary>
[GenerateSerializer, Immutable, Alias("coffre.notice.app-disconnected")]
public sealed record AppDisconnectedNotice(
    [property: Id(0)] string AppId,
    [property: Id(1)] string DisconnectedBy,
    [property: Id(2)] DateTimeOffset At) : NotificationPayload;
