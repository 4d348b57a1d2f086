using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Text;
using Coffre.Domain.Vaults;
using Coffre.Grains.Rollout;
using Coffre.Storage.Audit;
using Coffre.Storage.Content;
using Coffre.Storage.Outbox;
using Microsoft.Extensions.Options;

namespace Coffre.Grains.Vaults;

/// <summary>
/// A person's vault. Every method: (1) asks the one <see cref="AccessEvaluator"/> about this caller against this
/// vault's own state, (2) appends the decision to the vault's audit chain (allowed or denied) before answering,
/// (3) throws <see cref="AccessDeniedException"/> when denied. Not reentrant: one call at a time per vault.
/// <para>What a refused or mistaken call may cost: an id that names no vault writes nothing (no audit event, no
/// state) and the activation ends at once; repeated denials of one caller go through a <see cref="DenialLimiter"/>
/// (the first of each kind is appended at once, identical ones are counted and appended as one aggregated event,
/// and past the limit the caller is refused with RateLimited without evaluation). Counted denials are appended
/// when their window closes (timer), when the history is read, and when the activation ends.</para>
/// </summary>
[GrainType("vault")]
public sealed class VaultGrain(
    [PersistentState(GrainNames.States.Vault, GrainNames.Storage)] IPersistentState<VaultState> vault,
    [PersistentState(GrainNames.States.VaultDocuments, GrainNames.Storage)] IPersistentState<VaultDocumentsState> index,
    AccessEvaluator evaluator,
    HabilitationMatrix matrix,
    IAuditLog audit,
    IOutbox outbox,
    IContentStore content,
    IOptions<VaultOptions> options,
    IVaultRegistry registry,
    Coffre.Domain.Rollout.CodeHasher codeHasher,
    TimeProvider clock) : Grain, IVaultGrain
{
    private const int MaxFailedSignIns = 10;
    private static readonly byte[] DummyCodeHash = new byte[Coffre.Domain.Rollout.CodeHasher.HashSize];
    private static readonly TimeSpan SignInLockout = TimeSpan.FromMinutes(15);

    private readonly DenialLimiter _denials = new(options.Value.DenialsPerWindow, options.Value.DenialWindow);
    private IGrainTimer? _denialTimer;

    /// <summary>A vault created by the national import has no grain state: it takes its initial state from the registry on first use.</summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Operations.SiloCounters.VaultActivated();
        if (vault.State.Access is null && Ids.IsVaultId(VaultId) && await registry.FindByVaultIdAsync(VaultId, cancellationToken) is { Opposed: false } person)
        {
            vault.State.Access = new VaultAccessState
            {
                VaultId = VaultId,
                Status = VaultStatus.Pending,
                IsMinor = person.IsMinor,
                Representatives = person.RepresentativeVaultIds
                    .Select(r => new LegalRepresentative(r, RepresentationKind.Parent, Now, null, "registry")).ToList(),
            };
            vault.State.Identity = person.Identity;
            vault.State.QuotaBytes = Limits.QuotaBytes;
            vault.State.CreatedAt = Now;
            vault.State.CreatedBy = "registry";
            // Not written yet: the first change persists it, so merely looking at a vault writes nothing.
        }
        else if (vault.State.Access is { Status: not VaultStatus.Closed } access && vault.State.CreatedBy == "registry"
            && await registry.FindByVaultIdAsync(VaultId, cancellationToken) is { Opposed: true })
        {
            // The person opposed (by phone, through an operator command) while this vault was not in memory.
            vault.State.Access = access with { Status = VaultStatus.Closed };
            await vault.WriteStateAsync(cancellationToken);
        }
        await base.OnActivateAsync(cancellationToken);
    }

    /// <summary>Counted denials are never lost with the activation: they are appended before it ends.</summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _denialTimer?.Dispose();
        _denialTimer = null;
        foreach (var aggregate in _denials.TakePending())
        {
            await audit.AppendAsync(aggregate, CancellationToken.None);
        }
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    private VaultOptions Limits => options.Value;
    private string VaultId => this.GetPrimaryKeyString();
    private DateTimeOffset Now => clock.GetUtcNow();

    private VaultAccessState Access => vault.State.Access ?? throw NoSuchVault();

    /// <summary>The answer for an id that names no vault: nothing is recorded and the activation ends at once.</summary>
    private ValidationFailedException NoSuchVault()
    {
        this.DeactivateOnIdle();
        return new ValidationFailedException("vaultId", "names no vault", "NOT_FOUND");
    }

    // ---------------------------------------------------------------- lifecycle

    async Task<VaultView> IVaultGrain.OpenAsync(Caller caller, OpenVault command)
    {
        var now = Now;
        var decision = VaultOpening.Decide(caller, matrix, command.Consent is not null);
        if (!decision.Allowed && vault.State.Access is null)
        {
            // Nobody could ever read this vault's history: a refused opening leaves nothing behind.
            this.DeactivateOnIdle();
            decision.OrThrow();
        }
        await AuditAsync(caller, "vault.create", "vault", decision, now);
        decision.OrThrow();
        if (vault.State.Access is not null)
        {
            throw new ValidationFailedException("vaultId", "is already open", "CONFLICT");
        }
        ValidateIdentity(command.Identity);
        var referents = new List<Referent>();
        if (caller.Kind == CallerKind.Professional)
        {
            var consent = ValidateConsent(command.Consent!, caller, now);
            referents.Add(new Referent(caller.Rpps!, caller.EstablishmentFiness, consent));
        }
        vault.State.Access = new VaultAccessState
        {
            VaultId = VaultId,
            // A referent opens the vault with the person present and consenting: it is active at once. A vault an
            // operator opens (national import, phone channel) waits for the person's activation.
            Status = caller.Kind == CallerKind.Professional ? VaultStatus.Active : VaultStatus.Pending,
            IsMinor = command.IsMinor,
            Referents = referents,
        };
        vault.State.Identity = command.Identity;
        vault.State.QuotaBytes = Limits.QuotaBytes;
        vault.State.CreatedAt = now;
        vault.State.CreatedBy = AuditEvents.ActorId(caller);
        await vault.WriteStateAsync();
        return View(caller, decision);
    }

    async Task<VaultView> IVaultGrain.GetAsync(Caller caller)
    {
        var decision = await CheckAsync(caller, VaultAction.ReadVault, null, "vault.read", "vault");
        return View(caller, decision);
    }

    async Task<VaultView> IVaultGrain.CloseAsync(Caller caller)
    {
        var decision = await CheckAsync(caller, VaultAction.ManageLifecycle, null, "vault.close", "vault");
        vault.State.Access = Access with { Status = VaultStatus.Closed };
        await vault.WriteStateAsync();
        return View(caller, decision);
    }

    async Task<VaultView> IVaultGrain.ActivateAsync(Caller caller)
    {
        var decision = await CheckAsync(caller, VaultAction.ManageLifecycle, null, "vault.activate", "vault");
        if (Access.Status == VaultStatus.Pending)
        {
            vault.State.Access = Access with { Status = VaultStatus.Active };
            vault.State.ActivatedAt = Now;
            await vault.WriteStateAsync();
        }
        return View(caller, decision);
    }

    async Task IVaultGrain.SetPassphraseAsync(Caller caller, string passphrase)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "passphrase.update", "vault");
        if (Passphrases.Validate(passphrase) is { } rule)
        {
            throw new ValidationFailedException("passphrase", rule);
        }
        vault.State.PassphraseHash = Passphrases.Hash(passphrase);
        vault.State.FailedSignIns = 0;
        vault.State.SignInLockedUntil = null;
        await vault.WriteStateAsync();
    }

    async Task<bool> IVaultGrain.SignInAsync(DateOnly birthDate, string passphrase)
    {
        var now = Now;
        var caller = Caller.Patient(VaultId);
        bool ok;
        if (vault.State.Access is null)
        {
            Passphrases.Verify(passphrase, Passphrases.Dummy);
            this.DeactivateOnIdle();
            return false;
        }
        if (vault.State.Access is not { Status: VaultStatus.Active } || vault.State.PassphraseHash is null
            || vault.State.SignInLockedUntil > now)
        {
            Passphrases.Verify(passphrase, Passphrases.Dummy);
            ok = false;
        }
        else
        {
            // The birth date first: whoever does not know it verifies against the dummy hash (the same PBKDF2 work)
            // and is not counted, so a NIR alone cannot lock the account. The state is written either way (same work).
            var identityMatches = vault.State.Identity?.BirthDate == birthDate;
            var verified = Passphrases.Verify(passphrase, identityMatches ? vault.State.PassphraseHash : Passphrases.Dummy);
            ok = identityMatches && verified;
            if (identityMatches)
            {
                vault.State.FailedSignIns = ok ? 0 : vault.State.FailedSignIns + 1;
                if (vault.State.FailedSignIns >= MaxFailedSignIns)
                {
                    vault.State.SignInLockedUntil = now + SignInLockout;
                    vault.State.FailedSignIns = 0;
                }
            }
            await vault.WriteStateAsync();
        }
        await AuditAsync(caller, "vault.sign-in", "vault", ok
            ? AccessDecision.Allow(LegalBasis.Owner, "signed in")
            : AccessDecision.Deny(DenialReason.NotAuthenticated, "sign-in refused"), now);
        return ok;
    }

    // ---------------------------------------------------------------- identity

    async Task<VaultView> IVaultGrain.OpenRegisteredAsync(Caller caller, OpenVault command)
    {
        var now = Now;
        var decision = VaultOpening.Decide(caller, matrix, command.Consent is not null);
        if (vault.State.Access is null)
        {
            // Not a registry vault (or an opposed person's): nothing is recorded.
            this.DeactivateOnIdle();
            decision.OrThrow();
            throw new ValidationFailedException("nir", "names no registered person", "NOT_FOUND");
        }
        await RateLimitAsync(caller, "vault.open-registered");
        await AuditAsync(caller, "vault.open-registered", "vault", decision, now);
        decision.OrThrow();
        if (vault.State.CreatedBy != "registry" || Access.Status is VaultStatus.Closed or VaultStatus.Opposed)
        {
            throw new ValidationFailedException("nir", "already has a vault: ask its owner or a referent for access", "CONFLICT");
        }
        if (caller.Kind == CallerKind.Professional)
        {
            var consent = ValidateConsent(command.Consent!, caller, now);
            var referent = new Referent(caller.Rpps!, caller.EstablishmentFiness, consent);
            vault.State.Access = Access with { Referents = [.. Access.Referents.Where(r => r.Rpps != caller.Rpps), referent] };
        }
        // The registry's identity stays (it is what activation and sign-in check); the first change persists the vault.
        await vault.WriteStateAsync();
        return View(caller, decision);
    }

    async Task<VaultView> IVaultGrain.AttachNirAsync(Caller caller, string nirMasked)
    {
        var decision = await CheckManagerAsync(caller, "identity.attach-nir");
        if (vault.State.Identity is not { } identity)
        {
            throw new ValidationFailedException("vaultId", "has no identity to attach a NIR to");
        }
        if (identity.NirMasked is not null)
        {
            throw new ValidationFailedException("nir", "this vault already has a NIR", "CONFLICT");
        }
        if (Access.Status is VaultStatus.Closed or VaultStatus.Opposed)
        {
            throw new ValidationFailedException("vaultId", "is closed", "CONFLICT");
        }
        vault.State.Identity = identity with { NirMasked = nirMasked };
        await vault.WriteStateAsync();
        await NotifyAsync(new NirAttachedNotice(AuditEvents.ActorId(caller), nirMasked, Now));
        return View(caller, decision);
    }

    /// <summary>Operators, and the vault's active referents: who may hand a person a way in or attach their NIR.</summary>
    private async Task<AccessDecision> CheckManagerAsync(Caller caller, string operation)
    {
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        await RateLimitAsync(caller, operation);
        var now = Now;
        var decision = caller.IsOperator
            ? AccessDecision.Allow(LegalBasis.Operator, "operators act on a person's identity and way in")
            : caller.Kind == CallerKind.Professional && Access.Referents.Any(r => r.Rpps == caller.Rpps && r.IsActive(now))
                ? AccessDecision.Allow(LegalBasis.Referent, "an active referent acts on the person's identity and way in")
                : AccessDecision.Deny(DenialReason.NotPermitted, "only operators and the person's active referents");
        if (decision.Allowed && Access.Status is VaultStatus.Closed or VaultStatus.Opposed)
        {
            decision = AccessDecision.Deny(DenialReason.VaultNotActive, "the vault is closed");
        }
        await AuditAsync(caller, operation, "vault", decision, now);
        decision.OrThrow();
        return decision;
    }

    // ---------------------------------------------------------------- hand-over sheets

    async Task<HandOverSheet> IVaultGrain.IssueHandOverAsync(Caller caller)
    {
        await CheckManagerAsync(caller, "hand-over.issue");
        var now = Now;
        var code = Coffre.Domain.Rollout.ActivationCodes.Generate();
        var hash = new byte[Coffre.Domain.Rollout.CodeHasher.HashSize];
        codeHasher.Hash(code, hash);
        var reference = "HO-" + Ids.NewToken()[..6].ToUpperInvariant();
        vault.State.HandOver = new HandOverState(reference, codeHasher.CurrentKeyId, hash, now, now + Limits.HandOverValidity,
            AuditEvents.ActorId(caller), 0, HandOverStatus.Valid);
        await vault.WriteStateAsync();
        await NotifyAsync(new HandOverIssuedNotice(AuditEvents.ActorId(caller), reference, now, vault.State.HandOver.ExpiresAt));
        return new HandOverSheet(VaultId, reference, Coffre.Domain.Rollout.ActivationCodes.Display(code), now, vault.State.HandOver.ExpiresAt);
    }

    async Task<bool> IVaultGrain.ActivateWithHandOverAsync(string code, DateOnly birthDate, string passphrase)
    {
        if (Passphrases.Validate(passphrase) is { } rule)
        {
            // Checked before anything about the vault: it reveals nothing.
            throw new ValidationFailedException("passphrase", rule);
        }
        var now = Now;
        var codeValid = Coffre.Domain.Rollout.ActivationCodes.TryNormalise(code, out var canonical);
        var sheet = vault.State.HandOver;
        // Always one code HMAC, whatever the case.
        var codeMatches = codeHasher.Verify(codeValid ? canonical : "00000000000", sheet?.KeyId ?? codeHasher.CurrentKeyId, sheet?.CodeHash ?? DummyCodeHash);
        if (vault.State.Access is null)
        {
            // An id that names no vault: nothing is written, the same answer.
            this.DeactivateOnIdle();
            return false;
        }
        var birthMatches = vault.State.Identity?.BirthDate == birthDate;
        var usable = sheet is { Status: HandOverStatus.Valid } && now <= sheet.ExpiresAt + Limits.HandOverClockSkew
            && Access.Status is VaultStatus.Pending or VaultStatus.Active;
        var ok = usable && codeValid && codeMatches && birthMatches;
        if (!ok)
        {
            if (sheet is { Status: HandOverStatus.Valid } && birthMatches)
            {
                // The person's secret was proven with a wrong (or malformed) code: counts toward the sheet's lock.
                var attempts = sheet.Attempts + 1;
                vault.State.HandOver = sheet with { Attempts = attempts, Status = attempts >= Limits.HandOverMaxAttempts ? HandOverStatus.Locked : HandOverStatus.Valid };
            }
            await vault.WriteStateAsync();
            await AuditAsync(Caller.Anonymous, "vault.hand-over-activate", "vault", AccessDecision.Deny(DenialReason.NotAuthenticated, "hand-over refused"), now);
            return false;
        }
        vault.State.HandOver = sheet! with { Status = HandOverStatus.Used };
        vault.State.PassphraseHash = Passphrases.Hash(passphrase);
        vault.State.FailedSignIns = 0;
        vault.State.SignInLockedUntil = null;
        if (Access.Status == VaultStatus.Pending)
        {
            vault.State.Access = Access with { Status = VaultStatus.Active };
            vault.State.ActivatedAt = now;
        }
        await vault.WriteStateAsync();
        await AuditAsync(Caller.Patient(VaultId), "vault.hand-over-activate", "vault",
            AccessDecision.Allow(LegalBasis.Owner, $"activated with hand-over sheet {sheet.Reference} and chose a passphrase"), now);
        return true;
    }

    // ---------------------------------------------------------------- merge

    async Task<MergeBundle> IVaultGrain.ExportForMergeAsync(Caller caller, string targetVaultId)
    {
        await CheckOperatorAsync(caller, "vault.merge-export", $"vault:{targetVaultId}", "operators merge vaults");
        if (targetVaultId == VaultId || !Ids.IsVaultId(targetVaultId))
        {
            throw new ValidationFailedException("targetVaultId", "must be another vault's id (v-…)");
        }
        if (vault.State.MergedInto is { } into && into != targetVaultId)
        {
            throw new ValidationFailedException("sourceVaultId", "was already merged into another vault", "CONFLICT");
        }
        if (vault.State.MergedInto is null && Access.Status is VaultStatus.Closed or VaultStatus.Opposed)
        {
            throw new ValidationFailedException("sourceVaultId", "is closed", "CONFLICT");
        }
        if (vault.State.Identity?.NirMasked is not null)
        {
            throw new ValidationFailedException("sourceVaultId", "has a NIR: only a vault opened without a NIR merges into the person's vault", "CONFLICT");
        }
        var now = Now;
        return new MergeBundle(VaultId,
            [.. index.State.Documents.Where(d => d.DeletedAt is null)],
            [.. Access.Referents.Where(r => r.IsActive(now))]);
    }

    async Task<int> IVaultGrain.ImportMergeAsync(Caller caller, MergeBundle bundle, string reason)
    {
        await CheckOperatorAsync(caller, "vault.merge-in", $"vault:{bundle.SourceVaultId}", "operators merge vaults");
        if (vault.State.MergedFrom.Contains(bundle.SourceVaultId))
        {
            return 0;
        }
        if (Access.Status is VaultStatus.Closed or VaultStatus.Opposed)
        {
            throw new ValidationFailedException("targetVaultId", "is closed", "CONFLICT");
        }
        var now = Now;
        var ids = bundle.Documents.ToDictionary(d => d.Id, d => index.State.Documents.Any(e => e.Id == d.Id) ? $"{d.Id}-m{Ids.NewToken()[..4]}" : d.Id);
        foreach (var d in bundle.Documents)
        {
            index.State.Documents.Add(d with
            {
                Id = ids[d.Id],
                Replaces = d.Replaces is { } r && ids.TryGetValue(r, out var rr) ? rr : d.Replaces,
                ReplacedBy = d.ReplacedBy is { } b && ids.TryGetValue(b, out var bb) ? bb : d.ReplacedBy,
                MergedFromVaultId = d.MergedFromVaultId ?? bundle.SourceVaultId,
                MergedFromDocumentId = d.MergedFromDocumentId ?? d.Id,
                MergedAt = now,
            });
        }
        await index.WriteStateAsync();
        var referents = Access.Referents.ToList();
        foreach (var r in bundle.Referents.Where(r => !referents.Any(t => t.Rpps == r.Rpps && t.IsActive(now))))
        {
            referents.Add(r);
        }
        vault.State.Access = Access with { Referents = referents };
        vault.State.UsedBytes += bundle.Documents.Sum(d => d.Size);
        vault.State.MergedFrom.Add(bundle.SourceVaultId);
        await vault.WriteStateAsync();
        await NotifyAsync(new VaultMergedNotice(bundle.SourceVaultId, VaultId, AuditEvents.ActorId(caller), reason, now, bundle.Documents.Count));
        return bundle.Documents.Count;
    }

    async Task IVaultGrain.CloseAsMergedAsync(Caller caller, string targetVaultId, string reason)
    {
        await CheckOperatorAsync(caller, "vault.merge-out", $"vault:{targetVaultId}", "operators merge vaults");
        if (vault.State.MergedInto == targetVaultId)
        {
            return;
        }
        vault.State.MergedInto = targetVaultId;
        vault.State.Access = Access with { Status = VaultStatus.Closed };
        vault.State.HandOver = vault.State.HandOver is { Status: HandOverStatus.Valid } h ? h with { Status = HandOverStatus.Replaced } : vault.State.HandOver;
        await vault.WriteStateAsync();
        await NotifyAsync(new VaultMergedNotice(VaultId, targetVaultId, AuditEvents.ActorId(caller), reason, Now));
    }

    // ---------------------------------------------------------------- documents

    async Task<DocumentPage> IVaultGrain.ListDocumentsAsync(Caller caller, DocumentQuery query)
    {
        if (query.First is < 1 or > 100)
        {
            throw new ValidationFailedException("first", "must be between 1 and 100");
        }
        await CheckAsync(caller, VaultAction.ListDocuments, null, "documents.list", "vault");
        var now = Now;
        var visible = index.State.Documents
            .Where(d => d.DeletedAt is null && d.ReplacedBy is null)
            .Where(d => query.ClassCodes is null || query.ClassCodes.Contains(d.ClassCode))
            .Where(d => query.TypeCodes is null || query.TypeCodes.Contains(d.TypeCode))
            .Where(d => query.From is null || d.CreatedAt >= query.From)
            .Where(d => query.To is null || d.CreatedAt < query.To)
            .Where(d => evaluator.Decide(Access, caller, VaultAction.ReadDocument, d.Facts(), now).Allowed)
            .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id, StringComparer.Ordinal)
            .ToList();
        var start = 0;
        if (query.After is not null)
        {
            var position = visible.FindIndex(d => Cursor(d) == query.After);
            if (position < 0)
            {
                throw new ValidationFailedException("after", "is not a cursor of this list");
            }
            start = position + 1;
        }
        var page = visible.Skip(start).Take(query.First).ToList();
        return new DocumentPage(page, page.Select(Cursor).ToList(), start + page.Count < visible.Count, visible.Count);
    }

    private static string Cursor(DocumentEntry d) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(d.Id));

    async Task<DocumentEntry> IVaultGrain.GetDocumentAsync(Caller caller, string documentId)
    {
        var document = await FindDocumentForAsync(caller, documentId, "document.read");
        await CheckDocumentAsync(caller, VaultAction.ReadDocument, document, "document.read", $"document:{documentId}");
        return document;
    }

    async Task<UploadPermit> IVaultGrain.AuthorizeUploadAsync(Caller caller, NewDocument document)
    {
        var facts = ValidateNewDocument(caller, document, NewDocumentId());
        await CheckAsync(caller, VaultAction.CreateDocument, facts, "document.authorize-upload", "vault");
        return new UploadPermit($"vaults/{VaultId}/{facts.DocumentId}", Math.Min(Limits.MaxDocumentBytes, vault.State.QuotaBytes - vault.State.UsedBytes));
    }

    async Task<DocumentEntry> IVaultGrain.AddDocumentAsync(Caller caller, NewDocument document, string contentKey, long size, string sha256)
    {
        var prefix = $"vaults/{VaultId}/";
        if (!contentKey.StartsWith(prefix, StringComparison.Ordinal) || contentKey[prefix.Length..] is not { Length: > 0 } documentId
            || index.State.Documents.Any(d => d.Id == documentId))
        {
            throw new ValidationFailedException("contentKey", "was not issued for a new document of this vault");
        }
        var facts = ValidateNewDocument(caller, document, documentId);
        if (size != document.Size || !Sha256Hex.Matches(sha256, Sha256Hex.Normalise(document.Sha256) ?? ""))
        {
            throw new ValidationFailedException("sha256", "does not match the stored content");
        }
        var decision = await CheckAsync(caller, VaultAction.CreateDocument, facts, "document.create", $"document:{facts.DocumentId}");
        var now = Now;
        var entry = new DocumentEntry
        {
            Id = facts.DocumentId,
            Title = document.Title.Trim(),
            ClassCode = document.ClassCode,
            TypeCode = document.TypeCode,
            Author = facts.Author,
            SourceFiness = caller.EstablishmentFiness,
            CreatedAt = now,
            UpdatedAt = now,
            ServiceDate = document.ServiceDate,
            Size = size,
            Sha256 = Sha256Hex.Normalise(sha256)!,
            ContentKey = contentKey,
            ContentType = document.ContentType,
            Visibility = facts.Visibility,
            Private = document.Private,
            Replaces = document.Replaces,
            Version = document.Replaces is null ? 1 : FindDocument(document.Replaces).Version + 1,
        };
        index.State.Documents.Add(entry);
        index.State.NextNumber++;
        if (document.Replaces is not null)
        {
            var i = index.State.Documents.FindIndex(d => d.Id == document.Replaces);
            index.State.Documents[i] = index.State.Documents[i] with { ReplacedBy = entry.Id };
        }
        await index.WriteStateAsync();
        vault.State.UsedBytes += size;
        await vault.WriteStateAsync();
        if (decision.Basis != LegalBasis.Owner)
        {
            await NotifyAsync(new NewDocumentNotice(entry.Id, entry.ClassCode, entry.TypeCode));
        }
        return entry;
    }

    async Task<DocumentEntry> IVaultGrain.AuthorizeDownloadAsync(Caller caller, string documentId)
    {
        var document = await FindDocumentForAsync(caller, documentId, "document.download");
        await CheckDocumentAsync(caller, VaultAction.ReadDocument, document, "document.download", $"document:{documentId}");
        return document;
    }

    async Task<DocumentEntry> IVaultGrain.UpdateDocumentAsync(Caller caller, string documentId, DocumentChanges changes)
    {
        var document = await FindDocumentForAsync(caller, documentId, "document.update");
        var visibilityChange = changes.MaskedFromProfessionals is not null || changes.InvisibleToPatient is not null
            || changes.InvisibleToRepresentatives is not null || changes.Private is not null;
        var action = visibilityChange ? VaultAction.ManageAccess : VaultAction.UpdateDocument;
        await CheckDocumentAsync(caller, action, document, visibilityChange ? "document.visibility" : "document.update", $"document:{documentId}");
        if (changes.Title is { } title && (string.IsNullOrWhiteSpace(title) || title.Length > 200))
        {
            throw new ValidationFailedException("title", "must be 1 to 200 characters");
        }
        if (TextRules.Validate(changes.Title) is { } titleRule)
        {
            throw new ValidationFailedException("title", titleRule);
        }
        if (changes.InvisibleToRepresentatives == true && (document.RepresentativesVisibilityLifted || !document.Visibility.InvisibleToRepresentatives))
        {
            throw new ValidationFailedException("invisibleToRepresentatives", "can only be set when the document is deposited, and never again once lifted");
        }
        var lifted = document.Visibility.InvisibleToRepresentatives && changes.InvisibleToRepresentatives == false;
        var updated = document with
        {
            Title = changes.Title?.Trim() ?? document.Title,
            Visibility = new Visibility(
                changes.MaskedFromProfessionals ?? document.Visibility.MaskedFromProfessionals,
                changes.InvisibleToPatient ?? document.Visibility.InvisibleToPatient,
                changes.InvisibleToRepresentatives ?? document.Visibility.InvisibleToRepresentatives),
            Private = changes.Private ?? document.Private,
            RepresentativesVisibilityLifted = document.RepresentativesVisibilityLifted || lifted,
            UpdatedAt = Now,
        };
        index.State.Documents[index.State.Documents.FindIndex(d => d.Id == documentId)] = updated;
        await index.WriteStateAsync();
        return updated;
    }

    async Task IVaultGrain.DeleteDocumentAsync(Caller caller, string documentId)
    {
        var document = await FindDocumentForAsync(caller, documentId, "document.delete");
        await CheckDocumentAsync(caller, VaultAction.DeleteDocument, document, "document.delete", $"document:{documentId}");
        index.State.Documents[index.State.Documents.FindIndex(d => d.Id == documentId)] = document with { DeletedAt = Now, UpdatedAt = Now };
        await index.WriteStateAsync();
        vault.State.UsedBytes = Math.Max(0, vault.State.UsedBytes - document.Size);
        await vault.WriteStateAsync();
        await content.DeleteAsync(new ContentKey(document.ContentKey));
    }

    // ---------------------------------------------------------------- permissions

    async Task<Grant> IVaultGrain.GrantAccessAsync(Caller caller, GrantRequest request)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "grant.create", $"{request.GranteeKind.ToString().ToLowerInvariant()}:{request.Grantee}");
        ValidateGrantee(request.GranteeKind, request.Grantee);
        ValidateScope(request.Scope, "scope");
        if (request.ExpiresAt is { } expires && expires <= Now)
        {
            throw new ValidationFailedException("expiresAt", "must be in the future");
        }
        var grant = new Grant("g-" + Ids.NewToken(), request.GranteeKind, request.Grantee, request.Scope, Now, request.ExpiresAt,
            AuditEvents.ActorId(caller), TreatingPhysician: request.TreatingPhysician);
        vault.State.Access = Access with { Grants = [.. Access.Grants, grant] };
        await vault.WriteStateAsync();
        return grant;
    }

    async Task IVaultGrain.RevokeAccessAsync(Caller caller, string grantId)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "grant.revoke", $"grant:{grantId}");
        var grant = Access.Grants.FirstOrDefault(g => g.Id == grantId && g.RevokedAt is null)
            ?? throw new ValidationFailedException("grantId", "names no active grant of this vault", "NOT_FOUND");
        vault.State.Access = Access with { Grants = Access.Grants.Select(g => g == grant ? g with { RevokedAt = Now } : g).ToList() };
        await vault.WriteStateAsync();
    }

    async Task IVaultGrain.BlockProfessionalAsync(Caller caller, string rpps)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "professional.block", $"professional:{rpps}");
        ValidateGrantee(GranteeKind.Professional, rpps);
        if (Access.Blocks.Any(b => b.Rpps == rpps))
        {
            return;
        }
        vault.State.Access = Access with { Blocks = [.. Access.Blocks, new Block(rpps, Now, AuditEvents.ActorId(caller))] };
        await vault.WriteStateAsync();
    }

    async Task IVaultGrain.UnblockProfessionalAsync(Caller caller, string rpps)
    {
        await CheckAsync(caller, VaultAction.ManageAccess, null, "professional.unblock", $"professional:{rpps}");
        vault.State.Access = Access with { Blocks = Access.Blocks.Where(b => b.Rpps != rpps).ToList() };
        await vault.WriteStateAsync();
    }

    async Task<Referent> IVaultGrain.AddReferentAsync(Caller caller, ReferentRequest request)
    {
        await CheckAsync(caller, VaultAction.ManageReferents, null, "referent.add", $"professional:{request.Rpps}");
        ValidateGrantee(GranteeKind.Professional, request.Rpps);
        if (request.EstablishmentFiness is { } finess && Finess.Validate(finess) is { } rule)
        {
            throw new ValidationFailedException("establishmentFiness", rule);
        }
        var referent = new Referent(request.Rpps, request.EstablishmentFiness, ValidateConsent(request.Consent, caller, Now));
        vault.State.Access = Access with { Referents = [.. Access.Referents.Where(r => r.Rpps != request.Rpps), referent] };
        await vault.WriteStateAsync();
        return referent;
    }

    async Task IVaultGrain.RevokeReferentAsync(Caller caller, string rpps)
    {
        if (caller.Kind == CallerKind.Professional && caller.Rpps == rpps)
        {
            // A referent may always end their own mandate.
            await AuditAsync(caller, "referent.revoke", $"professional:{rpps}", AccessDecision.Allow(LegalBasis.Referent, "a referent ends their own mandate"), Now);
        }
        else
        {
            await CheckAsync(caller, VaultAction.ManageAccess, null, "referent.revoke", $"professional:{rpps}");
        }
        _ = Access.Referents.FirstOrDefault(r => r.Rpps == rpps && r.RevokedAt is null)
            ?? throw new ValidationFailedException("rpps", "names no active referent of this vault", "NOT_FOUND");
        vault.State.Access = Access with { Referents = Access.Referents.Select(r => r.Rpps == rpps && r.RevokedAt is null ? r with { RevokedAt = Now } : r).ToList() };
        await vault.WriteStateAsync();
    }

    async Task<LegalRepresentative> IVaultGrain.AddRepresentativeAsync(Caller caller, RepresentativeRequest request)
    {
        // Legal representation comes from civil status or a court decision: operators record it.
        await CheckOperatorAsync(caller, "representative.add", $"vault:{request.RepresentativeVaultId}", "legal representatives are recorded by operators from civil status or a court decision");
        if (!Ids.IsVaultId(request.RepresentativeVaultId) || request.RepresentativeVaultId == VaultId)
        {
            throw new ValidationFailedException("representativeVaultId", "must be another vault's id (v-…)");
        }
        var now = Now;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var minor = RepresentationRules.IsMinor(Access.IsMinor, vault.State.Identity?.BirthDate, today);
        if (RepresentationRules.Validate(request.Kind, minor, request.Decision, today) is { } broken)
        {
            throw new ValidationFailedException(broken.Field, broken.Rule);
        }
        var decision = request.Kind == RepresentationKind.Parent ? null
            : request.Decision! with { Court = request.Decision.Court.Trim(), Reference = request.Decision.Reference.Trim() };
        var representative = new LegalRepresentative(request.RepresentativeVaultId, request.Kind, now, request.Until,
            AuditEvents.ActorId(caller), request.PersonConsentedAt, decision);
        var others = Access.Representatives
            .Where(r => r.RepresentativeVaultId != request.RepresentativeVaultId && r.IsActive(now))
            .Select(r => r.RepresentativeVaultId).Distinct().ToList();
        vault.State.Access = Access with
        {
            Representatives = [.. Access.Representatives.Where(r => r.RepresentativeVaultId != request.RepresentativeVaultId), representative],
        };
        await vault.WriteStateAsync();
        // The person and every other current representative learn who may now act for the person, and on what ground.
        var payload = new RepresentativeAddedNotice(VaultId, representative.RepresentativeVaultId, representative.Kind, representative.RecordedBy,
            representative.Since, representative.Until, decision?.Court, decision?.Reference, decision?.Date);
        await NotifyAsync(payload);
        foreach (var other in others)
        {
            await NotifyAsync(other, payload);
        }
        return representative;
    }

    async Task IVaultGrain.RemoveRepresentativeAsync(Caller caller, string representativeVaultId)
    {
        await CheckOperatorAsync(caller, "representative.remove", $"vault:{representativeVaultId}", "legal representatives are removed by operators from civil status or a court decision");
        vault.State.Access = Access with { Representatives = Access.Representatives.Where(r => r.RepresentativeVaultId != representativeVaultId).ToList() };
        await vault.WriteStateAsync();
    }

    async Task<BreakGlassSession> IVaultGrain.BreakGlassAsync(Caller caller, string reason)
    {
        _ = Access;
        await RateLimitAsync(caller, "vault.break-glass");
        if (TextRules.Validate(reason) is { } textRule)
        {
            await AuditAsync(caller, "vault.break-glass", "vault", AccessDecision.Deny(DenialReason.NotPermitted, "break-glass needs a readable reason"), Now);
            throw new ValidationFailedException("reason", textRule);
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length < Limits.BreakGlassMinReasonLength || reason.Length > 500)
        {
            await AuditAsync(caller, "vault.break-glass", "vault", AccessDecision.Deny(DenialReason.NotPermitted, "break-glass needs a stated reason"), Now);
            throw new ValidationFailedException("reason", $"must state the emergency in {Limits.BreakGlassMinReasonLength} to 500 characters");
        }
        await CheckAsync(caller, VaultAction.BreakGlass, null, "vault.break-glass", "vault");
        var now = Now;
        var duration = matrix.BreakGlassMaxDuration < Limits.BreakGlassDuration ? matrix.BreakGlassMaxDuration : Limits.BreakGlassDuration;
        var session = new BreakGlassSession(caller.Rpps!, reason.Trim(), now, now + duration);
        vault.State.Access = Access with { BreakGlassSessions = [.. Access.BreakGlassSessions.Where(s => s.IsActive(now)), session] };
        await vault.WriteStateAsync();
        await NotifyAsync(new BreakGlassNotice(caller.Rpps!, caller.ProfessionCode, now, session.ExpiresAt));
        return session;
    }

    // ---------------------------------------------------------------- explanations and history

    async Task<AccessDecision> IVaultGrain.ExplainAsync(Caller caller, VaultAction action, string? documentId)
    {
        if (caller.Kind == CallerKind.Anonymous)
        {
            return AccessDecision.Deny(DenialReason.NotAuthenticated, "sign in first");
        }
        _ = Access;
        await RateLimitAsync(caller, "access.explain");
        var document = documentId is null ? null : FindDocument(documentId).Facts();
        // Anyone with some standing on the vault may ask why; the answer reveals no document content.
        var decision = evaluator.Decide(Access, caller, action, document, Now);
        await AuditAsync(caller, "access.explain", documentId is null ? "vault" : $"document:{documentId}", decision, Now);
        return decision;
    }

    async Task<AccessHistoryPage> IVaultGrain.GetAccessHistoryAsync(Caller caller, long? beforeSequence, int limit)
    {
        if (limit is < 1 or > 200)
        {
            throw new ValidationFailedException("first", "must be between 1 and 200");
        }
        await CheckAsync(caller, VaultAction.ReadHistory, null, "history.read", "vault");
        // The person sees every denial: those only counted so far are appended before the page is read.
        await AppendAllAsync(_denials.TakePending());
        var page = await audit.ReadAsync(VaultId, beforeSequence, limit);
        return new AccessHistoryPage(page.Items.Select(e => new AccessHistoryEntry(e.Sequence, e.Event)).ToList(), page.HasMore, page.TotalCount);
    }

    async Task<IReadOnlyList<VaultNotification>> IVaultGrain.GetNotificationsAsync(Caller caller, int limit)
    {
        if (limit is < 1 or > 100)
        {
            throw new ValidationFailedException("first", "must be between 1 and 100");
        }
        await CheckAsync(caller, VaultAction.ReadHistory, null, "notifications.read", "vault");
        // The recipient's outbox also holds what is not an in-app notification (the activation-code letter): left out.
        var messages = await outbox.ListForRecipientAsync(VaultId, limit + 10);
        return messages.Select(NotificationCodec.Decode).OfType<VaultNotification>().Take(limit).ToList();
    }

    async Task<IReadOnlyList<VaultNotification>> IVaultGrain.PollNotificationsAsync(Caller caller, DateTimeOffset after)
    {
        var now = Now;
        _ = Access;
        await RateLimitAsync(caller, "notifications.read");
        var decision = evaluator.Decide(Access, caller, VaultAction.ReadHistory, null, now);
        if (!decision.Allowed)
        {
            await AuditAsync(caller, "notifications.read", "vault", decision, now);
            decision.OrThrow();
        }
        var messages = await outbox.ListForRecipientAsync(VaultId, 50);
        return messages.Where(m => m.CreatedAt > after).OrderBy(m => m.CreatedAt)
            .Select(NotificationCodec.Decode).OfType<VaultNotification>().ToList();
    }

    async Task<AuditChainReport> IVaultGrain.VerifyAuditChainAsync(Caller caller)
    {
        var now = Now;
        _ = Access;
        await RateLimitAsync(caller, "audit.verify");
        var decision = caller.IsOperator
            ? AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport)
            : evaluator.Decide(Access, caller, VaultAction.ReadHistory, null, now);
        await AuditAsync(caller, "audit.verify", "vault", decision, now);
        decision.OrThrow();
        var result = await audit.VerifyAsync(VaultId);
        return new AuditChainReport(result.Intact, result.EventsChecked, result.FirstBrokenSequence, result.Problem);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Decides, audits, throws when denied, and records a professional's first access.</summary>
    private async Task<AccessDecision> CheckAsync(Caller caller, VaultAction action, DocumentFacts? document, string operation, string target)
    {
        var now = Now;
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        await RateLimitAsync(caller, operation);
        var decision = evaluator.Decide(Access, caller, action, document, now);
        await AuditAsync(caller, operation, target, decision, now);
        decision.OrThrow();
        if (caller.Kind == CallerKind.Professional && caller.Rpps is { } rpps && !vault.State.SeenProfessionals.Contains(rpps))
        {
            vault.State.SeenProfessionals.Add(rpps);
            await vault.WriteStateAsync();
            await NotifyAsync(new FirstAccessNotice(rpps, caller.ProfessionCode, decision.Basis, now));
        }
        return decision;
    }

    private async Task CheckOperatorAsync(Caller caller, string operation, string target, string rule)
    {
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        await RateLimitAsync(caller, operation);
        var decision = caller.IsOperator
            ? AccessEvaluator.DecideOperator(caller, OperatorAction.VaultSupport)
            : AccessDecision.Deny(DenialReason.NotPermitted, rule);
        await AuditAsync(caller, operation, target, decision, Now);
        decision.OrThrow();
    }

    private Task<AccessDecision> CheckDocumentAsync(Caller caller, VaultAction action, DocumentEntry document, string operation, string target) =>
        CheckAsync(caller, action, document.Facts(), operation, target);

    /// <summary>Allowed events are appended; denials go through the limiter (appended at once, or counted for an aggregate).</summary>
    private async Task AuditAsync(Caller caller, string operation, string target, AccessDecision decision, DateTimeOffset at)
    {
        var auditEvent = AuditEvents.Create(VaultId, caller, operation, target, decision, at);
        if (decision.Allowed)
        {
            await audit.AppendAsync(auditEvent);
            return;
        }
        await AppendAllAsync(_denials.Record(auditEvent));
        EnsureDenialTimer();
    }

    /// <summary>
    /// Refuses a caller who was already denied <see cref="VaultOptions.DenialsPerWindow"/> times in its window, before
    /// any evaluation; the refusal itself is only counted (one event per kind, then aggregates).
    /// </summary>
    private async Task RateLimitAsync(Caller caller, string operation)
    {
        var now = Now;
        await AppendAllAsync(_denials.TakeClosed(now));
        var actor = new AuditEvent(VaultId, now, caller.Kind, AuditEvents.ActorId(caller), AuditEvents.ActorRole(caller),
            AuditEvents.ActionOf(operation), operation, "vault", false, LegalBasis.None, DenialReason.RateLimited);
        if (!_denials.IsLimited(DenialLimiter.ActorKey(actor), now))
        {
            return;
        }
        await AppendAllAsync(_denials.Record(actor));
        EnsureDenialTimer();
        throw new AccessDeniedException("too many refused requests on this vault: wait a minute before trying again", DenialReason.RateLimited);
    }

    private async Task AppendAllAsync(IReadOnlyList<AuditEvent> events)
    {
        foreach (var e in events)
        {
            await audit.AppendAsync(e);
        }
    }

    /// <summary>A timer appends the aggregates of closed windows even when the caller does not come back.</summary>
    private void EnsureDenialTimer()
    {
        if (_denialTimer is not null || _denials.OpenWindows == 0)
        {
            return;
        }
        var quarter = _denials.Window / 4;
        var period = quarter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : quarter;
        _denialTimer = this.RegisterGrainTimer(async _ =>
        {
            await AppendAllAsync(_denials.TakeClosed(Now));
            if (_denials.OpenWindows == 0)
            {
                _denialTimer?.Dispose();
                _denialTimer = null;
            }
        }, new GrainTimerCreationOptions(period, period) { KeepAlive = false });
    }

    private Task NotifyAsync(NotificationPayload payload) => NotifyAsync(VaultId, payload);

    private Task NotifyAsync(string recipient, NotificationPayload payload)
    {
        var (kind, json) = NotificationCodec.Encode(payload);
        return outbox.EnqueueAsync([new OutboxMessage(Guid.NewGuid(), OutboxChannel.InApp, recipient, kind, json, Now)]);
    }

    private DocumentEntry FindDocument(string documentId) =>
        index.State.Documents.FirstOrDefault(d => d.Id == documentId && d.DeletedAt is null)
        ?? throw new ValidationFailedException("documentId", "names no document of this vault", "NOT_FOUND");

    /// <summary>
    /// The document, or — when it does not exist — the answer a caller would get for the vault as a whole:
    /// FORBIDDEN (audited) to a caller with no standing on the vault, NOT_FOUND only to one who may list it.
    /// </summary>
    private async Task<DocumentEntry> FindDocumentForAsync(Caller caller, string documentId, string operation)
    {
        if (index.State.Documents.FirstOrDefault(d => d.Id == documentId && d.DeletedAt is null) is { } document)
        {
            return document;
        }
        await CheckAsync(caller, VaultAction.ListDocuments, null, operation, $"document:{documentId}");
        throw new ValidationFailedException("documentId", "names no document of this vault", "NOT_FOUND");
    }

    private VaultView View(Caller caller, AccessDecision decision)
    {
        var access = vault.State.Access!;
        var now = Now;
        var manages = decision.Basis is LegalBasis.Owner or LegalBasis.LegalRepresentative;
        var capabilities = Enum.GetValues<VaultAction>().Where(a => a == VaultAction.CreateDocument
            ? matrix.DocumentTypes.Any(t => evaluator.Decide(access, caller, a, ProbeDocument(t), now).Allowed)
            : evaluator.Decide(access, caller, a, null, now).Allowed).ToList();
        return new VaultView(VaultId, access.Status, decision.Basis == LegalBasis.Operator && caller.IsOperator ? null : vault.State.Identity,
            vault.State.QuotaBytes, vault.State.UsedBytes, index.State.Documents.Count(d => d.DeletedAt is null && d.ReplacedBy is null),
            vault.State.CreatedAt, manages ? access : null, capabilities, decision.Basis, vault.State.MergedInto);
    }

    private string NewDocumentId() => $"d-{index.State.NextNumber:D6}-{Ids.NewToken()[..8]}";

    private static DocumentFacts ProbeDocument(DocumentTypeInfo type) =>
        new("probe", type.ClassCodes[0], type.TypeCode, Visibility.Normal, false, new Author(AuthorKind.System, "probe"));

    private DocumentFacts ValidateNewDocument(Caller caller, NewDocument document, string documentId)
    {
        if (string.IsNullOrWhiteSpace(document.Title) || document.Title.Length > 200)
        {
            throw new ValidationFailedException("title", "must be 1 to 200 characters");
        }
        if (TextRules.Validate(document.Title) is { } titleRule)
        {
            throw new ValidationFailedException("title", titleRule);
        }
        if (!matrix.IsKnownType(document.TypeCode))
        {
            throw new ValidationFailedException("typeCode", "is not a document type of the habilitation matrix (JDV_J07)");
        }
        if (!matrix.IsValidClassFor(document.TypeCode, document.ClassCode))
        {
            throw new ValidationFailedException("classCode", $"is not a class (TRE_A03) allowed for type {document.TypeCode}");
        }
        if (!Limits.AllowedContentTypes.Contains(document.ContentType, StringComparer.OrdinalIgnoreCase))
        {
            throw new ValidationFailedException("contentType", $"must be one of {string.Join(", ", Limits.AllowedContentTypes)}");
        }
        if (Sha256Hex.Normalise(document.Sha256) is null)
        {
            throw new ValidationFailedException("sha256", "must be 64 hexadecimal characters");
        }
        if (document.Size <= 0 || document.Size > Limits.MaxDocumentBytes)
        {
            throw new ValidationFailedException("size", $"must be between 1 and {Limits.MaxDocumentBytes} bytes");
        }
        if (vault.State.Access is not null && vault.State.UsedBytes + document.Size > vault.State.QuotaBytes)
        {
            throw new ValidationFailedException("size", $"exceeds the vault's remaining quota of {vault.State.QuotaBytes - vault.State.UsedBytes} bytes", "QUOTA_EXCEEDED");
        }
        if (document.Replaces is not null)
        {
            FindDocument(document.Replaces);
        }
        var visibility = document.Visibility ?? Visibility.Normal;
        var author = caller.Kind switch
        {
            CallerKind.Professional when Access.Referents.Any(r => r.Rpps == caller.Rpps && r.IsActive(Now)) => new Author(AuthorKind.Referent, caller.Rpps!, caller.EstablishmentFiness),
            CallerKind.Professional => new Author(AuthorKind.Professional, caller.Rpps!, caller.EstablishmentFiness),
            CallerKind.Patient when caller.VaultId == VaultId => new Author(AuthorKind.Person, caller.Subject),
            CallerKind.Patient => new Author(AuthorKind.Representative, caller.Subject),
            CallerKind.Establishment => new Author(AuthorKind.System, caller.Subject, caller.EstablishmentFiness),
            _ => new Author(AuthorKind.System, AuditEvents.ActorId(caller)),
        };
        return new DocumentFacts(documentId, document.ClassCode, document.TypeCode, visibility, document.Private, author);
    }

    private Consent ValidateConsent(ConsentRecord record, Caller caller, DateTimeOffset now)
    {
        if (record.ExpiresAt <= now || record.ExpiresAt > now.AddYears(3))
        {
            throw new ValidationFailedException("consent.expiresAt", "must be in the future and at most 3 years ahead");
        }
        if (record.Method is ConsentMethod.SignedPaper or ConsentMethod.OralWitnessed && string.IsNullOrWhiteSpace(record.Evidence))
        {
            throw new ValidationFailedException("consent.evidence", "must describe the signed form or the witness for paper and oral consent");
        }
        ValidateScope(record.Scope, "consent.scope");
        return new Consent(AuditEvents.ActorId(caller), now, record.Method, record.Scope, record.ExpiresAt, record.Evidence?.Trim());
    }

    private void ValidateScope(DocumentScope scope, string field)
    {
        if (scope.TypeCodes?.FirstOrDefault(t => !matrix.IsKnownType(t)) is { } unknown)
        {
            throw new ValidationFailedException($"{field}.typeCodes", $"contains unknown type {unknown}");
        }
    }

    private static void ValidateGrantee(GranteeKind kind, string grantee)
    {
        var rule = kind == GranteeKind.Professional ? Domain.Identifiers.Rpps.Validate(grantee) : Finess.Validate(grantee);
        if (rule is not null)
        {
            throw new ValidationFailedException(kind == GranteeKind.Professional ? "rpps" : "finess", rule);
        }
    }

    private static void ValidateIdentity(IdentityTraits identity)
    {
        if (string.IsNullOrWhiteSpace(identity.FamilyName) || identity.FamilyName.Length > 100)
        {
            throw new ValidationFailedException("identity.familyName", "must be 1 to 100 characters");
        }
        if (string.IsNullOrWhiteSpace(identity.GivenNames) || identity.GivenNames.Length > 100)
        {
            throw new ValidationFailedException("identity.givenNames", "must be 1 to 100 characters");
        }
        foreach (var (field, value) in new[] { ("identity.familyName", identity.FamilyName), ("identity.givenNames", identity.GivenNames), ("identity.usualName", identity.UsualName) })
        {
            if (TextRules.Validate(value) is { } rule)
            {
                throw new ValidationFailedException(field, rule);
            }
        }
        if (identity.UsualName is { Length: > 100 })
        {
            throw new ValidationFailedException("identity.usualName", "must be at most 100 characters");
        }
        if (identity.BirthDate < new DateOnly(1890, 1, 1) || identity.BirthDate > DateOnly.FromDateTime(DateTime.UtcNow))
        {
            throw new ValidationFailedException("identity.birthDate", "must be a real date in the past");
        }
    }
}
