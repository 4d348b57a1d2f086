using Coffre.Domain.Access;
using Coffre.Domain.Apps;
using Coffre.Grains;
using Coffre.Grains.Apps;
using Coffre.Grains.Vaults;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>A connection's status as the person sees it.</summary>
public enum AppConnectionStatus
{
    Connected = 0,
    Disconnected = 1,
    /// <summary>Live in the vault, but the catalogue suspended the app: it is refused everywhere.</summary>
    Suspended = 2,
}

/// <summary>A connection of the person's vault with its app's catalogue entry (null when the app left the catalogue).</summary>
public sealed record VaultAppConnection(AppConnection Connection, CatalogueApp? App);

public sealed class AppStatusType : EnumerationGraphType<AppStatus>
{
    public AppStatusType()
    {
        Name = "ConnectedAppStatus";
        Description = "ACTIVE: people may connect it; SUSPENDED: refused everywhere until reinstated.";
    }
}

public sealed class AppConnectionStatusType : EnumerationGraphType<AppConnectionStatus>
{
    public AppConnectionStatusType() => Name = "AppConnectionStatus";
}

/// <summary>One scope with its plain-words description (the consent screen's words).</summary>
public sealed class AppScopeType : ObjectGraphType<AppScope>
{
    public AppScopeType()
    {
        Name = "AppScope";
        Description = "A scope of a connected app: documents.read:{class}, documents.write:{class}, profile.read:{section}, profile.write:{section}, agenda.read, agenda.write.";
        Field<NonNullGraphType<StringGraphType>>("scope").Resolve(ctx => ctx.Source.ToString());
        Field<NonNullGraphType<StringGraphType>>("description")
            .Description("In the person's words, French first with English beside (as on the consent screen).")
            .Resolve(ctx => ConnectedAppFields.Describe(ctx.Source));
    }
}

public sealed class ConnectedAppType : ObjectGraphType<CatalogueApp>
{
    public ConnectedAppType()
    {
        Name = "ConnectedApp";
        Description = "An app of the catalogue: an OAuth client of Coffre's OpenID provider (its appId is its client_id) a person may connect to their vault.";
        Field<NonNullGraphType<IdGraphType>>("appId").Description("app- and 10 characters; the app's OAuth client_id.").Resolve(ctx => ctx.Source.AppId);
        Field(a => a.Name);
        Field(a => a.Publisher);
        Field(a => a.CertificationReference).Description("The State certification's reference.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AppScopeType>>>>("scopes").Description("What the app may ask a person for.").Resolve(ctx => ctx.Source.Scopes);
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("redirectUris").Description("Directory-admin operators only (null for others).")
            .Resolve(ctx => AccessEvaluator.AdministersApps(ctx.Caller()) ? ctx.Source.RedirectUris : null);
        Field<NonNullGraphType<AppStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("registeredAt").Resolve(ctx => ctx.Source.RegisteredAt);
        Field<DateTimeOffsetGraphType>("suspendedAt").Resolve(ctx => ctx.Source.SuspendedAt);
        Field<StringGraphType>("suspensionReason").Description("Directory-admin operators only.").Resolve(ctx => AccessEvaluator.AdministersApps(ctx.Caller()) ? ctx.Source.SuspensionReason : null);
    }
}

public sealed class ConnectedAppConnectionType : ObjectGraphType<CatalogueAppPage>
{
    public ConnectedAppConnectionType()
    {
        Name = "ConnectedAppConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ConnectedAppEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Apps);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Apps.Count > 0 ? ctx.Source.Apps[^1].AppId : null));
    }
}

public sealed class ConnectedAppEdgeType : ObjectGraphType<CatalogueApp>
{
    public ConnectedAppEdgeType()
    {
        Name = "ConnectedAppEdge";
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.AppId);
        Field<NonNullGraphType<ConnectedAppType>>("node").Resolve(ctx => ctx.Source);
    }
}

public sealed class AppConnectionType : ObjectGraphType<VaultAppConnection>
{
    public AppConnectionType()
    {
        Name = "AppConnection";
        Description = "An app the person connected to their vault, with the scopes they consented to.";
        Field<NonNullGraphType<IdGraphType>>("appId").Resolve(ctx => ctx.Source.Connection.AppId);
        Field<StringGraphType>("name").Description("From the catalogue (null if the app left it).").Resolve(ctx => ctx.Source.App?.Name);
        Field<StringGraphType>("publisher").Resolve(ctx => ctx.Source.App?.Publisher);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AppScopeType>>>>("scopes").Description("Exactly what the person consented to.")
            .Resolve(ctx => ctx.Source.Connection.Scopes);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("connectedAt").Resolve(ctx => ctx.Source.Connection.ConnectedAt);
        Field<DateTimeOffsetGraphType>("disconnectedAt").Resolve(ctx => ctx.Source.Connection.DisconnectedAt);
        Field<StringGraphType>("disconnectedBy").Description("The vault id of who disconnected it.").Resolve(ctx => ctx.Source.Connection.DisconnectedBy);
        Field<NonNullGraphType<AppConnectionStatusType>>("status").Resolve(ctx => ConnectedAppFields.StatusOf(ctx.Source));
    }
}

public static class ConnectedAppFields
{
    public const int DefaultPageSize = 20;

    public static string Describe(AppScope scope) => scope.Describe(c => HabilitationMatrix.Default.ClassCodes.GetValueOrDefault(c));

    public static AppConnectionStatus StatusOf(VaultAppConnection c) =>
        !c.Connection.IsActive ? AppConnectionStatus.Disconnected
        : c.App is not { Status: AppStatus.Active } ? AppConnectionStatus.Suspended
        : AppConnectionStatus.Connected;

    /// <summary><c>Vault.connectedApps</c>: the person's connections (owner, representatives), newest first, with one catalogue read.</summary>
    public static void AddTo(ObjectGraphType<VaultView> vault) =>
        vault.Field<ListGraphType<NonNullGraphType<AppConnectionType>>>("connectedApps")
            .Description("Apps connected to this vault (live and ended), newest first, with the consented scopes. Owner and representatives only (null for others).")
            .ResolveAsync(async ctx =>
            {
                if (ctx.Source.Access?.AppConnections is not { } connections)
                {
                    return null;
                }
                if (connections.Count == 0)
                {
                    return Array.Empty<VaultAppConnection>();
                }
                var apps = await ctx.Grains().GetGrain<IAppCatalogueGrain>(GrainNames.Keys.AppCatalogue)
                    .FindManyAsync([.. connections.Select(c => c.AppId).Distinct()]);
                return connections.Reverse().Select(c => new VaultAppConnection(c, apps.FirstOrDefault(a => a.AppId == c.AppId))).ToList();
            });

    /// <summary><c>Query.connectedAppCatalogue</c>.</summary>
    public static void AddToQuery(ObjectGraphType query) =>
        query.Field<NonNullGraphType<ConnectedAppConnectionType>>("connectedAppCatalogue")
            .Description("The catalogue of connected apps, by name: ACTIVE apps for anyone signed in, every app for operators. first: 1 to 50.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx => await ctx.Grains().GetGrain<IAppCatalogueGrain>(GrainNames.Keys.AppCatalogue)
                .ListAsync(ctx.SignedInCaller(), ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after")));
}

public sealed record RegisterConnectedAppInput(string Name, string Publisher, string CertificationReference, List<string> Scopes, List<string> RedirectUris);
public sealed record UpdateConnectedAppInput(string AppId, List<string>? Scopes, List<string>? RedirectUris);
public sealed record SuspendConnectedAppInput(string AppId, string Reason);
public sealed record ReinstateConnectedAppInput(string AppId);
public sealed record DisconnectAppInput(string VaultId, string AppId) : IVaultInput;

public sealed class RegisterConnectedAppInputType : InputObjectGraphType<RegisterConnectedAppInput>
{
    public RegisterConnectedAppInputType()
    {
        Name = "RegisterConnectedAppInput";
        Field<NonNullGraphType<StringGraphType>>("name").Description("1 to 100 characters.");
        Field<NonNullGraphType<StringGraphType>>("publisher").Description("1 to 100 characters.");
        Field<NonNullGraphType<StringGraphType>>("certificationReference").Description("The State certification's reference, 1 to 100 characters, unique in the catalogue.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("scopes")
            .Description("1 to 30 scopes: documents.read:{class}, documents.write:{class} (class codes of the matrix), profile.read:{section}, profile.write:{section}, agenda.read, agenda.write.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("redirectUris")
            .Description("1 to 5 absolute https URIs (http only on a loopback host).");
    }
}

public sealed class UpdateConnectedAppInputType : InputObjectGraphType<UpdateConnectedAppInput>
{
    public UpdateConnectedAppInputType()
    {
        Name = "UpdateConnectedAppInput";
        Field<NonNullGraphType<IdGraphType>>("appId");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("scopes").Description("The new list (null: unchanged). People's connections keep what they consented to.");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("redirectUris").Description("The new list (null: unchanged).");
    }
}

public sealed class SuspendConnectedAppInputType : InputObjectGraphType<SuspendConnectedAppInput>
{
    public SuspendConnectedAppInputType()
    {
        Name = "SuspendConnectedAppInput";
        Field<NonNullGraphType<IdGraphType>>("appId");
        Field<NonNullGraphType<StringGraphType>>("reason").Description("1 to 500 characters.");
    }
}

public sealed class ReinstateConnectedAppInputType : InputObjectGraphType<ReinstateConnectedAppInput>
{
    public ReinstateConnectedAppInputType()
    {
        Name = "ReinstateConnectedAppInput";
        Field<NonNullGraphType<IdGraphType>>("appId");
    }
}

public sealed class DisconnectAppInputType : InputObjectGraphType<DisconnectAppInput>
{
    public DisconnectAppInputType()
    {
        Name = "DisconnectAppInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<IdGraphType>>("appId");
    }
}

public sealed class RegisterConnectedAppPayloadType() : PayloadType<ConnectedAppType>("RegisterConnectedAppPayload", "app", withVault: false);
public sealed class UpdateConnectedAppPayloadType() : PayloadType<ConnectedAppType>("UpdateConnectedAppPayload", "app", withVault: false);
public sealed class SuspendConnectedAppPayloadType() : PayloadType<ConnectedAppType>("SuspendConnectedAppPayload", "app", withVault: false);
public sealed class ReinstateConnectedAppPayloadType() : PayloadType<ConnectedAppType>("ReinstateConnectedAppPayload", "app", withVault: false);
public sealed class DisconnectAppPayloadType() : PayloadType<AppConnectionType>("DisconnectAppPayload", "connection");

public sealed class AppConnectedNoticeType : NoticeType<AppConnectedNotice>
{
    public AppConnectedNoticeType() : base("APP_CONNECTED: you connected an app of the catalogue to your vault.")
    {
        Field<NonNullGraphType<IdGraphType>>("appId").Resolve(ctx => ctx.Source.AppId);
        Field(n => n.AppName);
        Field(n => n.Scopes).Description("The consented scopes, space-separated.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class AppDisconnectedNoticeType : NoticeType<AppDisconnectedNotice>
{
    public AppDisconnectedNoticeType() : base("APP_DISCONNECTED: an app was disconnected from your vault (by you or a representative); its tokens were revoked.")
    {
        Field<NonNullGraphType<IdGraphType>>("appId").Resolve(ctx => ctx.Source.AppId);
        Field(n => n.DisconnectedBy);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}
