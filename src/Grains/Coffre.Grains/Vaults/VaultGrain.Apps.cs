using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Apps;
using Coffre.Domain.Auditing;
using Coffre.Grains.Apps;

namespace Coffre.Grains.Vaults;

/// <summary>
/// Connected apps: the person connects an app of the catalogue on the consent screen (the scopes they allowed are recorded
/// here, in the access state the evaluator reads), the person or a parent or tutor disconnects it. The vault calls the
/// catalogue (which calls no vault), never the other way round.
/// </summary>
public sealed partial class VaultGrain : IVaultAppsGrain
{
    async Task<AppConnection> IVaultAppsGrain.ConnectAppAsync(Caller caller, string appId, IReadOnlyList<string> scopes)
    {
        _ = Access;
        var app = AppRules.IsAppId(appId) ? await GrainFactory.GetGrain<IAppCatalogueGrain>(GrainNames.Keys.AppCatalogue).FindAsync(appId) : null;
        if (app is not { Status: AppStatus.Active })
        {
            throw new ValidationFailedException("appId", "names no active app of the catalogue", ErrorCodes.NotFound);
        }
        var consented = AppInputRules.Scopes(scopes, matrix);
        if (consented.FirstOrDefault(s => !app.Scopes.Contains(s)) is { } undeclared)
        {
            throw new ValidationFailedException("scopes", $"holds {undeclared}, which the app did not declare in the catalogue");
        }
        await RateLimitAsync(caller, "app.connect");
        var now = Now;
        await RecordAsync(caller, "app.connect", AppTarget(appId), evaluator.DecideConnectApp(Access, caller, now), now);
        var live = Access.AppConnections.Where(c => c.IsActive).ToList();
        if (live.Count >= AppRules.MaxLiveConnections && live.All(c => c.AppId != appId))
        {
            throw new ValidationFailedException("appId", $"cannot be connected: {AppRules.MaxLiveConnections} apps are already connected; disconnect one first", ErrorCodes.Conflict);
        }
        var by = AuditEvents.ActorId(caller);
        var connection = new AppConnection(appId, consented, now, by);
        var connections = Access.AppConnections
            .Select(c => c.AppId == appId && c.IsActive ? c with { DisconnectedAt = now, DisconnectedBy = by } : c)
            .Append(connection).ToList();
        while (connections.Count > AppRules.KeptConnections && connections.FindIndex(c => !c.IsActive) is var oldest and >= 0)
        {
            connections.RemoveAt(oldest);
        }
        vault.State.Access = Access with { AppConnections = connections };
        await vault.WriteStateAsync();
        await NotifyAsync(new AppConnectedNotice(appId, app.Name, AppRules.Format(consented), now));
        return connection;
    }

    async Task<AppConnection> IVaultAppsGrain.DisconnectAppAsync(Caller caller, string appId)
    {
        await CheckAsync(caller, VaultAction.ManageConnectedApps, null, "app.disconnect", AppTarget(appId));
        var now = Now;
        var connections = Access.AppConnections.ToList();
        var i = connections.FindLastIndex(c => c.AppId == appId && c.IsActive);
        if (i < 0)
        {
            throw new ValidationFailedException("appId", "names no app connected to this vault", ErrorCodes.NotFound);
        }
        var ended = connections[i] with { DisconnectedAt = now, DisconnectedBy = AuditEvents.ActorId(caller) };
        connections[i] = ended;
        vault.State.Access = Access with { AppConnections = connections };
        await vault.WriteStateAsync();
        await NotifyAsync(new AppDisconnectedNotice(appId, ended.DisconnectedBy!, now));
        return ended;
    }

    /// <summary>The app as the access history names it: <c>app:{appId}</c>, or <c>app:invalid</c> for text that is no app id (never written as given).</summary>
    private static string AppTarget(string appId) => "app:" + (AppRules.IsAppId(appId) ? appId : "invalid");

}
