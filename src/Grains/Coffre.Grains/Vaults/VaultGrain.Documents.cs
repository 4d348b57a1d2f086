using Coffre.Grains.Events;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Text;

namespace Coffre.Grains.Vaults;

/// <summary>Documents: upload and download permits, deposit, list, read, update, delete.</summary>
public sealed partial class VaultGrain
{
    Task<DocumentPage> IVaultGrain.ListDocumentsAsync(Caller caller, DocumentQuery query) => ListDocumentsAsync(caller, query);

    private async Task<DocumentPage> ListDocumentsAsync(Caller caller, DocumentQuery query)
    {
        ValidateQuery(query);
        await CheckAsync(caller, VaultAction.ListDocuments, null, "documents.list", "vault");
        return Page(caller, query);
    }

    private static void ValidateQuery(DocumentQuery query)
    {
        if (query.First is < 1 or > 100)
        {
            throw new ValidationFailedException("first", "must be between 1 and 100");
        }
    }

    /// <summary>The page of documents the caller may read (each one decided by the evaluator), once listing is allowed.</summary>
    private DocumentPage Page(Caller caller, DocumentQuery query)
    {
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
        var documentId = IssuedDocumentId(contentKey);
        var facts = ValidateNewDocument(caller, document, documentId);
        CheckStoredContent(document, size, sha256);
        var decision = await CheckAsync(caller, VaultAction.CreateDocument, facts, "document.create", $"document:{facts.DocumentId}");
        var entry = await RecordNewDocumentAsync(caller, document, facts, contentKey, size, sha256, e => e);
        await AnnounceDocumentAsync(entry, decision.Basis != LegalBasis.Owner ? new NewDocumentNotice(entry.Id, entry.ClassCode, entry.TypeCode) : null);
        return entry;
    }

    /// <summary>
    /// Whether the person and all their representatives see this document: only then is its arrival news for the
    /// vault's subscribers and notifications (both read by the owner and the representatives alike). A document
    /// invisible to the patient, or to the representatives (a minor's secret), is announced when that flag is lifted.
    /// </summary>
    private static bool Announceable(DocumentEntry document) =>
        !document.Visibility.InvisibleToPatient && !document.Visibility.InvisibleToRepresentatives;

    /// <summary>Tells the person (notice, when given) and the vault's subscribers (DOCUMENT_ADDED) about a document they all may see.</summary>
    private async Task AnnounceDocumentAsync(DocumentEntry document, NewDocumentNotice? notice)
    {
        if (!Announceable(document))
        {
            return;
        }
        if (notice is not null)
        {
            await NotifyAsync(notice);
        }
        RaiseEvent(VaultEventKind.DocumentAdded, document.Id);
    }

    /// <summary>The document id a content key issued by this vault's permit names; anything else is refused.</summary>
    private string IssuedDocumentId(string contentKey)
    {
        var prefix = $"vaults/{VaultId}/";
        if (!contentKey.StartsWith(prefix, StringComparison.Ordinal) || contentKey[prefix.Length..] is not { Length: > 0 } documentId
            || index.State.Documents.Any(d => d.Id == documentId))
        {
            throw new ValidationFailedException("contentKey", "was not issued for a new document of this vault");
        }
        return documentId;
    }

    private static void CheckStoredContent(NewDocument document, long size, string sha256)
    {
        if (size != document.Size || !Sha256Hex.Matches(sha256, Sha256Hex.Normalise(document.Sha256) ?? ""))
        {
            throw new ValidationFailedException("sha256", "does not match the stored content");
        }
    }

    /// <summary>Adds the index entry of a document whose deposit was decided and whose content is stored; counts its bytes.</summary>
    private async Task<DocumentEntry> RecordNewDocumentAsync(Caller caller, NewDocument document, DocumentFacts facts, string contentKey, long size, string sha256,
        Func<DocumentEntry, DocumentEntry> complete)
    {
        var now = Now;
        var entry = complete(new DocumentEntry
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
        });
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
        if (!Announceable(document) && Announceable(updated) && updated.DeletedAt is null)
        {
            // The flag that kept it from the person or their representatives is lifted: now it is news for them.
            await AnnounceDocumentAsync(updated, caller.VaultId == VaultId ? null : new NewDocumentNotice(updated.Id, updated.ClassCode, updated.TypeCode));
        }
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
}
