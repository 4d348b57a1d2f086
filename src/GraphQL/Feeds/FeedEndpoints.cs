using System.Text.Json;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Feeds;
using Coffre.Domain.Identifiers;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using Coffre.Grains.Feeds;
using Coffre.Grains.Identity;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Errors;
using Coffre.GraphQL.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Coffre.GraphQL.Feeds;

/// <summary>
/// <c>POST /feeds/documents</c>: an establishment's system (OAuth client credentials) deposits up to
/// <see cref="FeedOptions.MaxItemsPerRequest"/> documents for people it names by NIR or vault id, as
/// <c>multipart/form-data</c>: a <c>manifest</c> part first (JSON, see <see cref="FeedManifest"/>), then one part per
/// document, named by its item's <c>part</c>, in any order. Each document is answered on its own: ACCEPTED (document
/// id), DUPLICATE (this establishment already fed this external id: the first document, nothing stored again) or
/// REFUSED with a code (UNKNOWN_PERSON, OPPOSED, OUTSIDE_SCOPE, VALIDATION, QUOTA_EXCEEDED, FORBIDDEN, UNAVAILABLE) and
/// nothing stored. Costs, in order: no token → 401 and an establishment's token alone → 403, before the body is
/// read; the manifest (at most 256 KiB) is read, then the request is admitted by <see cref="FeedAdmission"/> or
/// answered 429 RETRY_LATER with <c>Retry-After</c>. Per document: one identity grain call (by NIR), one vault call
/// to check (and find a duplicate), the content streamed to the content store (SHA-256 checked), one vault call to
/// record it (audited, the person notified); per request one call to the establishment's counters.
/// </summary>
public static partial class FeedEndpoints
{
    public const string Path = "/feeds/documents";
    private const int MaxManifestBytes = 256 * 1024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static IEndpointRouteBuilder MapCoffreFeeds(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, FeedAsync).DisableAntiforgery();
        return endpoints;
    }

    /// <summary>One document's answer.</summary>
    private sealed record ItemResult(int Index, string? ExternalId, string Status, string? DocumentId = null, string? VaultId = null,
        string? Code = null, string? Field = null, string? Reason = null);

    private sealed record Services(IGrainFactory Grains, IContentStore Store, NirHasher Nirs, Caller Caller, string SenderName, CancellationToken Aborted);

    private static async Task FeedAsync(HttpContext http, IGrainFactory grains, IContentStore store, NirHasher nirs, AccessEvaluator evaluator,
        FeedAdmission admission, IOptions<FeedOptions> feedOptions, ILoggerFactory loggers)
    {
        // 1. Who: refused before a byte of the body is read.
        if (BearerTokens.WasRejected(http))
        {
            await ErrorResponses.WriteAsync(http, 401, ErrorCodes.Unauthenticated, "the bearer token is invalid or expired");
            return;
        }
        var caller = CallerFactory.From(http.User);
        if (caller.Kind != CallerKind.Establishment)
        {
            await RefuseAsync(http, evaluator.DecideFeed(caller));
            return;
        }
        var profile = await grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(caller.EstablishmentFiness!)).GetAsync(caller);
        caller = caller with { FeedCategory = profile?.CategoryCode };
        if (evaluator.DecideFeed(caller) is { Allowed: false } refused)
        {
            await RefuseAsync(http, refused);
            return;
        }

        // 2. The manifest: bounded, checked, then the request is admitted or told to come back.
        var options = feedOptions.Value;
        var maxRequestBytes = options.MaxRequestBytes ?? 25L * 1024 * 1024;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            // Manifest, part headers and multipart framing on top of the documents' bytes.
            bodyLimit.MaxRequestBodySize = maxRequestBytes + MaxManifestBytes + (options.MaxItemsPerRequest + 1) * 20L * 1024;
        }
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            await ErrorResponses.WriteAsync(http, 415, ErrorCodes.Validation, "send multipart/form-data: a 'manifest' part (JSON) then one part per document", "body");
            return;
        }
        var reader = new MultipartReader(boundary, http.Request.Body) { HeadersLengthLimit = 16 * 1024, HeadersCountLimit = 16 };
        FeedManifest manifest;
        try
        {
            var section = await reader.ReadNextSectionAsync(http.RequestAborted);
            if (section is null || DocumentContentEndpoints.PartName(section) != "manifest")
            {
                await ErrorResponses.WriteAsync(http, 400, ErrorCodes.Validation, "the first part must be 'manifest' (JSON)", "manifest");
                return;
            }
            using var buffer = new MemoryStream();
            await new LimitedStream(section.Body, MaxManifestBytes).CopyToAsync(buffer, http.RequestAborted);
            manifest = FeedManifest.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options.MaxItemsPerRequest, maxRequestBytes, maxRequestBytes);
        }
        catch (ContentTooLongException)
        {
            await ErrorResponses.WriteAsync(http, 413, ErrorCodes.Validation, $"the manifest must be at most {MaxManifestBytes / 1024} KiB", "manifest");
            return;
        }
        catch (FeedManifestException invalid)
        {
            await ErrorResponses.WriteAsync(http, 400, ErrorCodes.Validation, $"{invalid.Field} {invalid.Rule}", invalid.Field);
            return;
        }
        using var lease = admission.TryEnter(manifest.Count, manifest.DeclaredBytes);
        if (lease is null)
        {
            FeedLog.RetryLater(loggers.CreateLogger(typeof(FeedEndpoints)), manifest.Count);
            await ErrorResponses.WriteAsync(http, 429, FeedCodes.RetryLater,
                "this server is ingesting as many feed documents as it may at once: send the same request again after Retry-After seconds (external ids make it safe)",
                retryAfterSeconds: options.RetryAfterSeconds);
            return;
        }

        // 3. The documents, as their parts arrive.
        var results = new ItemResult?[manifest.Count];
        foreach (var e in manifest.Invalid)
        {
            results[e.Index] = new ItemResult(e.Index, e.ExternalId, FeedCodes.Refused, Code: FeedCodes.Validation, Field: e.Field, Reason: e.Rule);
        }
        var pending = manifest.Items.ToDictionary(i => i.Part, StringComparer.Ordinal);
        var services = new Services(grains, store, nirs, caller, profile!.Name, http.RequestAborted);
        try
        {
            MultipartSection? part;
            while (pending.Count > 0 && (part = await reader.ReadNextSectionAsync(http.RequestAborted)) is not null)
            {
                // A part no item names (or whose item was invalid) is skipped: the reader drains it, bounded by the body limit.
                if (DocumentContentEndpoints.PartName(part) is { } name && pending.Remove(name, out var item))
                {
                    results[item.Index] = await IngestAsync(services, item, part);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or BadHttpRequestException)
        {
            // The body broke off or broke the framing: what was answered stands; the rest is refused below.
            FeedLog.BodyBroken(loggers.CreateLogger(typeof(FeedEndpoints)));
        }
        foreach (var item in pending.Values)
        {
            results[item.Index] = new ItemResult(item.Index, item.ExternalId, FeedCodes.Refused, Code: FeedCodes.Validation,
                Field: $"items[{item.Index}].part", Reason: $"no part named '{item.Part}' arrived: nothing was stored");
        }

        // 4. The establishment's counters, then the answer.
        var answered = results.Select(r => r!).ToList();
        var tally = new FeedTally(
            answered.Count(r => r.Status == FeedCodes.Accepted),
            answered.Count(r => r.Status == FeedCodes.Duplicate),
            answered.Where(r => r.Status == FeedCodes.Refused).GroupBy(r => r.Code!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
        await grains.GetGrain<IFeedStatisticsGrain>(GrainNames.Keys.FeedStatistics(caller.EstablishmentFiness!)).RecordAsync(caller, tally);
        FeedLog.Fed(loggers.CreateLogger(typeof(FeedEndpoints)), tally.Accepted, tally.Duplicate, answered.Count - tally.Accepted - tally.Duplicate);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsJsonAsync(new
        {
            data = new { accepted = tally.Accepted, duplicate = tally.Duplicate, refused = answered.Count - tally.Accepted - tally.Duplicate, items = answered },
        }, Json, http.RequestAborted);
    }

    /// <summary>One document: its person, the vault's check (or the document already fed), its content, its record.</summary>
    private static async Task<ItemResult> IngestAsync(Services s, FeedItem item, MultipartSection part)
    {
        ItemResult Refuse(string code, string reason, string? field = null) =>
            new(item.Index, item.ExternalId, FeedCodes.Refused, Code: code, Field: field is null ? null : $"items[{item.Index}].{field}", Reason: reason);

        StoredContent? stored = null;
        try
        {
            var vaultId = item.VaultId;
            if (item.Nir is { } nir)
            {
                var target = await s.Grains.GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(s.Nirs.HashHex(nir))).FindForFeedAsync(s.Caller);
                if (target.VaultId is null)
                {
                    return target.Opposed
                        ? Refuse(FeedCodes.Opposed, "the person opposed their vault: nothing was stored")
                        : Refuse(FeedCodes.UnknownPerson, "no vault for this NIR: nothing was stored", "nir");
                }
                vaultId = target.VaultId;
            }
            var vault = s.Grains.GetGrain<IVaultGrain>(vaultId!);
            var feed = new FeedDocument(
                new NewDocument(item.Title, item.ClassCode, item.TypeCode, part.ContentType ?? "application/octet-stream", item.Size, item.Sha256,
                    item.ServiceDate, new Visibility(MaskedFromProfessionals: item.MaskedFromProfessionals)),
                item.ExternalId, item.MinorSecret, s.SenderName);
            var permit = await vault.PrepareFeedAsync(s.Caller, feed);
            if (permit.DuplicateOf is { } first)
            {
                return new ItemResult(item.Index, item.ExternalId, FeedCodes.Duplicate, first, vaultId);
            }
            stored = await s.Store.WriteAsync(new ContentKey(permit.ContentKey!), new LimitedStream(part.Body, item.Size), item.Sha256, s.Aborted);
            if (stored.Length != item.Size)
            {
                throw new ValidationFailedException("size", $"is {item.Size} but {stored.Length} bytes were sent");
            }
            var recorded = await vault.AddFeedDocumentAsync(s.Caller, feed, permit.ContentKey!, stored.Length, stored.Sha256);
            if (recorded.DuplicateOf is { } raced)
            {
                await s.Store.DeleteAsync(stored.Key, CancellationToken.None);
                stored = null;
                return new ItemResult(item.Index, item.ExternalId, FeedCodes.Duplicate, raced, vaultId);
            }
            stored = null;
            return new ItemResult(item.Index, item.ExternalId, FeedCodes.Accepted, recorded.DocumentId, vaultId);
        }
        catch (Exception e)
        {
            if (stored is not null)
            {
                await s.Store.DeleteAsync(stored.Key, CancellationToken.None);
            }
            var inner = e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerException! : e;
            ItemResult? known = inner switch
            {
                ValidationFailedException { Code: ErrorCodes.NotFound, Field: "vaultId" } => Refuse(FeedCodes.UnknownPerson, "no vault has this id: nothing was stored", "vaultId"),
                ValidationFailedException { Code: ErrorCodes.QuotaExceeded } full => Refuse(FeedCodes.QuotaExceeded, full.Message, full.Field),
                ValidationFailedException invalid => Refuse(FeedCodes.Validation, invalid.Message, invalid.Field),
                AccessDeniedException { Code: DenialReason.VaultNotActive } => Refuse(FeedCodes.Opposed, "the person opposed or closed their vault: nothing was stored"),
                AccessDeniedException { Code: DenialReason.OutsideScope } denied => Refuse(FeedCodes.OutsideScope, denied.Reason, "typeCode"),
                AccessDeniedException denied => Refuse(FeedCodes.Forbidden, denied.Reason),
                ContentHashMismatchException => Refuse(FeedCodes.Validation, "does not match the content sent: nothing was stored", "sha256"),
                ContentTooLongException => Refuse(FeedCodes.Validation, "the part is longer than its declared size: nothing was stored", "size"),
                _ when TransientErrors.IsTransient(inner) => Refuse(FeedCodes.Unavailable, "the cluster or the content store failed on this document: send it again (its external id makes that safe)"),
                _ => null,
            };
            if (known is null)
            {
                throw; // the error boundary answers (logged with a correlation id)
            }
            return known;
        }
    }

    private static Task RefuseAsync(HttpContext http, AccessDecision decision) =>
        decision.Reason == DenialReason.NotAuthenticated
            ? ErrorResponses.WriteAsync(http, 401, ErrorCodes.Unauthenticated, decision.Explanation, null, ErrorTranslation.ReasonOf(decision.Reason))
            : ErrorResponses.WriteAsync(http, 403, ErrorCodes.Forbidden, decision.Explanation, null, ErrorTranslation.ReasonOf(decision.Reason));

    private static partial class FeedLog
    {
        [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "feed request: {Accepted} accepted, {Duplicate} duplicate, {Refused} refused")]
        public static partial void Fed(ILogger logger, int accepted, int duplicate, int refused);

        [LoggerMessage(EventId = 9102, Level = LogLevel.Information, Message = "feed request of {Items} documents answered RETRY_LATER: in-flight bound reached")]
        public static partial void RetryLater(ILogger logger, int items);

        [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "feed request body broke off or broke the multipart framing; the documents not yet read are refused")]
        public static partial void BodyBroken(ILogger logger);
    }
}
