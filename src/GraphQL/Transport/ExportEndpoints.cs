using System.Text.Json;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Grains.Exports;
using Coffre.Grains.Fhir;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// Exports and FHIR views over plain HTTP, with the same bearer token as GraphQL; each request is decided and recorded
/// by the vault:
/// <list type="bullet">
/// <item><c>GET /vaults/{vaultId}/exports/{exportId}</c>: a READY export's zip, streamed from the content store with its
/// SHA-256 verified as it streams (a mismatch aborts the response); recorded as <c>export.downloaded</c>. Errors in the
/// document routes' shape (401/403/404/409).</item>
/// <item><c>GET /vaults/{vaultId}/fhir/DocumentReference/{documentId}</c> and
/// <c>GET /vaults/{vaultId}/fhir/AuditEvent?_count=N&amp;_page=…</c>: FHIR R4 JSON (<c>application/fhir+json</c>),
/// decided as <c>Vault.document</c> and <c>Vault.accessHistory</c> are; errors as an OperationOutcome.</item>
/// </list>
/// </summary>
public static class ExportEndpoints
{
    public static IEndpointRouteBuilder MapCoffreExports(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/vaults/{vaultId}/exports/{exportId}", DownloadAsync);
        endpoints.MapGet("/vaults/{vaultId}/fhir/DocumentReference/{documentId}", DocumentReferenceAsync);
        endpoints.MapGet("/vaults/{vaultId}/fhir/AuditEvent", AuditEventsAsync);
        // The same views in FHIR search form (?patient={vaultId}); literal segments win over the profile's {type} routes.
        endpoints.MapGet("/fhir/DocumentReference/{documentId}", (HttpContext http, string documentId, IGrainFactory grains, CallerResolver callers) =>
            WithPatientAsync(http, vaultId => DocumentReferenceAsync(http, vaultId, documentId, grains, callers)));
        endpoints.MapGet("/fhir/AuditEvent", (HttpContext http, IGrainFactory grains, CallerResolver callers) =>
            WithPatientAsync(http, vaultId => AuditEventsAsync(http, vaultId, grains, callers)));
        endpoints.MapGet("/fhir/DocumentReference", DocumentReferenceSearchAsync);
        endpoints.MapGet("/vaults/{vaultId}/fhir/DocumentReference", DocumentReferenceSearchAsync);
        endpoints.MapCoffreProfileFhir();
        return endpoints;
    }

    private static async Task DownloadAsync(HttpContext http, string vaultId, string exportId, IGrainFactory grains, IContentStore store, ILoggerFactory loggers, CallerResolver callers)
    {
        if (await DocumentContentEndpoints.Refuse(http, CallerFactory.From(http.User), vaultId))
        {
            return;
        }
        var caller = await callers.ResolveAsync(http.User);
        try
        {
            var job = await grains.GetGrain<IExportGrain>(ExportLimits.GrainKey(vaultId)).AuthorizeDownloadAsync(caller, exportId);
            var archive = job.Archive!;
            await using var content = await store.OpenReadAsync(new ContentKey(archive.ContentKey), http.RequestAborted);
            if (content is null || content.Sha256 != archive.Sha256)
            {
                await ErrorResponses.WriteAsync(http, 404, ErrorCodes.NotFound, "the export's archive is missing from storage: request a new export", "exportId");
                return;
            }
            http.Response.ContentType = "application/zip";
            http.Response.ContentLength = content.Length;
            http.Response.Headers.ETag = $"\"{archive.Sha256}\"";
            http.Response.Headers["Digest"] = "sha-256=" + Convert.ToBase64String(Convert.FromHexString(archive.Sha256));
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"coffre-export-{job.Id}.zip\"";
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            await VerifiedContent.CopyOrAbortAsync(http, content.Stream, loggers.CreateLogger(typeof(ExportEndpoints)), "an export archive");
        }
        catch (Exception e)
        {
            if (!await DocumentContentEndpoints.TryWriteKnownFailureAsync(http, e))
            {
                throw;
            }
        }
    }

    /// <summary>Runs <paramref name="view"/> with the <c>patient</c> query parameter, or answers 400 when it is missing.</summary>
    internal static Task WithPatientAsync(HttpContext http, Func<string, Task> view)
    {
        var vaultId = http.Request.Query["patient"].ToString();
        return vaultId.Length == 0
            ? WriteOutcomeAsync(http, 400, "required", "patient is required: the vault id (?patient={vaultId})")
            : view(vaultId);
    }

    /// <summary>Documents are not searched over FHIR: one DocumentReference is read by id (the list is GraphQL's <c>Vault.documents</c>).</summary>
    private static Task DocumentReferenceSearchAsync(HttpContext http) =>
        WriteOutcomeAsync(http, 400, "not-supported",
            "a DocumentReference is read by id: GET /fhir/DocumentReference/{documentId}?patient={vaultId} (the list of documents is Vault.documents in GraphQL)");

    private static Task DocumentReferenceAsync(HttpContext http, string vaultId, string documentId, IGrainFactory grains, CallerResolver callers) =>
        FhirAsync(http, vaultId, callers, caller => grains.GetGrain<IFhirViewGrain>("0").DocumentReferenceAsync(caller, vaultId, documentId));

    private static Task AuditEventsAsync(HttpContext http, string vaultId, IGrainFactory grains, CallerResolver callers)
    {
        var countText = http.Request.Query["_count"].ToString();
        var count = FhirViews.DefaultCount;
        if (countText.Length > 0 && !int.TryParse(countText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count))
        {
            count = -1;
        }
        var page = http.Request.Query["_page"].ToString() is { Length: > 0 } p ? p : null;
        return FhirAsync(http, vaultId, callers, caller => grains.GetGrain<IFhirViewGrain>("0").AuditEventsAsync(caller, vaultId, count, page));
    }

    /// <summary>Resolves the caller, runs <paramref name="read"/> and writes its FHIR JSON; denials and bad input as an OperationOutcome.</summary>
    internal static async Task FhirAsync(HttpContext http, string vaultId, CallerResolver callers, Func<Caller, Task<string>> read)
    {
        var unverified = CallerFactory.From(http.User);
        if (BearerTokens.WasRejected(http) || unverified.Kind == CallerKind.Anonymous)
        {
            await WriteOutcomeAsync(http, 401, "login", BearerTokens.WasRejected(http) ? "the bearer token is invalid or expired" : "send a bearer token");
            return;
        }
        if (!Domain.Identifiers.Ids.IsVaultId(vaultId))
        {
            await WriteOutcomeAsync(http, 404, "not-found", "vaultId is not a vault id");
            return;
        }
        try
        {
            var json = await read(await callers.ResolveAsync(http.User));
            http.Response.ContentType = FhirViews.ContentType + "; charset=utf-8";
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            await http.Response.WriteAsync(json, http.RequestAborted);
        }
        catch (Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerException! : e;
            switch (inner)
            {
                case AccessDeniedException { Code: DenialReason.NotAuthenticated } denied:
                    await WriteOutcomeAsync(http, 401, "login", denied.Reason);
                    break;
                case AccessDeniedException { Code: DenialReason.RateLimited } limited:
                    await WriteOutcomeAsync(http, 429, "throttled", limited.Reason);
                    break;
                case AccessDeniedException denied:
                    await WriteOutcomeAsync(http, 403, "forbidden", $"{denied.Reason} ({ErrorTranslation.ReasonOf(denied.Code)})");
                    break;
                case ValidationFailedException { Code: ErrorCodes.NotFound } missing:
                    await WriteOutcomeAsync(http, 404, "not-found", missing.Message);
                    break;
                case ValidationFailedException invalid:
                    await WriteOutcomeAsync(http, 400, "invalid", invalid.Message);
                    break;
                case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                    break;
                case var _ when TransientErrors.IsTransient(inner):
                    await WriteOutcomeAsync(http, 503, "transient", "the service is briefly unavailable: try again");
                    break;
                default:
                    throw;
            }
        }
    }

    /// <summary>A FHIR OperationOutcome with one error issue: <paramref name="code"/> is a FHIR issue type (forbidden, not-found, invalid…).</summary>
    internal static async Task WriteOutcomeAsync(HttpContext http, int status, string code, string message)
    {
        if (http.Response.HasStarted)
        {
            http.Abort();
            return;
        }
        http.Response.StatusCode = status;
        http.Response.ContentType = FhirViews.ContentType + "; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteString("resourceType", "OperationOutcome");
        json.WriteStartArray("issue");
        json.WriteStartObject();
        json.WriteString("severity", "error");
        json.WriteString("code", code);
        json.WriteString("diagnostics", message);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }
}
