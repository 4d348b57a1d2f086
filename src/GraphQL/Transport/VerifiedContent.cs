using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// The one verified download path: a document's stored content streamed with its SHA-256 checked as it streams (the
/// content store's <see cref="VerifyingReadStream"/>; a mismatch aborts the response short of its Content-Length), served
/// inert (sandboxed, not sniffed, a type a browser cannot run) and never cached. Used by the vault's own route
/// (<c>GET /vaults/{vaultId}/documents/{documentId}/content</c>) and by share links
/// (<c>GET /share/{linkId}/documents/{documentId}/content</c>), once their grain has authorised the entry.
/// </summary>
public static class VerifiedContent
{
    /// <summary>Streams <paramref name="entry"/>'s content; false (nothing written) when the store has no content for it.</summary>
    public static async Task<bool> ServeAsync(HttpContext http, DocumentEntry entry, IContentStore store, ILogger logger)
    {
        await using var content = await store.OpenReadAsync(new ContentKey(entry.ContentKey), http.RequestAborted);
        if (content is null)
        {
            return false;
        }
        http.Response.ContentType = ServedContentType(entry.ContentType);
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox";
        http.Response.ContentLength = content.Length;
        http.Response.Headers.ETag = $"\"{entry.Sha256}\"";
        http.Response.Headers["Digest"] = "sha-256=" + Convert.ToBase64String(Convert.FromHexString(entry.Sha256));
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{entry.Id}\"";
        http.Response.Headers.CacheControl = "no-store";
        await CopyOrAbortAsync(http, content.Stream, logger, "a document");
        return true;
    }

    /// <summary>
    /// Streams verified content (a <see cref="VerifyingReadStream"/>) to the response; when its SHA-256 fails at the end the
    /// response is aborted short of its Content-Length and the failure logged (<paramref name="what"/>: a constant, no data).
    /// </summary>
    public static async Task CopyOrAbortAsync(HttpContext http, Stream source, ILogger logger, string what)
    {
        try
        {
            await CopyVerifiedAsync(source, http.Response.Body, http.RequestAborted);
        }
        catch (ContentIntegrityException)
        {
            logger.LogError("stored content of {What} failed its integrity check; response aborted", what);
            http.Abort();
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
    private static async Task CopyVerifiedAsync(Stream source, Stream target, CancellationToken cancellationToken)
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
}
