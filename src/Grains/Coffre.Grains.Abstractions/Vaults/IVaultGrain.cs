using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// A person's vault, keyed by its opaque id (<c>v-…</c>). It holds its own permissions and document index and
/// checks every call against them with the access evaluator (deny by default); every call, allowed or denied,
/// is appended to the vault's audit chain.
/// </summary>
[Alias("coffre.vault")]
public interface IVaultGrain : IGrainWithStringKey
{
    /// <summary>Opens the vault: an operator, or a social/médico-social professional with the person's recorded consent (who becomes referent).</summary>
    [Alias("open")] Task<VaultView> OpenAsync(Caller caller, OpenVault command);

    [Alias("get")] Task<VaultView> GetAsync(Caller caller);

    /// <summary>
    /// One read for one query: the summary, the capabilities only when <see cref="VaultRead.Capabilities"/>, and the
    /// first page of <see cref="VaultRead.Documents"/> when given, decided by the one evaluator and recorded as one
    /// audit event (<c>documents.list</c> when the documents are listed, else <c>vault.read</c>). A refused summary
    /// throws as <see cref="GetAsync"/> does; a refused or invalid list is returned in <see cref="VaultView.Documents"/>
    /// (recorded as its own call would have been), for the documents field to answer with.
    /// </summary>
    [Alias("read")] Task<VaultView> ReadAsync(Caller caller, VaultRead read);

    [Alias("list-documents")] Task<DocumentPage> ListDocumentsAsync(Caller caller, DocumentQuery query);

    [Alias("get-document")] Task<DocumentEntry> GetDocumentAsync(Caller caller, string documentId);

    /// <summary>Checks a deposit before its content is streamed (access, type, size, quota); nothing is recorded but the audit event.</summary>
    [Alias("authorize-upload")] Task<UploadPermit> AuthorizeUploadAsync(Caller caller, NewDocument document);

    /// <summary>Records a document whose content is already stored under <paramref name="contentKey"/>, re-checking everything.</summary>
    [Alias("add-document")] Task<DocumentEntry> AddDocumentAsync(Caller caller, NewDocument document, string contentKey, long size, string sha256);

    /// <summary>
    /// The bulk feed, before the content is streamed: the document of this establishment with this external id when
    /// there is one (DUPLICATE, nothing else happens), else the deposit is checked (Feed basis, type, size, quota, the
    /// minor's secrecy) and audited, and a content key is issued. Denied (closed vault …) or invalid: throws.
    /// </summary>
    [Alias("feed-prepare")] Task<FeedPermit> PrepareFeedAsync(Caller caller, FeedDocument document);

    /// <summary>
    /// The bulk feed, once the content is stored under <paramref name="contentKey"/>: re-checks everything, records the
    /// document with its sender and external id, notifies the person. A document of this establishment with this
    /// external id recorded meanwhile → DUPLICATE (the caller deletes the content it stored).
    /// </summary>
    [Alias("feed-add")] Task<FeedPermit> AddFeedDocumentAsync(Caller caller, FeedDocument document, string contentKey, long size, string sha256);

    [Alias("authorize-download")] Task<DocumentEntry> AuthorizeDownloadAsync(Caller caller, string documentId);

    [Alias("update-document")] Task<DocumentEntry> UpdateDocumentAsync(Caller caller, string documentId, DocumentChanges changes);

    [Alias("delete-document")] Task DeleteDocumentAsync(Caller caller, string documentId);

    [Alias("grant")] Task<Grant> GrantAccessAsync(Caller caller, GrantRequest request);

    [Alias("revoke")] Task RevokeAccessAsync(Caller caller, string grantId);

    [Alias("block")] Task BlockProfessionalAsync(Caller caller, string rpps);

    [Alias("unblock")] Task UnblockProfessionalAsync(Caller caller, string rpps);

    [Alias("add-referent")] Task<Referent> AddReferentAsync(Caller caller, ReferentRequest request);

    [Alias("revoke-referent")] Task RevokeReferentAsync(Caller caller, string rpps);

    /// <summary>
    /// Moves <paramref name="fromRpps"/>'s active mandate to <paramref name="toRpps"/>, an active social or médico-social
    /// member of the same establishment, keeping the person's recorded consent (scope, expiry): the referent or an admin
    /// member acting for the establishment (<see cref="AccessEvaluator.DecideAccompanimentChange"/>). Audited; the
    /// establishment's accompaniment index follows. Returns the new mandate.
    /// </summary>
    [Alias("hand-over-accompaniment")] Task<Referent> HandOverAccompanimentAsync(Caller caller, string fromRpps, string toRpps);

    /// <summary>
    /// Ends every active mandate naming the caller's establishment on this vault: an admin member or a referent acting
    /// for it, or its own system. Audited; the index follows. Returns the mandates ended.
    /// </summary>
    [Alias("end-accompaniment")] Task<IReadOnlyList<Referent>> EndAccompanimentAsync(Caller caller);

    [Alias("add-representative")] Task<LegalRepresentative> AddRepresentativeAsync(Caller caller, RepresentativeRequest request);

    [Alias("remove-representative")] Task RemoveRepresentativeAsync(Caller caller, string representativeVaultId);

    [Alias("break-glass")] Task<BreakGlassSession> BreakGlassAsync(Caller caller, string reason);

    /// <summary>"Why can't I see this": the evaluator's decision for the caller, without doing the action.</summary>
    [Alias("explain")] Task<AccessDecision> ExplainAsync(Caller caller, VaultAction action, string? documentId);

    [Alias("history")] Task<AccessHistoryPage> GetAccessHistoryAsync(Caller caller, long? beforeSequence, int limit);

    /// <summary>The person's notifications (first access by a professional, break-glass, new document), newest first.</summary>
    [Alias("notifications")] Task<IReadOnlyList<VaultNotification>> GetNotificationsAsync(Caller caller, int limit);

    /// <summary>
    /// Notifications created after <paramref name="after"/>, for a live subscription: access is re-checked on every
    /// poll; the subscription's start was audited, so an allowed poll is not audited again (a denied one is).
    /// </summary>
    [Alias("poll-notifications")] Task<IReadOnlyList<VaultNotification>> PollNotificationsAsync(Caller caller, DateTimeOffset after);

    [Alias("verify-audit")] Task<AuditChainReport> VerifyAuditChainAsync(Caller caller);

    /// <summary>
    /// May the caller reach this person (start a conversation, propose an appointment)? Decided by the one evaluator
    /// (<see cref="VaultAction.ContactPerson"/>) against this vault's state and audited like any access; throws
    /// <see cref="AccessDeniedException"/> when denied, else answers the basis (owner, representative, grant, referent,
    /// care team). <paramref name="operation"/> names what is being done, for the history.
    /// </summary>
    [Alias("check-contact")] Task<LegalBasis> CheckContactAsync(Caller caller, string operation);

    /// <summary>
    /// A messaging step on this person (<paramref name="operation"/>: <c>conversation.start</c>, <c>message.send</c>,
    /// <c>message.read</c>, <c>conversations.list</c>) about <paramref name="target"/> (<c>conversation:conv-…</c>): decided as
    /// <see cref="VaultAction.ContactPerson"/> and recorded in the person's history as one event (throws when denied), then
    /// each of <paramref name="documentIds"/> decided as <see cref="VaultAction.ReadDocument"/> for this caller: readable ones
    /// with their title and type, the others with the evaluator's reason only. With <paramref name="mustRead"/> (a sender
    /// attaching), one the caller may not read is refused (recorded, FORBIDDEN) and one that does not exist is NOT_FOUND.
    /// </summary>
    [Alias("check-messaging")] Task<Messaging.MessagingCheck> CheckMessagingAsync(Caller caller, string operation, string target,
        IReadOnlyList<string> documentIds, bool mustRead);

    /// <summary>The person (or a parent or tutor) blocks a professional (<c>rpps:…</c>) or an establishment (<c>finess:…</c>) from messaging them; documents unchanged.</summary>
    [Alias("block-messaging")] Task BlockMessagingAsync(Caller caller, string party);

    [Alias("unblock-messaging")] Task UnblockMessagingAsync(Caller caller, string party);

    /// <summary>
    /// May the caller use this person's agenda (<see cref="AccessEvaluator.DecideAgenda"/>)? Decided, audited (target
    /// <c>agenda</c>), throws when denied; answers whether the caller manages the agenda and, to those who do, the birth date
    /// and sex prevention items are computed from.
    /// </summary>
    [Alias("check-agenda")] Task<Coffre.Grains.Agenda.AgendaAccess> CheckAgendaAsync(Caller caller, AgendaUse use, string operation);

    /// <summary>
    /// Does this vault still take reminders (open: active or pending)? Asked by the person's agenda before it sends one
    /// (system caller <c>system:agenda</c> only; answers nothing else about the vault).
    /// </summary>
    [Alias("agenda-open")] Task<bool> IsOpenForAgendaAsync(Caller caller);

    /// <summary>
    /// The person's medical profile asks the vault (<see cref="Profile.IProfileGrain"/>): decided by the one evaluator with each
    /// entry as a document of its section's type, one line in the access history per call (naming the section and, for
    /// reads, how many entries were shown; never their content); throws when denied.
    /// </summary>
    [Alias("decide-profile")] Task<Profile.ProfileVerdict> DecideProfileAsync(Caller caller, Profile.ProfileCheck check);

    [Alias("close")] Task<VaultView> CloseAsync(Caller caller);

    /// <summary>Pending → active, after the activation grain verified the person's code, for a claimed vault (lifecycle: system caller).</summary>
    [Alias("activate")] Task<VaultView> ActivateAsync(Caller caller);

    /// <summary>The person (or a parent/tutor) sets the passphrase for later sign-in; stored as a PBKDF2 hash only.</summary>
    [Alias("set-passphrase")] Task SetPassphraseAsync(Caller caller, string passphrase);

    /// <summary>
    /// Sign-in: true when <paramref name="birthDate"/> is the vault identity's and <paramref name="passphrase"/> verifies.
    /// The birth date is compared first; only a wrong passphrase after a right birth date counts toward the lockout
    /// (15 minutes after 10), so knowing a NIR alone cannot lock anyone out. Always exactly one PBKDF2 verification.
    /// </summary>
    [Alias("sign-in")] Task<bool> SignInAsync(DateOnly birthDate, string passphrase);

    // ---- identity (called by the NIR-index grain and the merge workflow; every call decided and audited here)

    /// <summary>
    /// Opens a registry (imported) vault for the person: an operator, or a social referent with the person's recorded
    /// consent, who becomes a referent. The vault keeps the registry's identity and stays pending until the person
    /// activates it. CONFLICT when the vault is not a registry vault or is closed.
    /// </summary>
    [Alias("open-registered")] Task<VaultView> OpenRegisteredAsync(Caller caller, OpenVault command);

    /// <summary>Records the masked NIR on a vault opened without one (operators and active referents). CONFLICT when it has one.</summary>
    [Alias("attach-nir")] Task<VaultView> AttachNirAsync(Caller caller, string nirMasked);

    // ---- hand-over sheets: a way in for people without a code, a phone or a NIR

    /// <summary>
    /// Issues a single-use hand-over code (operators and active referents; audited, the person is notified). Only its
    /// keyed hash is kept; a new sheet replaces the previous one.
    /// </summary>
    [Alias("issue-hand-over")] Task<HandOverSheet> IssueHandOverAsync(Caller caller);

    /// <summary>
    /// The person activates with the sheet's code and their birth date and chooses a passphrase. False for every
    /// refusal (unknown vault, wrong code or birth date, used, expired or locked sheet). Only a wrong code after a
    /// right birth date counts toward the sheet's lock.
    /// </summary>
    [Alias("activate-hand-over")] Task<bool> ActivateWithHandOverAsync(string code, DateOnly birthDate, string passphrase);

    // ---- merge (operators, through the merge workflow grain)

    /// <summary>The source side of a merge: checks it may be merged into <paramref name="targetVaultId"/>, returns what moves.</summary>
    [Alias("merge-export")] Task<MergeBundle> ExportForMergeAsync(Caller caller, string targetVaultId);

    /// <summary>The target side: takes the source's documents with provenance (idempotent per source).</summary>
    [Alias("merge-import")] Task<int> ImportMergeAsync(Caller caller, MergeBundle bundle, string reason);

    /// <summary>Closes the source as merged into the target (idempotent).</summary>
    [Alias("merge-close")] Task CloseAsMergedAsync(Caller caller, string targetVaultId, string reason);

    // ---- contact points, alert preferences and deliveries (owner and representatives)

    /// <summary>The person's contact points and alert preferences (<see cref="Coffre.Domain.Contact.ContactPreferences.None"/> when never set). Decided as ReadHistory and audited.</summary>
    [Alias("contact-preferences")] Task<Coffre.Domain.Contact.ContactPreferences> GetContactPreferencesAsync(Caller caller);

    /// <summary>
    /// Replaces the person's contact preferences: decided as ManageAccess (the person, their representatives) and audited;
    /// VALIDATION naming the field and rule when they break <see cref="Coffre.Domain.Contact.ContactRules"/>. Returns them normalised.
    /// </summary>
    [Alias("set-contact-preferences")] Task<Coffre.Domain.Contact.ContactPreferences> SetContactPreferencesAsync(Caller caller, Coffre.Domain.Contact.ContactPreferences preferences);

    /// <summary>The person's alerts beyond the app (email, SMS, post), newest first, with their delivery state. Decided as ReadHistory.</summary>
    [Alias("deliveries")] Task<DeliveryPage> GetDeliveriesAsync(Caller caller, int first, string? after);

    /// <summary>
    /// Every delivery record of the person's outbox messages (in-app too), newest first, for support operators: decided
    /// as an operator's VaultSupport and audited in the person's history (<c>deliveries.support-read</c>).
    /// </summary>
    [Alias("support-deliveries")] Task<DeliveryPage> GetSupportDeliveriesAsync(Caller caller, int first, string? after);

    // ---- rollout: majority (the daily run `coffre rollout majority`, silo-side)

    /// <summary>
    /// The hand-over at 18: when the person is 18 or over (their birth date) and the vault had PARENT representatives not
    /// yet told, tells the person (<see cref="NotificationKind.MajorityReached"/>) and each parent
    /// (<see cref="NotificationKind.RepresentationEndedAtMajority"/>) once; the evaluator already refuses the parents from
    /// the birthday on. True when it happened now; false when there was nothing to do (idempotent). The grain also checks
    /// this itself each time it is activated.
    /// </summary>
    [Alias("rollout.reach-majority")] Task<bool> ReachMajorityAsync();

    // ---- exports (the vault's export grain and its runner; VaultGrain.Export.cs)

    /// <summary>Decides <see cref="VaultAction.ExportVault"/> for the caller and records <paramref name="operation"/> on <paramref name="target"/>; throws when denied.</summary>
    [Alias("check-export")] Task<LegalBasis> CheckExportAsync(Caller caller, string operation, string target);

    /// <summary>Re-decides the export for its requester (recorded as <c>export.build</c>) and returns what it may carry.</summary>
    [Alias("export-snapshot")] Task<Exports.ExportSnapshot> GetExportSnapshotAsync(Caller caller, string exportId);

    /// <summary>A page of the access history for an export being built (decided as ExportVault, not recorded again per page).</summary>
    [Alias("export-history")] Task<AccessHistoryPage> ReadExportHistoryAsync(Caller caller, long? beforeSequence, int limit);
}
