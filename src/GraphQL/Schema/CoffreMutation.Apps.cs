using Microsoft.Extensions.DependencyInjection;
using GraphQL;
using Coffre.Domain.Access;
using Coffre.Domain.Apps;
using Coffre.Grains;
using Coffre.Grains.Apps;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>
/// Connected apps: directory-admin operators reference apps in the catalogue (each becomes an OAuth client of Coffre's
/// provider) and suspend them (every token of the app revoked at once); the person, a parent or tutor disconnects an app
/// (the vault refuses it at once, then the app's tokens for this person are revoked).
/// </summary>
public sealed partial class CoffreMutation
{
    private void AddAppMutations()
    {
        Mutation<RegisterConnectedAppInputType, RegisterConnectedAppInput, RegisterConnectedAppPayloadType>("registerConnectedApp",
            "Directory-admin operators add an app to the catalogue: name, publisher, certification reference, the scopes it may ask, its redirect URIs. " +
            "It becomes a public OAuth client (authorization code + PKCE, refresh tokens) whose client_id is the returned appId.",
            async (ctx, caller, input) =>
            {
                var directory = Oidc(ctx);
                AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
                if (!directory.Enabled)
                {
                    throw new ValidationFailedException("name", "cannot be registered: Coffre's OpenID provider is off (Coffre:Oidc)", Coffre.Domain.ErrorCodes.Unavailable);
                }
                var app = await Catalogue(ctx).RegisterAsync(caller, new AppRegistration(input.Name, input.Publisher, input.CertificationReference, input.Scopes, input.RedirectUris));
                await directory.SaveAppClientAsync(ClientOf(app), ctx.CancellationToken);
                return (app, null);
            });

        Mutation<UpdateConnectedAppInputType, UpdateConnectedAppInput, UpdateConnectedAppPayloadType>("updateConnectedApp",
            "Directory-admin operators change an app's scopes and/or redirect URIs (its OAuth client follows). A connection keeps the scopes the person consented to, used only while the catalogue still declares them: removing a scope narrows every connection at once.",
            async (ctx, caller, input) =>
            {
                var app = await Catalogue(ctx).UpdateAsync(caller, input.AppId, new AppChanges(input.Scopes, input.RedirectUris));
                await Oidc(ctx).SaveAppClientAsync(ClientOf(app), ctx.CancellationToken);
                return (app, null);
            });

        Mutation<SuspendConnectedAppInputType, SuspendConnectedAppInput, SuspendConnectedAppPayloadType>("suspendConnectedApp",
            "Directory-admin operators suspend an app for everyone, with a reason: every vault refuses it from its next request (APP_SUSPENDED), " +
            "every token of the app is revoked at once, and the provider refuses new authorizations (access_denied). CONFLICT when already suspended " +
            "(the app's tokens are then revoked again, so a retry completes a revocation that failed).",
            async (ctx, caller, input) => (await AppRevocation.ThenRevokeAsync(() => Catalogue(ctx).SuspendAsync(caller, input.AppId, input.Reason),
                () => Oidc(ctx).RevokeAppAsync(input.AppId, null, ctx.CancellationToken), Coffre.Domain.ErrorCodes.Conflict), null));

        Mutation<ReinstateConnectedAppInputType, ReinstateConnectedAppInput, ReinstateConnectedAppPayloadType>("reinstateConnectedApp",
            "Directory-admin operators lift an app's suspension. Its revoked tokens stay revoked: people's live connections work again with a new authorization.",
            async (ctx, caller, input) => (await Catalogue(ctx).ReinstateAsync(caller, input.AppId), null));

        Mutation<DisconnectAppInputType, DisconnectAppInput, DisconnectAppPayloadType>("disconnectApp",
            "The person (or a parent or tutor) disconnects an app: refused by the vault at once, and every authorization and token of the app for this person revoked. " +
            "NOT_FOUND when no live connection (the app's tokens for this person are then revoked again, so a retry completes a revocation that failed).",
            async (ctx, caller, input) =>
            {
                var vaultId = VaultIdOf(input.VaultId);
                var connection = await AppRevocation.ThenRevokeAsync(() => ctx.Grains().GetGrain<IVaultAppsGrain>(vaultId).DisconnectAppAsync(caller, input.AppId),
                    () => Oidc(ctx).RevokeAppAsync(input.AppId, vaultId, ctx.CancellationToken), Coffre.Domain.ErrorCodes.NotFound);
                var app = await Catalogue(ctx).FindAsync(input.AppId);
                return (new VaultAppConnection(connection, app), vaultId);
            });
    }

    private static IAppCatalogueGrain Catalogue(IResolveFieldContext ctx) => ctx.Grains().GetGrain<IAppCatalogueGrain>(GrainNames.Keys.AppCatalogue);

    private static IOidcDirectory Oidc(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<IOidcDirectory>();

    private static AppClient ClientOf(CatalogueApp app) => new(app.AppId, app.Name, [.. app.Scopes.Select(s => s.ToString())], app.RedirectUris);
}

/// <summary>
/// A suspension or a disconnection, then the revocation of the app's tokens. The state is written first (the vault and the
/// catalogue refuse the app from then on); when the grain says it is already so (<c>alreadyCode</c>: CONFLICT for a
/// suspended app, NOT_FOUND for no live connection — said only to a caller it allowed), the tokens are revoked anyway and
/// the error reported: revoking is idempotent, so retrying after a revocation that failed completes it.
/// </summary>
public static class AppRevocation
{
    public static async Task<T> ThenRevokeAsync<T>(Func<Task<T>> change, Func<Task<long>> revoke, string alreadyCode)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(revoke);
        T result;
        try
        {
            result = await change();
        }
        catch (ValidationFailedException e) when (e.Code == alreadyCode)
        {
            await revoke();
            throw;
        }
        await revoke();
        return result;
    }
}
