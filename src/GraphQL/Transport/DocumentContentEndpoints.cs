using System.Text.Json;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Errors;
using Coffre.GraphQL.Schema;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// Document content over plain HTTP, with the same bearer token as GraphQL:
/// <list type="bullet">
/// <item><c>POST /vaults/{vaultId}/documents</c>: <c>multipart/form-data</c> with a <c>metadata</c> part (JSON: title,
/// classCode, typeCode, size, sha256, optional serviceDate, visibility, private, replaces) followed by a <c>file</c>
/// part. The vault checks the deposit before any byte is stored; the content is hashed while streaming and
/// must match the declared SHA-256 and size, or nothing is stored.</item>
/// <item><c>GET /vaults/{vaultId}/documents/{documentId}/content</c>: streams the content; the stored SHA-256 is
/// verified as it streams (a mismatch aborts the response).</item>
/// </list>
/// Errors use the GraphQL error shape: <c>{"errors":[{"message","extensions":{"code","field"}}]}</c>.
/// </summary>
public static class DocumentContentEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapCoffreDocumentContent(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/vaults/{vaultId}/documents", UploadAsync).DisableAntiforgery();
        endpoints.MapGet("/vaults/{vaultId}/documents/{documentId}/content", DownloadAsync);
        return endpoints;
    }

    private sealed record UploadMetadata(
        string? Title, string? ClassCode, string? TypeCode, long? Size, string? Sha256,
        DateOnly? ServiceDate, bool? MaskedFromProfessionals, bool? InvisibleToPatient, bool? InvisibleToRepresentatives,
        bool? Private, string? Replaces);

    private static async Task UploadAsync(HttpContext http, string vaultId, IGrainFactory grains, IContentStore store, CallerResolver callers)
    {
        if (await Refuse(http, CallerFactory.From(http.User), vaultId) is true)
        {
            return;
        }
        var caller = await callers.ResolveAsync(http.User);
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            await WriteErrorAsync(http, 415, ErrorCodes.Validation, "send multipart/form-data with a 'metadata' part then a 'file' part", "body");
            return;
        }
        var reader = new MultipartReader(boundary, http.Request.Body) { HeadersLengthLimit = 16 * 1024 };
        var section = await reader.ReadNextSectionAsync(http.RequestAborted);
        if (section is null || PartName(section) != "metadata")
        {
            await WriteErrorAsync(http, 400, ErrorCodes.Validation, "the first part must be 'metadata' (JSON)", "metadata");
            return;
        }
        UploadMetadata? metadata;
        try
        {
            metadata = await JsonSerializer.DeserializeAsync<UploadMetadata>(new LimitedStream(section.Body, 64 * 1024), Json, http.RequestAborted);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or ContentTooLongException)
        {
            await WriteErrorAsync(http, 400, ErrorCodes.Validation, "metadata is not valid JSON (at most 64 KiB)", "metadata");
            return;
        }
        var fileSection = await reader.ReadNextSectionAsync(http.RequestAborted);
        if (metadata is null || fileSection is null || PartName(fileSection) != "file")
        {
            await WriteErrorAsync(http, 400, ErrorCodes.Validation, "a 'file' part must follow the metadata", "file");
            return;
        }
        var document = new NewDocument(metadata.Title ?? "", metadata.ClassCode ?? "", metadata.TypeCode ?? "",
            fileSection.ContentType ?? "application/octet-stream", metadata.Size ?? 0, metadata.Sha256 ?? "", metadata.ServiceDate,
            new Visibility(metadata.MaskedFromProfessionals ?? false, metadata.InvisibleToPatient ?? false, metadata.InvisibleToRepresentatives ?? false),
            metadata.Private ?? false, metadata.Replaces);
        var vault = grains.GetGrain<IVaultGrain>(vaultId);
        StoredContent? stored = null;
        try
        {
            var permit = await vault.AuthorizeUploadAsync(caller, document);
            var key = new ContentKey(permit.ContentKey);
            var body = new LimitedStream(fileSection.Body, document.Size);
            stored = await store.WriteAsync(key, body, Sha256Hex.Normalise(document.Sha256), http.RequestAborted);
            if (stored.Length != document.Size)
            {
                throw new ValidationFailedException("size", $"is {document.Size} but {stored.Length} bytes were sent");
            }
            var entry = await vault.AddDocumentAsync(caller, document, permit.ContentKey, stored.Length, stored.Sha256);
            stored = null;
            http.Response.StatusCode = StatusCodes.Status201Created;
            await http.Response.WriteAsJsonAsync(new
            {
                data = new
                {
                    id = GlobalId.Encode("Document", vaultId + "/" + entry.Id),
                    documentId = entry.Id,
                    entry.Title,
                    entry.ClassCode,
                    entry.TypeCode,
                    entry.ContentType,
                    entry.Size,
                    entry.Sha256,
                    entry.CreatedAt,
                    downloadPath = $"/vaults/{vaultId}/documents/{entry.Id}/content",
                },
            }, Json, http.RequestAborted);
        }
        catch (Exception e)
        {
            if (stored is not null)
            {
                await store.DeleteAsync(stored.Key, CancellationToken.None);
            }
            if (!await TryWriteKnownFailureAsync(http, e))
            {
                throw; // the error boundary answers (malformed body → 400, anything else logged with a correlation id)
            }
        }
    }

    private static async Task DownloadAsync(HttpContext http, string vaultId, string documentId, IGrainFactory grains, IContentStore store, ILoggerFactory loggers, CallerResolver callers)
    {
        if (await Refuse(http, CallerFactory.From(http.User), vaultId) is true)
        {
            return;
        }
        var caller = await callers.ResolveAsync(http.User);
        try
        {
            var entry = await grains.GetGrain<IVaultGrain>(vaultId).AuthorizeDownloadAsync(caller, documentId);
            await using var content = await store.OpenReadAsync(new ContentKey(entry.ContentKey), http.RequestAborted);
            if (content is null)
            {
                await WriteErrorAsync(http, 404, ErrorCodes.NotFound, "the document's content is missing from storage", "documentId");
                return;
            }
            http.Response.ContentType = ServedContentType(entry.ContentType);
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.ContentSecurityPolicy = "sandbox";
            http.Response.ContentLength = content.Length;
            http.Response.Headers.ETag = $"\"{entry.Sha256}\"";
            http.Response.Headers["Digest"] = "sha-256=" + Convert.ToBase64String(Convert.FromHexString(entry.Sha256));
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{entry.Id}\"";
            http.Response.Headers.CacheControl = "no-store";
            try
            {
                await CopyVerifiedAsync(content.Stream, http.Response.Body, http.RequestAborted);
            }
            catch (ContentIntegrityException)
            {
                loggers.CreateLogger(typeof(DocumentContentEndpoints)).LogError("stored content of a document failed its integrity check; response aborted");
                http.Abort();
            }
        }
        catch (Exception e)
        {
            if (!await TryWriteKnownFailureAsync(http, e))
            {
                throw;
            }
        }
    }

    /// <summary>Formats a browser renders inert; anything else (text, XML: scripts, stylesheets, entities) is served as bytes to save.</summary>
    private static readonly HashSet<string> InertContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/pdf", "image/jpeg", "image/png", "image/tiff", "image/heic",
    };

    /// <summary>
    /// The Content-Type a download is served with: the stored type when a browser cannot run it, else
    /// <c>application/octet-stream</c> (the document's own type stays in its metadata).
    /// </summary>
    public static string ServedContentType(string storedType) =>
        InertContentTypes.Contains(storedType) ? storedType : "application/octet-stream";

    /// <summary>
    /// Copies, holding back the last chunk until the source has verified its SHA-256 at end of stream: a client
    /// never receives the full Content-Length of tampered content (the response is aborted short instead).
    /// </summary>
    internal static async Task CopyVerifiedAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        var current = new byte[81920];
        var pending = new byte[81920];
        var pendingLength = 0;
        int read;
        while ((read = await source.ReadAsync(current, cancellationToken)) > 0)
        {
            if (pendingLength > 0)
            {
                await target.WriteAsync(pending.AsMemory(0, pendingLength), cancellationToken);
            }
            (current, pending) = (pending, current);
            pendingLength = read;
        }
        if (pendingLength > 0)
        {
            await target.WriteAsync(pending.AsMemory(0, pendingLength), cancellationToken);
        }
    }

    internal static async Task<bool> Refuse(HttpContext http, Caller caller, string vaultId)
    {
        if (BearerTokens.WasRejected(http))
        {
            await WriteErrorAsync(http, 401, ErrorCodes.Unauthenticated, "the bearer token is invalid or expired", null);
            return true;
        }
        if (caller.Kind == CallerKind.Anonymous)
        {
            // The same answer as a GraphQL field refused to an anonymous caller: UNAUTHENTICATED, reason NOT_AUTHENTICATED.
            await WriteErrorAsync(http, 401, ErrorCodes.Unauthenticated, "send a bearer token", null, ErrorTranslation.ReasonOf(DenialReason.NotAuthenticated));
            return true;
        }
        if (!Domain.Identifiers.Ids.IsVaultId(vaultId))
        {
            await WriteErrorAsync(http, 404, ErrorCodes.NotFound, "vaultId is not a vault id", "vaultId");
            return true;
        }
        return false;
    }

    internal static string? PartName(MultipartSection section) =>
        ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ? HeaderUtilities.RemoveQuotes(disposition.Name).Value : null;

    /// <summary>Answers the failures a document request expects; false for anything else, which the error boundary answers.</summary>
    internal static async Task<bool> TryWriteKnownFailureAsync(HttpContext http, Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerException! : e;
        switch (inner)
        {
            case AccessDeniedException { Code: DenialReason.NotAuthenticated } denied:
                await WriteErrorAsync(http, 401, ErrorCodes.Unauthenticated, denied.Reason, null, ErrorTranslation.ReasonOf(denied.Code));
                return true;
            case AccessDeniedException { Code: DenialReason.RateLimited } limited:
                await WriteErrorAsync(http, 429, ErrorCodes.RateLimited, limited.Reason, null, ErrorTranslation.ReasonOf(limited.Code));
                return true;
            case AccessDeniedException denied:
                await WriteErrorAsync(http, 403, ErrorCodes.Forbidden, denied.Reason, null, ErrorTranslation.ReasonOf(denied.Code));
                return true;
            case ValidationFailedException invalid:
                var status = invalid.Code switch { ErrorCodes.NotFound => 404, ErrorCodes.QuotaExceeded => 413, ErrorCodes.Conflict => 409, ErrorCodes.RateLimited => 429, _ => 400 };
                await WriteErrorAsync(http, status, invalid.Code, invalid.Message, invalid.Field);
                return true;
            case ContentHashMismatchException:
                await WriteErrorAsync(http, 400, ErrorCodes.Validation, "sha256 does not match the content sent; nothing was stored", "sha256");
                return true;
            case ContentTooLongException:
                await WriteErrorAsync(http, 413, ErrorCodes.Validation, "the file is larger than its declared size", "size");
                return true;
            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                return true;
            case var _ when TransientErrors.IsTransient(inner):
                await ErrorResponses.WriteUnavailableAsync(http);
                return true;
            default:
                return false;
        }
    }

    private static Task WriteErrorAsync(HttpContext http, int status, string code, string message, string? field, string? reason = null) =>
        ErrorResponses.WriteAsync(http, status, code, message, field, reason);
}
