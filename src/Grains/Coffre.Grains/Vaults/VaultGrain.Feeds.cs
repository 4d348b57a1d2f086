using Coffre.Grains.Events;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Feeds;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The bulk feed of establishments' systems (<c>POST /feeds/documents</c>): idempotent per establishment and external
/// document id, decided on the Feed basis (the matrix's feed scope for the establishment's category, no grant), the
/// minor's secrecy and MASQUE_PS applied as the sender asks, the person notified with the sender's name.
/// </summary>
public sealed partial class VaultGrain
{
    async Task<FeedPermit> IVaultGrain.PrepareFeedAsync(Caller caller, FeedDocument feed)
    {
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        if (FedDocument(caller, feed.ExternalId) is { } existing)
        {
            return new FeedPermit(null, existing.Id);
        }
        var (_, facts) = ValidateFeed(caller, feed, NewDocumentId());
        // Decided here, audited only when refused: the accepted deposit is audited once, when it is recorded.
        await RateLimitAsync(caller, "document.feed");
        var now = Now;
        var decision = evaluator.Decide(Access, caller, VaultAction.CreateDocument, facts, now);
        if (!decision.Allowed)
        {
            await RecordAsync(caller, "document.feed", "vault", decision, now);
        }
        return new FeedPermit($"vaults/{VaultId}/{facts.DocumentId}", null);
    }

    async Task<FeedPermit> IVaultGrain.AddFeedDocumentAsync(Caller caller, FeedDocument feed, string contentKey, long size, string sha256)
    {
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        if (FedDocument(caller, feed.ExternalId) is { } existing)
        {
            return new FeedPermit(null, existing.Id);
        }
        var (document, facts) = ValidateFeed(caller, feed, IssuedDocumentId(contentKey));
        CheckStoredContent(document, size, sha256);
        await CheckAsync(caller, VaultAction.CreateDocument, facts, "document.feed", $"document:{facts.DocumentId}");
        var entry = await RecordNewDocumentAsync(caller, document, facts, contentKey, size, sha256,
            e => e with { ExternalId = feed.ExternalId, SenderName = feed.SenderName });
        await AnnounceDocumentAsync(entry, new NewDocumentNotice(entry.Id, entry.ClassCode, entry.TypeCode, caller.EstablishmentFiness, feed.SenderName));
        return new FeedPermit(null, null, entry.Id);
    }

    /// <summary>The document this establishment already fed under this external id (deleted or not: an id is never reused).</summary>
    private DocumentEntry? FedDocument(Caller caller, string externalId) =>
        caller.EstablishmentFiness is { } finess
            ? index.State.Documents.Find(d => d.ExternalId == externalId && d.SourceFiness == finess)
            : null;

    /// <summary>The deposit a fed document stands for (never private, never a new version), with its checks.</summary>
    private (NewDocument Document, DocumentFacts Facts) ValidateFeed(Caller caller, FeedDocument feed, string documentId)
    {
        if (FeedRules.ExternalId(feed.ExternalId) is { } rule)
        {
            throw new ValidationFailedException("externalId", rule);
        }
        if (feed.MinorSecret && !RepresentationRules.IsMinor(Access.IsMinor, vault.State.Identity?.BirthDate, DateOnly.FromDateTime(Now.UtcDateTime)))
        {
            throw new ValidationFailedException("minorSecret", "applies only to a minor's document, and this person is not a minor");
        }
        var document = feed.Document with
        {
            Visibility = new Visibility(feed.Document.Visibility?.MaskedFromProfessionals ?? false, false, feed.MinorSecret),
            Private = false,
            Replaces = null,
        };
        return (document, ValidateNewDocument(caller, document, documentId));
    }
}
