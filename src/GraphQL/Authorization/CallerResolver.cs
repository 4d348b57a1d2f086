using System.Security.Claims;
using Coffre.Domain.Access;
using Coffre.Grains;
using Coffre.Grains.Establishments;

namespace Coffre.GraphQL.Authorization;

/// <summary>
/// Builds the <see cref="Caller"/> of one request from its validated token, and checks what the token claims but
/// the directory decides: a professional acts for an establishment (<c>finess</c> claim) only while the
/// establishment's members include them. Otherwise the establishment is dropped from the caller, so no grain ever
/// sees an unverified establishment (grants to it, referent mandates, documents' source). Anonymous callers cost no
/// grain call. Once per request: the GraphQL executor keeps the result in the execution's user context
/// (<see cref="UserContextKey"/>), the document routes call it themselves.
/// </summary>
public sealed class CallerResolver(IGrainFactory grains)
{
    public const string UserContextKey = "coffre.caller";

    public async Task<Caller> ResolveAsync(ClaimsPrincipal? user)
    {
        var caller = CallerFactory.From(user);
        if (caller is { Kind: CallerKind.Professional, Rpps: { } rpps, EstablishmentFiness: { } finess }
            && !await grains.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(finess)).IsMemberAsync(rpps))
        {
            caller = caller with { EstablishmentFiness = null };
        }
        return caller;
    }

    /// <summary>What to use when no resolved caller is at hand: the token's caller without any establishment (never trusted unverified).</summary>
    public static Caller Unverified(ClaimsPrincipal? user) => CallerFactory.From(user) is { EstablishmentFiness: not null } c ? c with { EstablishmentFiness = null } : CallerFactory.From(user);
}
