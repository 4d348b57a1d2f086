using System.Net;
using System.Text;
using System.Text.Json;
using Coffre.Domain;
using Coffre.Domain.Content;
using Coffre.Domain.Sharing;
using Coffre.Grains;
using Coffre.Grains.Sharing;
using Coffre.GraphQL.Activation;
using Coffre.GraphQL.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// Share links, opened by someone outside Coffre (anonymous, no token):
/// <list type="bullet">
/// <item><c>GET /share/{linkId}</c>: a small page with a code form; the same page for every well-formed id (it says nothing
/// about the link and asks no grain).</item>
/// <item><c>POST /share/{linkId}/open</c>: the code in the body (JSON <c>{"code"}</c> or a form field <c>code</c>; never in the
/// URL; at most 4 KiB). Right code on a live link: the documents (title, type, date, size, SHA-256) and an opening token for
/// 15 minutes, as JSON (<c>openingToken</c>) or, for the page's form, as an HTML list; the token is also set as an HttpOnly cookie
/// limited to the link's path.</item>
/// <item><c>GET /share/{linkId}/documents/{documentId}/content</c>: with the token (header <c>X-Share-Token</c> or the cookie),
/// through the same verified download path as a vault's own documents (<see cref="VerifiedContent"/>).</item>
/// </list>
/// Every refusal — malformed or unknown link, wrong code, expired, used up, revoked, locked, a document not in the link, a
/// token that does not fit — is one answer: 404 <c>SHARE_LINK_UNAVAILABLE</c>. Anonymous work is bounded: every open and
/// download takes a token from the activation limiter's per-client and global buckets (<c>Coffre:Activation:RateLimits</c>),
/// an open also one from the link's own bucket (its per-person rate), else 429 RATE_LIMITED before any grain is asked.
/// </summary>
public static class ShareLinkEndpoints
{
    public const string TokenHeader = "X-Share-Token";
    public const string TokenCookie = "coffre-share";
    private const int MaxBodyBytes = 4096;
    private const string Unavailable = "this link is not available: the link or the code is wrong, or the link expired, was used up or revoked";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapCoffreShareLinks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/share/{linkId}", PageAsync);
        endpoints.MapPost("/share/{linkId}/open", OpenAsync).DisableAntiforgery();
        endpoints.MapGet("/share/{linkId}/documents/{documentId}/content", DownloadAsync);
        return endpoints;
    }

    private sealed record OpenRequest(string? Code);

    private static Task PageAsync(HttpContext http, string linkId) =>
        ShareLinks.IsLinkId(linkId)
            ? WriteHtmlAsync(http, 200, $"""
                <h1>Documents shared with you</h1>
                <p>Someone shared documents with you from their Coffre. Enter the code they gave you separately.</p>
                <form method="post" action="/share/{linkId}/open">
                  <label for="code">Code</label>
                  <input id="code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" required>
                  <button type="submit">Open</button>
                </form>
                """)
            : UnavailableAsync(http, html: true);

    private static async Task OpenAsync(HttpContext http, string linkId, IGrainFactory grains, ActivationRateLimiter limiter)
    {
        var html = !IsJson(http.Request.ContentType);
        if (!limiter.TryAcquire(ActivationRateLimiter.ClientKey(http.Connection.RemoteIpAddress))
            || (ShareLinks.IsLinkId(linkId) && !limiter.TryAcquireForPerson("share:" + linkId)))
        {
            await ErrorResponses.WriteAsync(http, 429, ErrorCodes.RateLimited, "too many attempts: wait a minute before trying again");
            return;
        }
        string? code;
        try
        {
            code = await ReadCodeAsync(http, html);
        }
        catch (Exception e) when (e is JsonException or ContentTooLongException or InvalidDataException)
        {
            await ErrorResponses.WriteAsync(http, 400, ErrorCodes.Validation, $"send the code as JSON {{\"code\"}} or a form field 'code' (at most {MaxBodyBytes} bytes)", "code");
            return;
        }
        if (!ShareLinks.IsLinkId(linkId))
        {
            await UnavailableAsync(http, html);
            return;
        }
        try
        {
            var opening = await grains.GetGrain<IShareLinkGrain>(GrainNames.Keys.ShareLink(linkId)).OpenAsync(code ?? "");
            if (opening is null)
            {
                await UnavailableAsync(http, html);
                return;
            }
            http.Response.Cookies.Append(TokenCookie, opening.Token, new CookieOptions
            {
                HttpOnly = true,
                Secure = http.Request.IsHttps,
                SameSite = SameSiteMode.Strict,
                Path = $"/share/{linkId}",
                Expires = opening.TokenExpiresAt,
            });
            if (html)
            {
                await WriteHtmlAsync(http, 200, DocumentList(linkId, opening));
                return;
            }
            http.Response.Headers.CacheControl = "no-store";
            await http.Response.WriteAsJsonAsync(new
            {
                data = new
                {
                    documents = opening.Documents.Select(d => new
                    {
                        documentId = d.DocumentId,
                        d.Title,
                        d.ClassCode,
                        d.TypeCode,
                        d.ServiceDate,
                        d.CreatedAt,
                        d.Size,
                        d.Sha256,
                        d.ContentType,
                        downloadPath = $"/share/{linkId}/documents/{d.DocumentId}/content",
                    }),
                    openingToken = opening.Token,
                    openingTokenExpiresAt = opening.TokenExpiresAt,
                    linkExpiresAt = opening.LinkExpiresAt,
                    opening.OpeningsLeft,
                },
            }, Json, http.RequestAborted);
        }
        catch (Exception e)
        {
            if (!await DocumentContentEndpoints.TryWriteKnownFailureAsync(http, e))
            {
                throw;
            }
        }
    }

    private static async Task DownloadAsync(HttpContext http, string linkId, string documentId, IGrainFactory grains, IContentStore store,
        ActivationRateLimiter limiter, ILoggerFactory loggers)
    {
        if (!limiter.TryAcquire(ActivationRateLimiter.ClientKey(http.Connection.RemoteIpAddress)))
        {
            await ErrorResponses.WriteAsync(http, 429, ErrorCodes.RateLimited, "too many attempts: wait a minute before trying again");
            return;
        }
        var token = http.Request.Headers[TokenHeader].FirstOrDefault() ?? http.Request.Cookies[TokenCookie];
        if (!ShareLinks.IsLinkId(linkId) || string.IsNullOrEmpty(token) || documentId.Length is 0 or > 64)
        {
            await UnavailableAsync(http, html: false);
            return;
        }
        try
        {
            var entry = await grains.GetGrain<IShareLinkGrain>(GrainNames.Keys.ShareLink(linkId)).AuthorizeDownloadAsync(token, documentId);
            if (entry is null || !await VerifiedContent.ServeAsync(http, entry, store, loggers.CreateLogger(typeof(ShareLinkEndpoints))))
            {
                await UnavailableAsync(http, html: false);
            }
        }
        catch (Exception e)
        {
            if (!await DocumentContentEndpoints.TryWriteKnownFailureAsync(http, e))
            {
                throw;
            }
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);

    private static async Task<string?> ReadCodeAsync(HttpContext http, bool form)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            throw new ContentTooLongException();
        }
        var body = new LimitedStream(http.Request.Body, MaxBodyBytes);
        if (!form)
        {
            return (await JsonSerializer.DeserializeAsync<OpenRequest>(body, Json, http.RequestAborted))?.Code;
        }
        using var reader = new StreamReader(body, Encoding.UTF8);
        var fields = QueryHelpers.ParseQuery(await reader.ReadToEndAsync(http.RequestAborted));
        return fields.TryGetValue("code", out var value) ? value.ToString() : null;
    }

    private static Task UnavailableAsync(HttpContext http, bool html) => html
        ? WriteHtmlAsync(http, 404, $"<h1>Not available</h1><p>{WebUtility.HtmlEncode(Unavailable)}.</p><p>Ask the person who shared it for a new link.</p>",
            ErrorCodes.ShareLinkUnavailable)
        : ErrorResponses.WriteAsync(http, 404, ErrorCodes.ShareLinkUnavailable, Unavailable);

    private static string DocumentList(string linkId, ShareOpening opening)
    {
        var items = new StringBuilder();
        foreach (var d in opening.Documents)
        {
            var date = (d.ServiceDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))
                ?? d.CreatedAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            items.Append(System.Globalization.CultureInfo.InvariantCulture, $"""
                <li><a href="/share/{linkId}/documents/{WebUtility.UrlEncode(d.DocumentId)}/content">{WebUtility.HtmlEncode(d.Title)}</a>
                <span class="meta">{WebUtility.HtmlEncode(d.TypeCode)} · {date} · {d.Size} bytes · SHA-256 <code>{d.Sha256}</code></span></li>
                """);
        }
        return $"""
            <h1>Documents shared with you</h1>
            <p>Download them now: these links work for 15 minutes.</p>
            <ul>{items}</ul>
            """;
    }

    private static Task WriteHtmlAsync(HttpContext http, int status, string body, string? errorCode = null)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        if (errorCode is not null)
        {
            http.Response.Headers["X-Coffre-Error"] = errorCode;
        }
        return http.Response.WriteAsync($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex"><title>Coffre: shared documents</title>
            <style>body{"{"}font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5{"}"}
            input,button{"{"}font-size:1.2rem;padding:.4rem{"}"} .meta{"{"}display:block;color:#555;font-size:.9rem{"}"} code{"{"}word-break:break-all{"}"}</style>
            </head><body>
            {body}
            </body></html>
            """, http.RequestAborted);
    }
}
