using System.Globalization;
using Coffre.Application.Fhir;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Profile;
using Coffre.Grains.Profile;
using Coffre.Grains.Vaults;
using Orleans.Concurrency;

namespace Coffre.Grains.Fhir;

/// <summary>The FHIR views: the vault decides and records each read, the FHIR port shapes the answer.</summary>
[StatelessWorker, GrainType("fhir-view")]
public sealed class FhirViewGrain(IFhirMapper fhir) : Grain, IFhirViewGrain
{
    public async Task<string> DocumentReferenceAsync(Caller caller, string vaultId, string documentId)
    {
        var document = await GrainFactory.GetGrain<IVaultGrain>(vaultId).GetDocumentAsync(caller, documentId);
        var url = $"/vaults/{vaultId}/documents/{document.Id}/content";
        return fhir.DocumentReference(vaultId, document, new FhirAttachment(url, document.Size, null, document.Sha256, document.ContentType));
    }

    public async Task<string> AuditEventsAsync(Caller caller, string vaultId, int count, string? page)
    {
        if (count is < 1 or > FhirViews.MaxCount)
        {
            throw new ValidationFailedException("_count", $"must be between 1 and {FhirViews.MaxCount}");
        }
        long? before = null;
        if (page is not null)
        {
            before = long.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && sequence > 0
                ? sequence
                : throw new ValidationFailedException("_page", "is not a page of this history: follow the Bundle's next link");
        }
        var history = await GrainFactory.GetGrain<IVaultGrain>(vaultId).GetAccessHistoryAsync(caller, before, count);
        var path = $"/vaults/{vaultId}/fhir/AuditEvent?_count={count}";
        var self = page is null ? path : $"{path}&_page={page}";
        var next = history.HasMore && history.Items.Count > 0 ? $"{path}&_page={history.Items[^1].Sequence}" : null;
        return fhir.AuditEventSearchset(vaultId, history.Items.Select(i => new FhirAuditEntry(i.Sequence, i.Event)).ToList(), history.TotalCount, new FhirPageLinks(self, next));
    }

    public async Task<string> ProfileSearchsetAsync(Caller caller, string vaultId, ProfileSection section, string selfUrl)
    {
        var entries = await Profile(vaultId).ReadForFhirAsync(caller, section);
        return fhir.ProfileSearchset(vaultId, entries, selfUrl);
    }

    public async Task<string> ProfileResourceAsync(Caller caller, string vaultId, ProfileSection section, string entryId)
    {
        // The profile's single-entry read (decided on that entry, its history line naming it); an entry of another
        // section, one that does not exist and one the caller may not read all answer 404 alike.
        var missing = new ValidationFailedException("id", $"no {FhirViews.ResourceType(section)} with this id that you may read", ErrorCodes.NotFound);
        ProfileEntry entry;
        try
        {
            entry = await Profile(vaultId).GetAsync(caller, entryId);
        }
        catch (AccessDeniedException denied) when (denied.Code is not (DenialReason.NotAuthenticated or DenialReason.RateLimited))
        {
            throw missing;
        }
        catch (ValidationFailedException notFound) when (notFound.Code == ErrorCodes.NotFound)
        {
            throw missing;
        }
        return entry.Section == section ? fhir.ProfileResource(vaultId, entry) : throw missing;
    }

    private IProfileGrain Profile(string vaultId) => GrainFactory.GetGrain<IProfileGrain>(GrainNames.Keys.Profile(vaultId));
}
