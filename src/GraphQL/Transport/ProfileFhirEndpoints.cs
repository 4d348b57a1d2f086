using Coffre.Domain.Profile;
using Coffre.Grains.Fhir;
using Coffre.GraphQL.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// The medical profile as FHIR R4 over plain HTTP, with the same bearer token, caller resolution and OperationOutcome
/// errors as the other FHIR views (<see cref="ExportEndpoints"/>); each read is decided and recorded by the profile as
/// <c>Vault.profile</c> is:
/// <list type="bullet">
/// <item><c>GET /fhir/{type}?patient={vaultId}</c> (FHIR search) or <c>GET /vaults/{vaultId}/fhir/{type}</c>: a
/// <c>searchset</c> Bundle of the section's entries the caller may read, oldest first (bounded by the profile's
/// bound per section);</item>
/// <item><c>GET /fhir/{type}/{id}?patient={vaultId}</c> or <c>GET /vaults/{vaultId}/fhir/{type}/{id}</c>: one entry
/// (404 when it does not exist or the caller may not read it);</item>
/// </list>
/// where <c>type</c> is MedicationStatement, Condition, AllergyIntolerance, Immunization or Observation.
/// </summary>
public static class ProfileFhirEndpoints
{
    public static IEndpointRouteBuilder MapCoffreProfileFhir(this IEndpointRouteBuilder endpoints)
    {
        // The literal routes of ExportEndpoints (DocumentReference, AuditEvent, under /fhir and /vaults/{vaultId}/fhir)
        // take precedence over these parameterised ones; any other type answers 404 not-supported here.
        endpoints.MapGet("/fhir/{type}", (HttpContext http, string type, IGrainFactory grains, CallerResolver callers) =>
            SearchAsync(http, http.Request.Query["patient"].ToString(), type, grains, callers));
        endpoints.MapGet("/fhir/{type}/{id}", (HttpContext http, string type, string id, IGrainFactory grains, CallerResolver callers) =>
            ReadAsync(http, http.Request.Query["patient"].ToString(), type, id, grains, callers));
        endpoints.MapGet("/vaults/{vaultId}/fhir/{type}", SearchAsync);
        endpoints.MapGet("/vaults/{vaultId}/fhir/{type}/{id}", ReadAsync);
        return endpoints;
    }

    private static async Task SearchAsync(HttpContext http, string vaultId, string type, IGrainFactory grains, CallerResolver callers)
    {
        if (await SectionAsync(http, vaultId, type) is { } section)
        {
            var self = $"/fhir/{FhirViews.ResourceType(section)}?patient={Uri.EscapeDataString(vaultId)}";
            await ExportEndpoints.FhirAsync(http, vaultId, callers, caller => grains.GetGrain<IFhirViewGrain>("0").ProfileSearchsetAsync(caller, vaultId, section, self));
        }
    }

    private static async Task ReadAsync(HttpContext http, string vaultId, string type, string id, IGrainFactory grains, CallerResolver callers)
    {
        if (await SectionAsync(http, vaultId, type) is { } section)
        {
            await ExportEndpoints.FhirAsync(http, vaultId, callers, caller => grains.GetGrain<IFhirViewGrain>("0").ProfileResourceAsync(caller, vaultId, section, id));
        }
    }

    /// <summary>The section of <paramref name="type"/>, or null once a 400/404 OperationOutcome has been written.</summary>
    private static async Task<ProfileSection?> SectionAsync(HttpContext http, string vaultId, string type)
    {
        if (FhirViews.SectionOf(type) is not { } section)
        {
            await ExportEndpoints.WriteOutcomeAsync(http, 404, "not-supported",
                "Coffre serves MedicationStatement, Condition, AllergyIntolerance, Immunization, Observation, DocumentReference and AuditEvent");
            return null;
        }
        if (vaultId.Length == 0)
        {
            await ExportEndpoints.WriteOutcomeAsync(http, 400, "required", "patient is required: the vault id (?patient={vaultId})");
            return null;
        }
        return section;
    }
}
