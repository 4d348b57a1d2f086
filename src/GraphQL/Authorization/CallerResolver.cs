using System.Security.Claims;
using Coffre.Domain.Access;
using Coffre.Grains;
using Coffre.Grains.Professionals;

namespace Coffre.GraphQL.Authorization;

/// <summary>
/// Builds the <see cref="Caller"/> of one request from its validated token and, for a professional, from the
/// directory: the token proves the identifier (RPPS, ADELI or Coffre identifier) only; the professional's grain gives
/// profession, standing (active, suspended) and memberships, in one in-memory call per request. Unknown to the
/// directory → <see cref="DirectoryStanding.Unregistered"/>, suspended → <see cref="DirectoryStanding.Suspended"/>:
/// the evaluator then refuses every vault action, so a suspension applies from the next request without telling any
/// vault. The token's establishment (<c>finess</c>) is kept only while the directory lists the professional as its
/// member at the time of the request (between the membership's start and end); otherwise it is dropped, so no grain ever sees an unverified establishment. Anonymous callers, patients and
/// operators cost no grain call. Once per request: the GraphQL executor keeps the result in the execution's user
/// context (<see cref="UserContextKey"/>), the document routes call it themselves. A connected app's standing comes the
/// same way from the catalogue (<c>IAppCatalogueGrain.FindAsync</c>: active, suspended, unregistered), with the scopes the
/// catalogue declares for it now (<see cref="Caller.AppScopes"/>).
/// </summary>
public sealed class CallerResolver(IGrainFactory grains, TimeProvider clock)
{
    public const string UserContextKey = "coffre.caller";

    public async Task<Caller> ResolveAsync(ClaimsPrincipal? user)
    {
        var caller = CallerFactory.From(user);
        if (caller.Kind == CallerKind.App && Coffre.Domain.Apps.AppRules.AppIdOf(caller) is { } app)
        {
            // As a professional's directory entry: the catalogue's word (standing and the scopes it declares now), once per
            // request, from memory (no cache, like professionals).
            var listed = await grains.GetGrain<Coffre.Grains.Apps.IAppCatalogueGrain>(GrainNames.Keys.AppCatalogue).FindAsync(app);
            return caller with { Standing = listed?.Standing ?? DirectoryStanding.Unregistered, AppScopes = listed?.Scopes ?? [] };
        }
        if (caller is not { Kind: CallerKind.Professional, Rpps: { } rpps })
        {
            return caller;
        }
        var entry = await grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps)).GetDirectoryEntryAsync();
        if (entry is null)
        {
            return caller with { EstablishmentFiness = null, Standing = DirectoryStanding.Unregistered };
        }
        var now = clock.GetUtcNow();
        var finess = caller.EstablishmentFiness is { } claimed && entry.Memberships.Any(m => m.Finess == claimed && m.IsActiveAt(now)) ? claimed : null;
        return caller with
        {
            ProfessionCode = entry.ProfessionCode,
            EstablishmentFiness = finess,
            Standing = entry.Status == ProfessionalStatus.Active ? DirectoryStanding.Active : DirectoryStanding.Suspended,
        };
    }

    /// <summary>What to use when no resolved caller is at hand: the token's caller, never checked against the directory (a professional is then refused everywhere).</summary>
    public static Caller Unverified(ClaimsPrincipal? user) => CallerFactory.From(user) is { EstablishmentFiness: not null } c ? c with { EstablishmentFiness = null } : CallerFactory.From(user);
}
