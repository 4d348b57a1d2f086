using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Documents;
using Coffre.Domain.Sharing;
using Coffre.Grains.Sharing;

namespace Coffre.Grains.Vaults;

/// <summary>
/// Share links, the person's side: create (each document decided as ReadDocument for the one sharing), list, revoke; and
/// the link grain's questions at every opening and download, answered from this vault's state as it is now (revoked, vault
/// no longer active, document deleted or hidden since, the one who shared no longer allowed to: not served). The vault never
/// calls a link grain except to set up a new one, so the link → vault calls cannot form a cycle.
/// </summary>
public sealed partial class VaultGrain : IVaultSharingGrain
{
    private const int MaxShareLinksPage = 50;

    async Task<CreatedShareLink> IVaultSharingGrain.CreateShareLinkAsync(Caller caller, NewShareLink request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await CheckAsync(caller, VaultAction.ShareDocuments, null, "share.create", "vault");
        var now = Now;
        var expiresAt = ShareLinks.Validate(request.DocumentIds, request.ExpiresAt, request.ValidForHours, request.MaxOpenings, request.Label, now);
        foreach (var id in request.DocumentIds)
        {
            var document = index.State.Documents.FirstOrDefault(d => d.Id == id && d.DeletedAt is null)
                ?? throw new ValidationFailedException("documentIds", $"names no document of this vault ({id})", ErrorCodes.NotFound);
            var read = evaluator.Decide(Access, caller, VaultAction.ReadDocument, document.Facts(), now);
            if (!read.Allowed)
            {
                // Sharing what one may not read would widen access: refused, and the refusal is in the history.
                await RecordAsync(caller, "share.create", $"document:{id}", read, now);
            }
        }
        if (vault.State.ShareLinks.Count(l => l.StatusAt(now) == ShareLinkStatus.Active) >= ShareLinks.MaxLiveLinks)
        {
            throw new ValidationFailedException("vaultId", $"already has {ShareLinks.MaxLiveLinks} active share links: revoke one first");
        }

        var linkId = ShareLinks.NewLinkId();
        var code = ShareLinks.NewCode();
        var hash = new byte[Coffre.Domain.Rollout.CodeHasher.HashSize];
        codeHasher.Hash(ShareLinks.HashInput(code), hash);
        var documentIds = request.DocumentIds.ToList();
        // The link grain first: should the vault's write fail, a link it does not know never opens (the vault is asked every time).
        await GrainFactory.GetGrain<IShareLinkGrain>(GrainNames.Keys.ShareLink(linkId))
            .InitializeAsync(ShareLinkCallers.System, new ShareLinkSetup(VaultId, documentIds, codeHasher.CurrentKeyId, hash, expiresAt, request.MaxOpenings));
        var record = new ShareLinkRecord(linkId, AuditEvents.ActorId(caller), now, expiresAt, request.MaxOpenings, documentIds, request.Label?.Trim());
        ForgetEndedShareLinks(now);
        vault.State.ShareLinks.Add(record);
        await vault.WriteStateAsync();
        return new CreatedShareLink(record.View(now), code);
    }

    /// <summary>
    /// The person sees (and may revoke) every link of their vault; anyone else who may share (a parent, a tutor) only the
    /// links they created: the person's links name documents kept from representatives.
    /// </summary>
    private bool SeesShareLink(Caller caller, ShareLinkRecord link) =>
        caller.VaultId == VaultId || link.CreatedBy == AuditEvents.ActorId(caller);

    /// <summary>Keeps the list bounded: beyond <see cref="ShareLinks.MaxRememberedLinks"/> the oldest ended links are forgotten.</summary>
    private void ForgetEndedShareLinks(DateTimeOffset now)
    {
        while (vault.State.ShareLinks.Count >= ShareLinks.MaxRememberedLinks
            && vault.State.ShareLinks.FindIndex(l => l.StatusAt(now) != ShareLinkStatus.Active) is var i and >= 0)
        {
            vault.State.ShareLinks.RemoveAt(i);
        }
    }

    async Task<ShareLinkView> IVaultSharingGrain.RevokeShareLinkAsync(Caller caller, string linkId)
    {
        await CheckAsync(caller, VaultAction.ShareDocuments, null, "share.revoke", "share:" + linkId);
        // Another's link (a representative's, or the person's seen by a representative) answers as a missing one.
        var i = vault.State.ShareLinks.FindIndex(l => l.LinkId == linkId && SeesShareLink(caller, l));
        if (i < 0)
        {
            throw new ValidationFailedException("linkId", "names no share link of yours in this vault", ErrorCodes.NotFound);
        }
        var now = Now;
        if (vault.State.ShareLinks[i].RevokedAt is null)
        {
            vault.State.ShareLinks[i] = vault.State.ShareLinks[i] with { RevokedAt = now };
            await vault.WriteStateAsync();
        }
        return vault.State.ShareLinks[i].View(now);
    }

    async Task<ShareLinkPage> IVaultSharingGrain.ListShareLinksAsync(Caller caller, int first, string? after)
    {
        if (first is < 1 or > MaxShareLinksPage)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {MaxShareLinksPage}");
        }
        await CheckAsync(caller, VaultAction.ShareDocuments, null, "share.list", "vault");
        var now = Now;
        var all = vault.State.ShareLinks.Where(l => SeesShareLink(caller, l)).OrderByDescending(l => l.CreatedAt).ThenByDescending(l => l.LinkId, StringComparer.Ordinal).ToList();
        var start = 0;
        if (after is not null)
        {
            var position = all.FindIndex(l => l.LinkId == after);
            if (position < 0)
            {
                throw new ValidationFailedException("after", "is not a cursor of this list");
            }
            start = position + 1;
        }
        var page = all.Skip(start).Take(first).Select(l => l.View(now)).ToList();
        return new ShareLinkPage(page, start + page.Count < all.Count, all.Count);
    }

    async Task<IReadOnlyList<SharedDocument>?> IVaultSharingGrain.OpenShareAsync(Caller system, string linkId)
    {
        var now = Now;
        if (ServableLink(system, linkId, now) is not { } i)
        {
            return null;
        }
        var record = vault.State.ShareLinks[i];
        if (record.StatusAt(now) != ShareLinkStatus.Active)
        {
            return null;
        }
        var sharer = Caller.Patient(record.CreatedBy);
        var documents = record.DocumentIds.Select(id => ServableDocument(sharer, id, now)).OfType<DocumentEntry>()
            .Select(d => new SharedDocument(d.Id, d.Title, d.ClassCode, d.TypeCode, d.ServiceDate, d.CreatedAt, d.Size, d.Sha256, d.ContentType))
            .ToList();
        if (documents.Count == 0)
        {
            // Nothing left to serve (every document deleted or hidden since): no opening is counted.
            return null;
        }
        // The history first (as every recorded decision): an opening is never counted without its trace.
        var sequence = await audit.AppendAsync(AuditEvents.ShareLink(VaultId, linkId, "share.opened", "share:" + linkId, AuditAction.Read, true, now));
        record = record with { Openings = record.Openings + 1, LastOpenedAt = now };
        vault.State.ShareLinks[i] = record;
        await vault.WriteStateAsync();
        await NotifyAsync(new ShareLinkOpenedNotice(linkId, now, record.Openings));
        RaiseAccessRecorded(Caller.Anonymous, "share.opened", sequence);
        return documents;
    }

    async Task<DocumentEntry?> IVaultSharingGrain.AuthorizeShareDownloadAsync(Caller system, string linkId, string documentId)
    {
        var now = Now;
        if (ServableLink(system, linkId, now) is not { } i)
        {
            return null;
        }
        var record = vault.State.ShareLinks[i];
        // An opening that used the last one up still downloads until its token ends; revoked, locked or expired: nothing.
        if (record.StatusAt(now) is not (ShareLinkStatus.Active or ShareLinkStatus.UsedUp) || !record.DocumentIds.Contains(documentId))
        {
            return null;
        }
        if (ServableDocument(Caller.Patient(record.CreatedBy), documentId, now) is not { } document)
        {
            return null;
        }
        var sequence = await audit.AppendAsync(AuditEvents.ShareLink(VaultId, linkId, "share.download", "document:" + documentId, AuditAction.Read, true, now));
        RaiseAccessRecorded(Caller.Anonymous, "share.download", sequence);
        return document;
    }

    async Task IVaultSharingGrain.RecordShareLockedAsync(Caller system, string linkId)
    {
        var now = Now;
        if (ServableLink(system, linkId, now) is not { } i || vault.State.ShareLinks[i].LockedAt is not null)
        {
            return;
        }
        vault.State.ShareLinks[i] = vault.State.ShareLinks[i] with { LockedAt = now };
        await vault.WriteStateAsync();
        await audit.AppendAsync(AuditEvents.ShareLink(VaultId, linkId, "share.locked", "share:" + linkId, AuditAction.Execute, false, now));
        await NotifyAsync(new ShareLinkLockedNotice(linkId, now));
    }

    /// <summary>
    /// The link's index in this vault, when the link grain asks and the one who shared may still share (the vault active, their
    /// role intact); else null. An id that names no vault ends the activation, writing nothing.
    /// </summary>
    private int? ServableLink(Caller system, string linkId, DateTimeOffset now)
    {
        if (!ShareLinkCallers.IsSystem(system))
        {
            throw new AccessDeniedException("Only share links ask this.", DenialReason.NotPermitted);
        }
        if (vault.State.Access is null)
        {
            this.DeactivateOnIdle();
            return null;
        }
        var i = vault.State.ShareLinks.FindIndex(l => l.LinkId == linkId);
        return i >= 0 && evaluator.Decide(Access, Caller.Patient(vault.State.ShareLinks[i].CreatedBy), VaultAction.ShareDocuments, null, now).Allowed
            ? i
            : null;
    }

    /// <summary>The document, when it still exists and the one who shared may still read it (not deleted, not hidden from them).</summary>
    private DocumentEntry? ServableDocument(Caller sharer, string documentId, DateTimeOffset now) =>
        index.State.Documents.FirstOrDefault(d => d.Id == documentId && d.DeletedAt is null) is { } document
        && evaluator.Decide(Access, sharer, VaultAction.ReadDocument, document.Facts(), now).Allowed
            ? document
            : null;
}
