using Coffre.Application.Audit;
using Coffre.Application.Outbox;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains.Rollout;
using Microsoft.Extensions.Logging;
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
public sealed partial class VaultGrain(
    [PersistentState(GrainNames.States.Vault, GrainNames.Storage)] IPersistentState<VaultState> vault,
    [PersistentState(GrainNames.States.VaultDocuments, GrainNames.Storage)] IPersistentState<VaultDocumentsState> index,
    AccessEvaluator evaluator,
    HabilitationMatrix matrix,
    IAuditLog audit,
    IOutbox outbox,
    PersonNotifier notifier,
    IContentStore content,
    IOptions<VaultOptions> options,
    IVaultRegistry registry,
    Coffre.Domain.Rollout.CodeHasher codeHasher,
    TimeProvider clock,
    ILogger<VaultGrain> logger) : Grain, IVaultGrain
{
    private const int MaxFailedSignIns = 10;
    private static readonly byte[] DummyCodeHash = new byte[Coffre.Domain.Rollout.CodeHasher.HashSize];
    private static readonly TimeSpan SignInLockout = TimeSpan.FromMinutes(15);

    private readonly DenialLimiter _denials = new(options.Value.DenialsPerWindow, options.Value.DenialWindow);
    private IGrainTimer? _denialTimer;

    /// <summary>
    /// A vault created by the national import has no grain state: it takes its initial state from the registry on first
    /// use, including its status (activation writes only the registry: a used code makes the vault active, an opposition
    /// after activation makes it closed). A registry vault already written follows the registry the same way.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Operations.SiloCounters.VaultActivated();
        if (vault.State.Access is null && Ids.IsVaultId(VaultId)
            && await registry.FindByVaultIdAsync(VaultId, cancellationToken) is { Status: { } status } person)
        {
            vault.State.Access = new VaultAccessState
            {
                VaultId = VaultId,
                Status = status,
                IsMinor = person.IsMinor,
                BirthDate = person.BirthDate,
                OppositionWindowEndsAt = person.OppositionWindowEndsAt,
                Representatives = person.RepresentativeVaultIds
                    .Select(r => new LegalRepresentative(r, RepresentationKind.Parent, Now, null, "registry")).ToList(),
            };
            vault.State.Identity = person.Identity;
            vault.State.QuotaBytes = Limits.QuotaBytes;
            vault.State.CreatedAt = Now;
            vault.State.CreatedBy = "registry";
            // Not written yet: the first change persists it, so merely looking at a vault writes nothing.
            VaultLog.OpenedFromRegistry(logger);
        }
        else if (vault.State.Access is { Status: not VaultStatus.Closed } access && vault.State.CreatedBy == "registry"
            && await registry.FindByVaultIdAsync(VaultId, cancellationToken) is { } registered)
        {
            await FollowRegistryAsync(access, registered);
        }
        if (vault.State.Access is { BirthDate: null } known && vault.State.Identity?.BirthDate is { } born && born != default)
        {
            // Vaults opened by a referent (or written before the birth date joined the access state) learn it from their identity.
            vault.State.Access = known with { BirthDate = born };
        }
        try
        {
            await CheckMajorityAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A storage or outbox failure must not make every call to this vault fail: the daily run, or the next
            // activation, does the hand-over again (it is idempotent until MajorityReachedAt is stored).
            VaultLog.MajorityHandOverFailed(logger, e);
        }
        await base.OnActivateAsync(cancellationToken);
    }

    /// <summary>
    /// A registry vault follows what the registry settled while its grain was not asked: the person opposed (by phone,
    /// through an operator command: closed), activated (activation settles in the registry and calls no grain of a
    /// registry vault), or their opposition window moved (a code issued or used since). The registry is the truth, written
    /// here with the next change.
    /// </summary>
    private async Task FollowRegistryAsync(VaultAccessState access, RegistryIdentity registered)
    {
        if (registered.Opposed)
        {
            vault.State.Access = access with { Status = VaultStatus.Closed };
            await WriteReferentsAsync(access.Referents);
            VaultLog.ClosedAfterOpposition(logger);
            return;
        }
        vault.State.Access = access with
        {
            Status = registered.Status == VaultStatus.Active ? VaultStatus.Active : access.Status,
            OppositionWindowEndsAt = registered.OppositionWindowEndsAt,
            BirthDate = access.BirthDate ?? registered.BirthDate,
        };
    }

    /// <summary>
    /// A registry vault in memory while pending asks the registry again before each decision: its person may have
    /// activated (or opposed) since it was loaded, and activation does not call the vault's grain.
    /// </summary>
    private async Task FollowRegistryWhilePendingAsync()
    {
        if (vault.State.Access is { Status: VaultStatus.Pending } access && vault.State.CreatedBy == "registry"
            && await registry.FindByVaultIdAsync(VaultId) is { } registered)
        {
            await FollowRegistryAsync(access, registered);
        }
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
        return new ValidationFailedException("vaultId", "names no vault", ErrorCodes.NotFound);
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
        await FollowRegistryWhilePendingAsync();
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, operation);
        var decision = evaluator.Decide(Access, caller, action, document, now);
        await RecordAsync(caller, operation, target, decision, now);
        return decision;
    }

    /// <summary>Audits a decision already taken, throws when denied, and records a professional's first access.</summary>
    private async Task RecordAsync(Caller caller, string operation, string target, AccessDecision decision, DateTimeOffset now)
    {
        var sequence = await AuditAsync(caller, operation, target, decision, now);
        decision.OrThrow();
        if (caller.Kind == CallerKind.Professional && caller.Rpps is { } rpps && !vault.State.SeenProfessionals.Contains(rpps))
        {
            vault.State.SeenProfessionals.Add(rpps);
            await vault.WriteStateAsync();
            await NotifyAsync(new FirstAccessNotice(rpps, caller.ProfessionCode, decision.Basis, now));
        }
        // Raised once the access and its notification are stored (a subscriber reading notifications on it finds them).
        RaiseAccessRecorded(caller, operation, sequence);
    }

    private Task<AccessDecision> CheckDocumentAsync(Caller caller, VaultAction action, DocumentEntry document, string operation, string target) =>
        CheckAsync(caller, action, document.Facts(), operation, target);

    /// <summary>Allowed events are appended; denials go through the limiter (appended at once, or counted for an aggregate).</summary>
    private async Task<long?> AuditAsync(Caller caller, string operation, string target, AccessDecision decision, DateTimeOffset at)
    {
        var auditEvent = AuditEvents.Create(VaultId, caller, operation, target, decision, at);
        if (decision.Allowed)
        {
            return await audit.AppendAsync(auditEvent);
        }
        await AppendAllAsync(_denials.Record(auditEvent));
        EnsureDenialTimer();
        return null;
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

    private Task NotifyAsync(string recipient, NotificationPayload payload) => notifier.NotifyAsync(recipient, payload);

    private DocumentEntry FindDocument(string documentId) =>
        index.State.Documents.FirstOrDefault(d => d.Id == documentId && d.DeletedAt is null)
        ?? throw new ValidationFailedException("documentId", "names no document of this vault", ErrorCodes.NotFound);

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
        throw new ValidationFailedException("documentId", "names no document of this vault", ErrorCodes.NotFound);
    }

    /// <summary>The summary as the caller may see it; the capabilities (one decision per action and document type) only when asked.</summary>
    private VaultView View(Caller caller, AccessDecision decision, bool withCapabilities = true)
    {
        var access = vault.State.Access!;
        var now = Now;
        var manages = decision.Basis is LegalBasis.Owner or LegalBasis.LegalRepresentative;
        var capabilities = withCapabilities ? evaluator.Capabilities(access, caller, now) : null;
        // Neither an operator nor a connected app sees who the person is: an app's scopes never name the identity.
        var hideIdentity = (decision.Basis == LegalBasis.Operator && caller.IsOperator) || decision.Basis == LegalBasis.ConnectedApp;
        return new VaultView(VaultId, access.Status, hideIdentity ? null : vault.State.Identity,
            vault.State.QuotaBytes, vault.State.UsedBytes, index.State.Documents.Count(d => d.DeletedAt is null && d.ReplacedBy is null),
            vault.State.CreatedAt, manages ? access : null, capabilities, decision.Basis, vault.State.MergedInto);
    }

    private string NewDocumentId() => $"d-{index.State.NextNumber:D6}-{Ids.NewToken()[..8]}";

    private DocumentFacts ValidateNewDocument(Caller caller, NewDocument document, string documentId)
    {
        VaultInputRules.NewDocument(document, matrix, Limits, vault.State.Access is null ? null : vault.State.QuotaBytes - vault.State.UsedBytes);
        if (document.Replaces is not null)
        {
            FindDocument(document.Replaces);
        }
        return new DocumentFacts(documentId, document.ClassCode, document.TypeCode, document.Visibility ?? Visibility.Normal, document.Private,
            VaultInputRules.AuthorOf(caller, Access, VaultId, Now));
    }
}
