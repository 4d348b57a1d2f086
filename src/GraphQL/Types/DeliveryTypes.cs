using System.Globalization;
using Coffre.Domain.Access;
using Coffre.Domain.Contact;
using Coffre.Grains.Vaults;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>
/// Contact preferences and delivery records: <c>Vault.contactPreferences</c>, <c>Vault.deliveries</c> (owner and
/// representatives) and the support operators' <c>outboxDeliveries</c> query. Every decision is the vault grain's
/// (or, for operators, the evaluator's); nothing here shows a payload.
/// </summary>
public static class DeliveryFields
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 99;

    /// <summary>Adds <c>contactPreferences</c> and <c>deliveries(first, after)</c> to the vault type.</summary>
    public static void AddTo(ObjectGraphType<VaultView> vault)
    {
        vault.Field<NonNullGraphType<ContactPreferencesType>>("contactPreferences")
            .Description("The person's email, mobile, accepted alert channels in order and quiet hours. Owner and representatives (audited); others FORBIDDEN.")
            .ResolveAsync(async ctx => await ctx.Vault(ctx.Source.VaultId).GetContactPreferencesAsync(ctx.SignedInCaller()));

        vault.Field<NonNullGraphType<DeliveryConnectionType>>("deliveries")
            .Description($"The person's alerts beyond the app (email, SMS, post), newest first, with their delivery state. Owner and representatives; first: 1 to {MaxPageSize}.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx => await ctx.Vault(ctx.Source.VaultId)
                .GetDeliveriesAsync(ctx.SignedInCaller(), ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after")));
    }

    /// <summary>Adds <c>outboxDeliveries(messageId | vaultId, first, after)</c> to the query root: support operators.</summary>
    public static void AddSupportQuery(ObjectGraphType query) =>
        query.Field<NonNullGraphType<DeliveryConnectionType>>("outboxDeliveries")
            .Description("Delivery records of one outbox message (messageId) or of one vault's messages (vaultId), newest first: kind, channel, state, attempts " +
                $"and times, never payloads nor addresses. Support operators only; a lookup by vaultId is in the person's access history (deliveries.support-read); first: 1 to {MaxPageSize}.")
            .Argument<IdGraphType>("messageId")
            .Argument<IdGraphType>("vaultId")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                Guid? messageId = null;
                if (ctx.GetArgument<string?>("messageId") is { } raw)
                {
                    messageId = Guid.TryParse(raw, out var id) ? id : throw new ValidationFailedException("messageId", "is not a message id (a UUID)");
                }
                var vaultId = ctx.GetArgument<string?>("vaultId") is { } v
                    ? Schema.GlobalId.VaultId(v) ?? throw new ValidationFailedException("vaultId", "is not a vault id")
                    : null;
                return await ctx.Grains().GetGrain<IDeliverySupportGrain>(0)
                    .ListAsync(caller, messageId, vaultId, ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after"));
            });

    /// <summary>The input as the domain's preferences; a time that does not read is a rule broken on its field.</summary>
    public static (ContactPreferences? Value, List<ContactFieldError> Errors) ToPreferences(SetContactPreferencesInput input)
    {
        var errors = new List<ContactFieldError>();
        QuietHours? quiet = null;
        if (input.QuietHours is { } q)
        {
            var start = Time(q.Start, "quietHours.start", errors);
            var end = Time(q.End, "quietHours.end", errors);
            if (start is { } s && end is { } e)
            {
                quiet = new QuietHours(s, e);
            }
        }
        if ((input.Channels?.Count ?? 0) > Enum.GetValues<AlertChannel>().Length)
        {
            errors.Add(new ContactFieldError("channels", "TOO_MANY", "channels holds each of EMAIL, SMS and POST at most once"));
        }
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        var (value, rules) = ContactRules.Normalise(new ContactPreferences(input.Email, input.Mobile, input.Channels ?? [], quiet));
        return (value, [.. rules]);
    }

    private static TimeOnly? Time(string text, string field, List<ContactFieldError> errors)
    {
        if (TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }
        errors.Add(new ContactFieldError(field, "INVALID_TIME", $"{field} must be a local time HH:mm (00:00 to 23:59)"));
        return null;
    }
}

public sealed class AlertChannelType : EnumerationGraphType<AlertChannel> { public AlertChannelType() => Name = "AlertChannel"; }

public sealed class DeliveryChannelType : EnumerationGraphType<DeliveryChannel> { public DeliveryChannelType() => Name = "DeliveryChannel"; }

public sealed class DeliveryStatusType : EnumerationGraphType<DeliveryStatus>
{
    public DeliveryStatusType()
    {
        Name = "DeliveryStatus";
        Description = "PENDING (due, retrying or waiting for the end of quiet hours), SENT, BOUNCED (refused for good; may have fallen back to the next channel), " +
            "FAILED (given up after Coffre:Outbox:MaxAttempts attempts), UNDELIVERABLE (nobody to send to any more).";
    }
}

public sealed class QuietHoursType : ObjectGraphType<QuietHours>
{
    public QuietHoursType()
    {
        Name = "QuietHours";
        Description = "Local time in Europe/Paris (HH:mm); start after end spans midnight. No email nor SMS alert is sent in between: it waits for the end.";
        Field<NonNullGraphType<StringGraphType>>("start").Resolve(ctx => ctx.Source.Start.ToString("HH:mm", CultureInfo.InvariantCulture));
        Field<NonNullGraphType<StringGraphType>>("end").Resolve(ctx => ctx.Source.End.ToString("HH:mm", CultureInfo.InvariantCulture));
    }
}

public sealed class ContactPreferencesType : ObjectGraphType<ContactPreferences>
{
    public ContactPreferencesType()
    {
        Name = "ContactPreferences";
        Description = "Where and when the person accepts alerts beyond the app (new message, appointment reminder, first access, break-glass).";
        Field<StringGraphType>("email").Resolve(ctx => ctx.Source.Email);
        Field<StringGraphType>("mobile").Description("E.164 (+33612345678).").Resolve(ctx => ctx.Source.Mobile);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AlertChannelType>>>>("channels")
            .Description("Accepted channels in order of preference: an alert goes to the first one with an address; a bounce falls back to the next.")
            .Resolve(ctx => ctx.Source.Channels);
        Field<QuietHoursType>("quietHours").Resolve(ctx => ctx.Source.QuietHours);
    }
}

public sealed class DeliveryType : ObjectGraphType<DeliveryRecord>
{
    public DeliveryType()
    {
        Name = "Delivery";
        Description = "One outbox message's delivery: no payload, no address.";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(ctx => ctx.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("kind").Description("The notice (first-access, message-received, …) or the message kind.").Resolve(ctx => ctx.Source.Kind);
        Field<NonNullGraphType<DeliveryChannelType>>("channel").Resolve(ctx => ctx.Source.Channel);
        Field<NonNullGraphType<DeliveryStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field<NonNullGraphType<IntGraphType>>("attempts").Resolve(ctx => ctx.Source.Attempts);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("createdAt").Resolve(ctx => ctx.Source.CreatedAt);
        Field<DateTimeOffsetGraphType>("settledAt").Description("When it was sent or given up.").Resolve(ctx => ctx.Source.SettledAt);
        Field<DateTimeOffsetGraphType>("nextAttemptAt").Description("While pending: the next try (a retry, or the end of quiet hours).").Resolve(ctx => ctx.Source.NextAttemptAt);
    }
}

public sealed class DeliveryConnectionType : ObjectGraphType<DeliveryPage>
{
    public DeliveryConnectionType()
    {
        Name = "DeliveryConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DeliveryEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DeliveryType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].Cursor : null));
    }
}

public sealed class DeliveryEdgeType : ObjectGraphType<DeliveryRecord>
{
    public DeliveryEdgeType()
    {
        Name = "DeliveryEdge";
        Field<NonNullGraphType<DeliveryType>>("node").Resolve(ctx => ctx.Source);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.Cursor);
    }
}

public sealed record QuietHoursInput(string Start, string End);

public sealed record SetContactPreferencesInput(string VaultId, string? Email, string? Mobile, List<AlertChannel>? Channels, QuietHoursInput? QuietHours) : IVaultInput;

public sealed class QuietHoursInputType : InputObjectGraphType<QuietHoursInput>
{
    public QuietHoursInputType()
    {
        Name = "QuietHoursInput";
        Field<NonNullGraphType<StringGraphType>>("start").Description("HH:mm, Europe/Paris.");
        Field<NonNullGraphType<StringGraphType>>("end").Description("HH:mm, Europe/Paris; before start spans midnight.");
    }
}

public sealed class SetContactPreferencesInputType : InputObjectGraphType<SetContactPreferencesInput>
{
    public SetContactPreferencesInputType()
    {
        Name = "SetContactPreferencesInput";
        Description = "Replaces every preference: omitted email/mobile/quietHours are cleared.";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<StringGraphType>("email");
        Field<StringGraphType>("mobile").Description("A French mobile (06/07…) or an E.164 number.");
        Field<ListGraphType<NonNullGraphType<AlertChannelType>>>("channels").Description("Accepted alert channels in order of preference (each at most once).");
        Field<QuietHoursInputType>("quietHours");
    }
}

public sealed class SetContactPreferencesPayloadType() : PayloadType<ContactPreferencesType>("SetContactPreferencesPayload", "contactPreferences", withVault: false);
