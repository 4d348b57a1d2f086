using Coffre.Domain;
using Coffre.Grains.Events;
using Coffre.GraphQL.Subscriptions;
using Coffre.GraphQL.Types;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Schema;

/// <summary>
/// Subscriptions over graphql-transport-ws, pushed by the vault's events (see <see cref="VaultEventRelay"/>): nothing
/// polls, and no vault grain stays in memory because someone listens.
/// </summary>
public sealed class CoffreSubscription : ObjectGraphType
{
    public CoffreSubscription()
    {
        Name = "Subscription";

        Field<NonNullGraphType<VaultEventNodeType>>("vaultEventAdded")
            .Description("The vault's events as they happen (owner and representatives; the subscription is decided and audited when it starts). "
                + "With `after` (a cursor), first the events logged after it, then live, each event once and in order. Live delivery is at most once: "
                + "after a reconnect, subscribe again with the last cursor received (or read vaultEvents) to get what was missed.")
            .Argument<NonNullGraphType<IdGraphType>>("vaultId")
            .Argument<StringGraphType>("after", "Cursor of the last event you received (0: from the oldest kept, 30 days).")
            .ResolveStreamAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var vaultId = VaultIdArgument(ctx);
                long? after = ctx.GetArgument<string?>("after") is { } cursor ? VaultEventCursor.Parse(cursor, "after") : null;
                var events = ctx.Grains().GetGrain<IVaultEventsGrain>(vaultId);
                await events.AuthorizeEventsAsync(caller);
                return VaultEventFeeds.Events(Relay(ctx), events, caller, vaultId, after, Clock(ctx));
            });

        Field<NonNullGraphType<NotificationType>>("notificationAdded")
            .Description("The person's live notification feed (first access by a professional, break-glass, new document). Owner and representatives. "
                + "Read again on each event of the vault; vaultEventAdded adds a cursor to catch up after a reconnect.")
            .Argument<NonNullGraphType<IdGraphType>>("vaultId")
            .ResolveStreamAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var vaultId = VaultIdArgument(ctx);
                var vault = ctx.Vault(vaultId);
                var existing = await vault.GetNotificationsAsync(caller, 1);
                var since = existing.Count > 0 ? existing[0].CreatedAt : DateTimeOffset.MinValue;
                return VaultEventFeeds.Notifications(Relay(ctx), vault, ctx.Grains().GetGrain<IVaultEventsGrain>(vaultId), caller, vaultId, since, Clock(ctx));
            });
    }

    private static string VaultIdArgument(IResolveFieldContext ctx) =>
        GlobalId.VaultId(ctx.GetArgument<string>("vaultId"))
        ?? throw Errors.ErrorTranslation.WithField(new ExecutionError("vaultId is not a vault id") { Code = ErrorCodes.Validation }, "vaultId");

    private static VaultEventRelay Relay(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<VaultEventRelay>();

    private static TimeProvider Clock(IResolveFieldContext ctx) => ctx.RequestServices!.GetService<TimeProvider>() ?? TimeProvider.System;
}
