using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains.Establishments;
using Coffre.Grains.Professionals;

namespace Coffre.Grains.Vaults;

/// <summary>
/// Establishments that accompany the person: handing a mandate over to another member, ending the establishment's
/// mandates, and keeping each named establishment's accompaniment index (<see cref="IAccompanimentGrain"/>) in step
/// with the referents held here.
/// </summary>
/// <remarks>
/// Every change of the referents goes through <see cref="WriteReferentsAsync"/>: the vault's accompaniment revision is
/// bumped and written with the change, then every establishment named before or after receives this vault's whole entry
/// at that revision (the index keeps the newest revision, so a repeated or late update changes nothing). When an index
/// does not answer, the call fails, and the same entries are sent again before this vault's next decision.
/// </remarks>
public sealed partial class VaultGrain
{
    /// <summary>Who writes to the establishments' accompaniment indexes: the system, on behalf of this vault.</summary>
    private static readonly Caller IndexWriter = Caller.Operator("system:vault");

    /// <summary>The referents before a change whose publication to the indexes failed; null when none is pending.</summary>
    private IReadOnlyList<Referent>? _accompanimentsPendingFrom;

    async Task<Referent> IVaultGrain.HandOverAccompanimentAsync(Caller caller, string fromRpps, string toRpps)
    {
        RequireIdentifier(fromRpps, "fromRpps");
        RequireIdentifier(toRpps, "toRpps");
        const string operation = "accompaniment.hand-over";
        _ = Access;
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, operation);
        var now = Now;
        var mandate = Access.Referents.FirstOrDefault(r => r.Rpps == fromRpps && r.EstablishmentFiness is not null && r.IsActive(now));
        var finess = mandate?.EstablishmentFiness ?? caller.EstablishmentFiness;
        var admin = await IsAdminOfAsync(caller, finess, now);
        var decision = AccessEvaluator.DecideAccompanimentChange(Access, caller, AccompanimentChange.HandOver, finess, fromRpps, admin, now);
        await RecordAsync(caller, operation, $"mandate:{fromRpps}>{toRpps}", decision, now);

        if (mandate is null || mandate.EstablishmentFiness != finess)
        {
            throw new ValidationFailedException("fromRpps", "holds no active mandate of this establishment on this vault", ErrorCodes.NotFound);
        }
        if (toRpps == fromRpps)
        {
            throw new ValidationFailedException("toRpps", "must name another member of the establishment");
        }
        await RequireNewReferentAsync(toRpps, finess!, now);
        var notice = new AccompanimentHandedOverNotice(finess!, await EstablishmentNameAsync(caller, finess!), fromRpps,
            await DisplayNameAsync(fromRpps), toRpps, await DisplayNameAsync(toRpps), AuditEvents.ActorId(caller), now);

        var before = Access.Referents;
        var handedOver = new Referent(toRpps, finess, mandate.Consent, HandedOverAt: now);
        vault.State.Access = Access with
        {
            Referents =
            [
                .. before.Where(r => r.Rpps != toRpps).Select(r => r == mandate ? r with { RevokedAt = now } : r),
                handedOver,
            ],
        };
        await WriteReferentsAsync(before, notice);
        return handedOver;
    }

    async Task<IReadOnlyList<Referent>> IVaultGrain.EndAccompanimentAsync(Caller caller)
    {
        const string operation = "accompaniment.end";
        _ = Access;
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, operation);
        var now = Now;
        var finess = caller.EstablishmentFiness;
        var admin = await IsAdminOfAsync(caller, finess, now);
        var decision = AccessEvaluator.DecideAccompanimentChange(Access, caller, AccompanimentChange.End, finess, null, admin, now);
        await RecordAsync(caller, operation, $"establishment:{finess}", decision, now);

        var before = Access.Referents;
        var ending = before.Where(r => r.EstablishmentFiness == finess && r.IsActive(now)).ToList();
        if (ending.Count == 0)
        {
            throw new ValidationFailedException("vaultId", "is not accompanied by this establishment (no active mandate names it)", ErrorCodes.NotFound);
        }
        var notice = new AccompanimentEndedNotice(finess!, await EstablishmentNameAsync(caller, finess!), AuditEvents.ActorId(caller), now);
        vault.State.Access = Access with { Referents = before.Select(r => ending.Contains(r) ? r with { RevokedAt = now } : r).ToList() };
        await WriteReferentsAsync(before, notice);
        return ending.Select(r => r with { RevokedAt = now }).ToList();
    }

    private static void RequireIdentifier(string rpps, string field)
    {
        if (Rpps.Validate(rpps) is { } rule)
        {
            throw new ValidationFailedException(field, rule);
        }
    }

    /// <summary>Whether the caller is a professional acting for <paramref name="finess"/> whose membership there is an active admin one (the directory's word).</summary>
    private async Task<bool> IsAdminOfAsync(Caller caller, string? finess, DateTimeOffset now)
    {
        if (finess is null || caller is not { Kind: CallerKind.Professional, Rpps: { } rpps } || caller.EstablishmentFiness != finess)
        {
            return false;
        }
        var entry = await GrainFactory.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps)).GetDirectoryEntryAsync();
        return entry is not null && entry.Memberships.Any(m => m.Finess == finess && m.Admin && m.IsActiveAt(now));
    }

    /// <summary>
    /// The professional taking a mandate over: in the directory, active, social or médico-social (referents are), an
    /// active member of the establishment, not blocked by the person, not already holding a mandate of this person.
    /// </summary>
    private async Task RequireNewReferentAsync(string rpps, string finess, DateTimeOffset now)
    {
        var entry = await GrainFactory.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps)).GetDirectoryEntryAsync()
            ?? throw new ValidationFailedException("toRpps", "is not registered in the directory", ErrorCodes.NotFound);
        if (entry.Status != ProfessionalStatus.Active)
        {
            throw new ValidationFailedException("toRpps", "is suspended in the directory");
        }
        if (entry.Sector is not (ProfessionSector.Social or ProfessionSector.MedicoSocial))
        {
            throw new ValidationFailedException("toRpps", "must be a social or médico-social professional (referents are)");
        }
        if (!entry.Memberships.Any(m => m.Finess == finess && m.IsActiveAt(now)))
        {
            throw new ValidationFailedException("toRpps", "is not an active member of the establishment that holds the mandate");
        }
        if (Access.Blocks.Any(b => b.Rpps == rpps))
        {
            throw new ValidationFailedException("toRpps", "is blocked by the person");
        }
        if (Access.Referents.Any(r => r.Rpps == rpps && r.IsActive(now)))
        {
            throw new ValidationFailedException("toRpps", "already holds a mandate of this person", ErrorCodes.Conflict);
        }
    }

    /// <summary>
    /// Writes a change of the referents (or of the status) with a new accompaniment revision, tells the indexes, and
    /// queues the person's <paramref name="notice"/> of the change if any — even when an index did not answer (the
    /// change is written; the publication is sent again later by <see cref="RetryAccompanimentsAsync"/>, which queues
    /// no notice): one notice per change.
    /// </summary>
    private async Task WriteReferentsAsync(IReadOnlyList<Referent> before, NotificationPayload? notice = null)
    {
        vault.State.AccompanimentRevision++;
        await vault.WriteStateAsync();
        try
        {
            await PublishAccompanimentsAsync(before);
        }
        finally
        {
            if (notice is not null)
            {
                await NotifyAsync(notice);
            }
        }
    }

    /// <summary>A professional's name in the public directory, for the person's notices; null when the directory does not know them.</summary>
    private async Task<string?> DisplayNameAsync(string rpps) =>
        (await GrainFactory.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps)).GetPublicAsync())?.DisplayName;

    /// <summary>An establishment's name in the directory (its public entry, read as the caller), for the person's notices.</summary>
    private async Task<string?> EstablishmentNameAsync(Caller caller, string finess) =>
        (await GrainFactory.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess)).GetAsync(caller))?.Name;

    /// <summary>A publication that failed earlier is sent again before anything else is decided here.</summary>
    private Task RetryAccompanimentsAsync() =>
        _accompanimentsPendingFrom is { } before ? PublishAccompanimentsAsync(before) : Task.CompletedTask;

    /// <summary>
    /// Sends every establishment named by a referent before or after the change this vault's whole entry: its mandates
    /// not revoked nor expired (none once the vault is closed), at the current revision.
    /// </summary>
    private async Task PublishAccompanimentsAsync(IReadOnlyList<Referent> before)
    {
        var access = Access;
        var now = Now;
        var revision = vault.State.AccompanimentRevision;
        before = _accompanimentsPendingFrom is { } pending && !ReferenceEquals(pending, before) ? [.. pending, .. before] : before;
        var establishments = before.Concat(access.Referents).Select(r => r.EstablishmentFiness).OfType<string>().Distinct().ToList();
        _accompanimentsPendingFrom = before;
        foreach (var finess in establishments)
        {
            var mandates = access.Status == VaultStatus.Closed
                ? []
                : access.Referents.Where(r => r.EstablishmentFiness == finess && r.RevokedAt is null && now < r.Consent.ExpiresAt)
                    .Select(r => new AccompanimentMandate(r.Rpps, r.Since, r.Consent.ExpiresAt)).ToList();
            await GrainFactory.GetGrain<IAccompanimentGrain>(GrainNames.Keys.Accompaniment(finess)).SetVaultAsync(IndexWriter, VaultId, revision, mandates);
        }
        _accompanimentsPendingFrom = null;
    }
}
