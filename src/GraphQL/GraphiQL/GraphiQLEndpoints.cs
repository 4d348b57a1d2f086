using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Coffre.GraphQL.GraphiQL;

/// <summary>
/// GraphiQL at <c>GET /graphiql</c>, its assets at <c>GET /graphiql/{file}</c>: the files tools/graphiql/build.mjs
/// bundled from the pinned npm packages, embedded in this assembly under <c>GraphiQL/</c> (a <c>.gz</c> suffix: stored
/// gzip-compressed). Nothing is fetched from elsewhere: the page's scripts, styles, fonts and Monaco's workers are
/// all same-origin, and its Content-Security-Policy says so. Assets with a content hash in their name are cached as
/// immutable; the page and <c>licenses.txt</c> (the bundled packages' licences) are revalidated. Mapped only where
/// <see cref="GraphiQLOptions.Enabled"/>.
/// </summary>
public static partial class GraphiQLEndpoints
{
    public const string Path = "/graphiql";
    private const string ResourcePrefix = "GraphiQL/";
    private const string Page = "index.html";
    private const string GzipSuffix = ".gz";
    private static readonly Assembly Assembly = typeof(GraphiQLEndpoints).Assembly;

    /// <summary>Embedded asset names (without the <c>.gz</c> suffix) → their resource.</summary>
    private static readonly Lazy<IReadOnlyDictionary<string, Asset>> Assets = new(LoadAssets);

    private sealed record Asset(string ResourceName, bool Gzipped, string ContentType);

    public static IEndpointRouteBuilder MapCoffreGraphiQL(this IEndpointRouteBuilder endpoints)
    {
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<GraphiQLOptions>>().Value.Enabled != true)
        {
            return endpoints;
        }
        if (!Assets.Value.ContainsKey(Page))
        {
            throw new InvalidOperationException($"GraphiQL is enabled but its assets are not embedded in {Assembly.GetName().Name} (built from tools/graphiql)");
        }
        endpoints.MapMethods(Path, [HttpMethods.Get, HttpMethods.Head], (HttpContext http) => ServeAsync(http, Page));
        endpoints.MapMethods(Path + "/{file}", [HttpMethods.Get, HttpMethods.Head], (HttpContext http, string file) => ServeAsync(http, file));
        return endpoints;
    }

    private static IReadOnlyDictionary<string, Asset> LoadAssets()
    {
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in Assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            var gzipped = resource.EndsWith(GzipSuffix, StringComparison.Ordinal);
            var name = resource[ResourcePrefix.Length..^(gzipped ? GzipSuffix.Length : 0)];
            if (ContentTypeOf(name) is { } contentType)
            {
                assets[name] = new Asset(resource, gzipped, contentType);
            }
        }
        return assets;
    }

    private static string? ContentTypeOf(string name) => System.IO.Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".ttf" => "font/ttf",
        ".woff" => "font/woff",
        ".woff2" => "font/woff2",
        ".svg" => "image/svg+xml",
        ".txt" => "text/plain; charset=utf-8",
        _ => null,
    };

    private static async Task ServeAsync(HttpContext http, string file)
    {
        var response = http.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        if (!Assets.Value.TryGetValue(file, out var asset) || (file == Page && http.Request.Path.Value != Path))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        response.ContentType = asset.ContentType;
        // On the scripts too: a dedicated worker is governed by the policy its own script arrives with.
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy(http.Request);
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.CacheControl = ContentHashed().IsMatch(file) ? "public, max-age=31536000, immutable" : "no-cache";
        await using var stored = Assembly.GetManifestResourceStream(asset.ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {asset.ResourceName} vanished");
        Stream body = stored;
        if (asset.Gzipped)
        {
            response.Headers.Vary = HeaderNames.AcceptEncoding;
            if (AcceptsGzip(http.Request))
            {
                response.Headers.ContentEncoding = "gzip";
            }
            else
            {
                body = new GZipStream(stored, CompressionMode.Decompress);
            }
        }
        if (body == stored)
        {
            response.ContentLength = stored.Length;
        }
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }
        await using (body)
        {
            await body.CopyToAsync(response.Body, http.RequestAborted);
        }
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        var accepted = request.Headers.AcceptEncoding;
        return StringWithQualityHeaderValue.TryParseList(accepted, out var codings)
            && codings.Any(c => c.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && c.Quality is not 0);
    }

    /// <summary>
    /// Only this origin: scripts and workers from files (no inline script, no eval); inline styles, which Monaco
    /// writes at run time; fonts and icons that graphiql's stylesheet carries as data: URIs; HTTP and WebSocket
    /// connections to this host (<c>'self'</c> does not cover ws: in every browser, so the host is named).
    /// </summary>
    private static string ContentSecurityPolicy(HttpRequest request)
    {
        var host = request.Host.Value is { } value && HostPattern().IsMatch(value) ? value : null;
        var sockets = host is null ? "" : $" ws://{host} wss://{host}";
        return "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
            + $"img-src 'self' data:; connect-src 'self'{sockets}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    /// <summary>esbuild's <c>[name]-[hash]</c>: eight base-32 characters before the extension.</summary>
    [GeneratedRegex(@"-[A-Z0-9]{8}\.[a-z0-9]+$")]
    private static partial Regex ContentHashed();

    [GeneratedRegex(@"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")]
    private static partial Regex HostPattern();
}
