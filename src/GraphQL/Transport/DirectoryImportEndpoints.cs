using System.Text;
using System.Text.Json;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Grains.Directory;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// Registration by list over HTTP, for operators: <c>POST /directory/imports/{establishments|professionals}</c> with a
/// <c>text/csv</c> body (<see cref="DirectoryCsv"/>, at most <see cref="MaxBodyBytes"/>) and a directory-admin operator's
/// bearer token. The rows are registered as the <c>coffre directory import</c> command registers them
/// (<see cref="DirectoryListImport"/>); the answer is the report, one row per line of the file: JSON
/// (<c>{kind, lines, accepted, updated, unchanged, rejected, rows:[{line, key, outcome, field, rule, code}]}</c>) or, with
/// <c>Accept: text/csv</c>, the command's CSV report. Errors use the GraphQL error shape (413 VALIDATION, field
/// <c>body</c>, for a larger body). Not resumable: a failed upload is sent again whole (rows already applied come back
/// UNCHANGED).
/// </summary>
public static class DirectoryImportEndpoints
{
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapCoffreDirectoryImports(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/directory/imports/{kind}", ImportAsync).DisableAntiforgery();
        return endpoints;
    }

    private static async Task ImportAsync(HttpContext http, string kind, IGrainFactory grains, CallerResolver callers)
    {
        if (BearerTokens.WasRejected(http))
        {
            await ErrorResponses.WriteAsync(http, 401, ErrorCodes.Unauthenticated, "the bearer token is invalid or expired");
            return;
        }
        var caller = await callers.ResolveAsync(http.User);
        if (caller.Kind == CallerKind.Anonymous)
        {
            await ErrorResponses.WriteAsync(http, 401, ErrorCodes.Unauthenticated, "send a bearer token", reason: ErrorTranslation.ReasonOf(DenialReason.NotAuthenticated));
            return;
        }
        if (AccessEvaluator.DecideOperator(caller, OperatorAction.Directory) is { Allowed: false } denied)
        {
            await ErrorResponses.WriteAsync(http, 403, ErrorCodes.Forbidden, denied.Explanation, reason: ErrorTranslation.ReasonOf(denied.Reason));
            return;
        }
        DirectoryEntryKind? entryKind = kind switch
        {
            "establishments" => DirectoryEntryKind.Establishment,
            "professionals" => DirectoryEntryKind.Professional,
            _ => null,
        };
        if (entryKind is null)
        {
            await ErrorResponses.WriteAsync(http, 404, ErrorCodes.NotFound, "kind must be establishments or professionals", "kind");
            return;
        }
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorResponses.WriteAsync(http, 415, ErrorCodes.Validation, "send the list as text/csv (UTF-8)", "body");
            return;
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await ErrorResponses.WriteAsync(http, 413, ErrorCodes.Validation, $"body must be at most {MaxBodyBytes} bytes: split the list or use the coffre directory import command", "body");
            return;
        }
        var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                await ErrorResponses.WriteAsync(http, 413, ErrorCodes.Validation, $"body must be at most {MaxBodyBytes} bytes: split the list or use the coffre directory import command", "body");
                return;
            }
            body.Write(buffer, 0, read);
        }
        body.Position = 0;
        var rows = new List<DirectoryReportRow>();
        DirectoryImportPosition position;
        try
        {
            using var reader = new StreamReader(body, new UTF8Encoding(false, throwOnInvalidBytes: true));
            position = await DirectoryListImport.RunAsync(entryKind.Value, reader, new GrainDirectoryRegistrar(grains, caller),
                (chunk, _) => { rows.AddRange(chunk); return Task.CompletedTask; }, cancellationToken: http.RequestAborted);
        }
        catch (FormatException e)
        {
            await ErrorResponses.WriteAsync(http, 400, ErrorCodes.Validation, e.Message, "header");
            return;
        }
        catch (DecoderFallbackException)
        {
            await ErrorResponses.WriteAsync(http, 400, ErrorCodes.Validation, "body must be UTF-8", "body");
            return;
        }
        http.Response.Headers.CacheControl = "no-store";
        if (http.Request.Headers.Accept.Any(a => a?.Contains("text/csv", StringComparison.OrdinalIgnoreCase) == true))
        {
            http.Response.ContentType = "text/csv; charset=utf-8";
            var csv = new StringBuilder(DirectoryCsv.ReportHeader).Append('\n');
            foreach (var row in rows)
            {
                csv.Append(DirectoryCsv.FormatReport(row.Line, row.Result)).Append('\n');
            }
            await http.Response.WriteAsync(csv.ToString(), http.RequestAborted);
            return;
        }
        var counts = position.Counts;
        await http.Response.WriteAsJsonAsync(new
        {
            kind,
            lines = position.LinesDone,
            counts.Accepted,
            counts.Updated,
            counts.Unchanged,
            counts.Rejected,
            rows = rows.Select(r => new
            {
                r.Line,
                r.Result.Key,
                outcome = DirectoryCsv.OutcomeName(r.Result.Outcome),
                r.Result.Field,
                r.Result.Rule,
                r.Result.Code,
            }),
        }, Json, http.RequestAborted);
    }
}
