using Coffre.Domain.Access;

namespace Coffre.Grains.Vaults;

/// <summary>
/// One read per query: the summary, the capabilities when asked and the first page of documents in one call,
/// recorded as one audit event (issue 10: a professional's documents query made two calls and two events).
/// </summary>
public sealed partial class VaultGrain
{
    async Task<VaultView> IVaultGrain.ReadAsync(Caller caller, VaultRead read)
    {
        if (read.Documents is not { } query)
        {
            var decision = await CheckAsync(caller, VaultAction.ReadVault, null, "vault.read", "vault");
            return View(caller, decision, read.Capabilities);
        }
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        var now = Now;
        await RateLimitAsync(caller, "vault.read");
        var summary = evaluator.Decide(Access, caller, VaultAction.ReadVault, null, now);
        var list = summary.Allowed && query.First is >= 1 and <= 100 ? evaluator.Decide(Access, caller, VaultAction.ListDocuments, null, now) : null;
        if (list is { Allowed: true })
        {
            // Listing the documents says more than reading the summary (which it needs): the list is what the
            // person's access history shows, as one event.
            await RecordAsync(caller, "documents.list", "vault", list, now);
        }
        else
        {
            // Refused summary: thrown here, recorded as vault.read as it always was.
            await RecordAsync(caller, "vault.read", "vault", summary, now);
        }
        PrefetchedDocuments documents;
        try
        {
            // An allowed list is paged at once; otherwise (an operator, a closed vault, an invalid query) the list is
            // decided and recorded exactly as its own call would be, and its error answers the documents field.
            documents = new(query, list is { Allowed: true } ? Page(caller, query) : await ListDocumentsAsync(caller, query), null);
        }
        catch (Exception e) when (e is AccessDeniedException or ValidationFailedException)
        {
            documents = new(query, null, e);
        }
        return View(caller, summary, read.Capabilities) with { Documents = documents };
    }
}
