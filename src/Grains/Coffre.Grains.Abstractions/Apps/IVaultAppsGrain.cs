using Coffre.Domain.Access;
using Coffre.Domain.Apps;

namespace Coffre.Grains.Apps;

/// <summary>
/// A person's connected apps, held by their vault grain (same key as <see cref="Vaults.IVaultGrain"/>): the connection
/// lives in the vault's access state (<see cref="Domain.Vaults.VaultAccessState.AppConnections"/>), where the evaluator
/// reads it. The list is <c>Vault.connectedApps</c> (the vault's state as its owner and representatives see it).
/// </summary>
[Alias("coffre.vault-apps")]
public interface IVaultAppsGrain : IGrainWithStringKey
{
    /// <summary>
    /// The person allowed the app on the consent screen: records the connection with exactly <paramref name="scopes"/>
    /// (each declared by the app in the catalogue, which must list it as active), decided by
    /// <see cref="AccessEvaluator.DecideConnectApp"/> (the person themself) and audited (<c>app.connect</c>); the person is
    /// notified (<c>APP_CONNECTED</c>). A live connection of the same app is replaced (its scopes are those of the latest consent).
    /// </summary>
    [Alias("app-connect")] Task<AppConnection> ConnectAppAsync(Caller caller, string appId, IReadOnlyList<string> scopes);

    /// <summary>
    /// Ends the app's live connection at once (the evaluator refuses it from now on), decided as
    /// <see cref="VaultAction.ManageConnectedApps"/> (the person, a parent or tutor) and audited (<c>app.disconnect</c>);
    /// the person is notified (<c>APP_DISCONNECTED</c>). The API then revokes the app's tokens for this person.
    /// </summary>
    [Alias("app-disconnect")] Task<AppConnection> DisconnectAppAsync(Caller caller, string appId);
}
