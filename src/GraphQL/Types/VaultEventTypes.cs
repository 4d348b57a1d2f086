using System.Globalization;
using GraphQL;
using Coffre.Grains.Events;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed class VaultEventKindType : EnumerationGraphType<VaultEventKind>
{
    public VaultEventKindType()
    {
        Name = "VaultEventKind";
        Description = "What happened in a vault; subjectId names the object (DOCUMENT_ADDED: a document id; ACCESS_RECORDED: the access event's sequence in accessHistory; MESSAGE_RECEIVED: a conversation; APPOINTMENT_CHANGED, REMINDER_DUE: an appointment; NOTIFICATION_ADDED: a notification of the person's feed).";
    }
}

public sealed class VaultEventNodeType : ObjectGraphType<VaultEventEntry>
{
    public VaultEventNodeType()
    {
        Name = "VaultEvent";
        Description = "Something happened in a vault: its kind and the id of the object concerned — read the object through the API (access is decided there). No content, no personal data.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("The event's own id (unique).").Resolve(ctx => ctx.Source.Event.Id);
        Field<NonNullGraphType<IdGraphType>>("vaultId").Resolve(ctx => ctx.Source.Event.VaultId);
        Field<NonNullGraphType<VaultEventKindType>>("kind").Resolve(ctx => ctx.Source.Event.Kind);
        Field<NonNullGraphType<IdGraphType>>("subjectId").Resolve(ctx => ctx.Source.Event.SubjectId);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.Event.At);
        Field<NonNullGraphType<StringGraphType>>("cursor")
            .Description("This event's position in its vault's event log: pass it as `after` to vaultEvents or vaultEventAdded to get what came next.")
            .Resolve(ctx => VaultEventCursor.Of(ctx.Source.Position));
    }
}

public sealed class VaultEventConnectionType : ObjectGraphType<VaultEventPage>
{
    public VaultEventConnectionType()
    {
        Name = "VaultEventConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<VaultEventEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<VaultEventNodeType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasMore, ctx.Source.Items.Count > 0 ? VaultEventCursor.Of(ctx.Source.Items[^1].Position) : null));
    }
}

public sealed class VaultEventEdgeType : ObjectGraphType<VaultEventEntry>
{
    public VaultEventEdgeType()
    {
        Name = "VaultEventEdge";
        Field<NonNullGraphType<VaultEventNodeType>>("node").Resolve(ctx => ctx.Source);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => VaultEventCursor.Of(ctx.Source.Position));
    }
}

/// <summary>A vault event cursor is its position in the vault's log, in decimal ("0": before the first event).</summary>
public static class VaultEventCursor
{
    public static string Of(long position) => position.ToString(CultureInfo.InvariantCulture);

    /// <summary>The position a cursor names, or a VALIDATION error naming <paramref name="field"/>.</summary>
    public static long Parse(string cursor, string field) =>
        long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            ? position
            : throw Errors.ErrorTranslation.WithField(
                new global::GraphQL.ExecutionError($"{field} must be a cursor of this vault's events (a cursor or pageInfo.endCursor from vaultEvents or vaultEventAdded)") { Code = Domain.ErrorCodes.Validation }, field);
}

/// <summary>The query side of vault events (added to Query by <see cref="Schema.CoffreQuery"/>).</summary>
public static class VaultEventQueries
{
    public const int MaxFirst = 100;

    public static void AddVaultEvents(ObjectGraphType query) =>
        query.Field<NonNullGraphType<VaultEventConnectionType>>("vaultEvents")
            .Description("The vault's events after a cursor, oldest first (kept 30 days): how a client catches up after a reconnect. Owner and representatives; audited.")
            .Argument<NonNullGraphType<global::GraphQL.Types.IdGraphType>>("vaultId")
            .Argument<StringGraphType>("after", "A cursor (0 or none: from the oldest kept).")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 50)
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                var vaultId = Schema.GlobalId.VaultId(ctx.GetArgument<string>("vaultId"))
                    ?? throw Errors.ErrorTranslation.WithField(new global::GraphQL.ExecutionError("vaultId is not a vault id") { Code = Domain.ErrorCodes.Validation }, "vaultId");
                var first = ctx.GetArgument("first", 50);
                if (first is < 1 or > MaxFirst)
                {
                    throw Errors.ErrorTranslation.WithField(new global::GraphQL.ExecutionError($"first must be between 1 and {MaxFirst}") { Code = Domain.ErrorCodes.Validation }, "first");
                }
                var after = ctx.GetArgument<string?>("after") is { } cursor ? VaultEventCursor.Parse(cursor, "after") : 0;
                return await ctx.Grains().GetGrain<IVaultEventsGrain>(vaultId).ReadEventsAsync(caller, after, first);
            });
}
