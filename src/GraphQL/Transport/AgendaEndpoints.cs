using Coffre.Grains;
using Coffre.Grains.Agenda;
using Coffre.GraphQL.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Coffre.GraphQL.Transport;

/// <summary>
/// <c>GET /vaults/{vaultId}/agenda.ics</c>: the person's agenda as iCalendar (RFC 5545, <c>text/calendar</c>), with the same
/// bearer token as GraphQL; decided and audited by the vault (<c>agenda.export</c>) like the <c>Vault.agendaICalendar</c> field.
/// Errors as the document routes answer them (GraphQL error shape, 401/403/404).
/// </summary>
public static class AgendaEndpoints
{
    public static IEndpointRouteBuilder MapCoffreAgendaExport(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/vaults/{vaultId}/agenda.ics", ExportAsync);
        return endpoints;
    }

    private static async Task ExportAsync(HttpContext http, string vaultId, IGrainFactory grains, CallerResolver callers)
    {
        if (await DocumentContentEndpoints.Refuse(http, CallerFactory.From(http.User), vaultId))
        {
            return;
        }
        var caller = await callers.ResolveAsync(http.User);
        try
        {
            var text = await grains.GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(vaultId)).ExportAsync(caller);
            http.Response.ContentType = "text/calendar; charset=utf-8";
            http.Response.Headers.ContentDisposition = "attachment; filename=\"agenda.ics\"";
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            await http.Response.WriteAsync(text, http.RequestAborted);
        }
        catch (Exception e)
        {
            if (!await DocumentContentEndpoints.TryWriteKnownFailureAsync(http, e))
            {
                throw;
            }
        }
    }
}
