using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Types;

/// <summary>One action a carer may be delegated (the API's spelling of <see cref="CarerActions"/>' flags).</summary>
public enum CarerAction
{
    Read,
    Deposit,
    ManageAppointments,
}

public static class CarerActionMapping
{
    private static readonly (CarerAction Action, CarerActions Flag)[] Pairs =
        [(CarerAction.Read, CarerActions.Read), (CarerAction.Deposit, CarerActions.Deposit), (CarerAction.ManageAppointments, CarerActions.ManageAppointments)];

    public static CarerActions ToFlags(IEnumerable<CarerAction>? actions) =>
        (actions ?? []).Aggregate(CarerActions.None, (all, a) => all | Pairs.First(p => p.Action == a).Flag);

    public static List<CarerAction> ToList(CarerActions flags) => [.. Pairs.Where(p => (flags & p.Flag) != 0).Select(p => p.Action)];

    internal static DateTimeOffset Now(IResolveFieldContext ctx) => (ctx.RequestServices?.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
}

public sealed class CarerActionType : EnumerationGraphType<CarerAction>
{
    public CarerActionType()
    {
        Name = "CarerAction";
        Description = "What a carer may do within their delegation: READ (see and list documents of the delegated classes), DEPOSIT (add documents of those classes), MANAGE_APPOINTMENTS (the person's agenda).";
    }
}

public sealed class CarerDelegationStatusType : EnumerationGraphType<CarerDelegationStatus>
{
    public CarerDelegationStatusType() => Name = "CarerDelegationStatus";
}

/// <summary>A delegation as the person (and their representatives) see it on <c>Vault.carers</c>.</summary>
public sealed class CarerDelegationType : ObjectGraphType<CarerDelegation>
{
    public CarerDelegationType()
    {
        Name = "CarerDelegation";
        Description = "A carer (aidant) the person delegated to: which document classes, which actions, until when; ended by either side.";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(ctx => ctx.Source.Id);
        Field<NonNullGraphType<IdGraphType>>("carerVaultId").Description("The carer's own vault id (their Coffre account).").Resolve(ctx => ctx.Source.CarerVaultId);
        Field<StringGraphType>("label").Description("The person's name for the carer (e.g. \"my daughter\").").Resolve(ctx => ctx.Source.Label);
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("classCodes").Description("The delegated document classes (null: all).").Resolve(ctx => ctx.Source.Consent.Scope.ClassCodes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CarerActionType>>>>("actions").Resolve(ctx => CarerActionMapping.ToList(ctx.Source.Actions));
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("since").Description("When the carer accepted (the person's consent, IN_APP).").Resolve(ctx => ctx.Source.Consent.RecordedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("until").Resolve(ctx => ctx.Source.Consent.ExpiresAt);
        Field<NonNullGraphType<CarerDelegationStatusType>>("status").Resolve(ctx => ctx.Source.StatusAt(CarerActionMapping.Now(ctx)));
        Field<DateTimeOffsetGraphType>("endedAt").Resolve(ctx => ctx.Source.EndedAt);
        Field<StringGraphType>("endedBy").Description("Who ended it: the person's or the carer's vault id, a representative's, or replaced:{id} when the carer accepted a newer invitation.").Resolve(ctx => ctx.Source.EndedBy);
    }
}

/// <summary>A delegation as the carer sees it (<c>Query.myCarerDelegations</c>).</summary>
public sealed class MyCarerDelegationType : ObjectGraphType<CaringFor>
{
    public MyCarerDelegationType()
    {
        Name = "MyCarerDelegation";
        Description = "A person who made you their carer: open their vault with vault(id: vaultId) and act within the delegation.";
        Field<NonNullGraphType<IdGraphType>>("vaultId").Description("The person's vault.").Resolve(ctx => ctx.Source.PersonVaultId);
        Field<NonNullGraphType<IdGraphType>>("delegationId").Resolve(ctx => ctx.Source.DelegationId);
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("classCodes").Resolve(ctx => ctx.Source.ClassCodes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CarerActionType>>>>("actions").Resolve(ctx => CarerActionMapping.ToList(ctx.Source.Actions));
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("since").Resolve(ctx => ctx.Source.Since);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("until").Resolve(ctx => ctx.Source.Until);
        Field<NonNullGraphType<CarerDelegationStatusType>>("status").Resolve(ctx => ctx.Source.StatusAt(CarerActionMapping.Now(ctx)));
        Field<DateTimeOffsetGraphType>("endedAt").Resolve(ctx => ctx.Source.EndedAt);
    }
}

public sealed class CarerInvitationType : ObjectGraphType<CarerInvitation>
{
    public CarerInvitationType()
    {
        Name = "CarerInvitation";
        Description = "An invitation to be the person's carer: give the code to the carer (shown once; only its keyed hash is kept). Valid 72 hours; 5 wrong codes lock it.";
        Field(i => i.Reference);
        Field(i => i.Code).Description("REF123-XXXXX-XXXXX-C: the carer types it in acceptCarerInvitation.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("classCodes").Resolve(ctx => ctx.Source.ClassCodes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CarerActionType>>>>("actions").Resolve(ctx => CarerActionMapping.ToList(ctx.Source.Actions));
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("until").Resolve(ctx => ctx.Source.Until);
        Field<StringGraphType>("label").Resolve(ctx => ctx.Source.Label);
    }
}

public static class CarerFields
{
    /// <summary><c>Vault.carers</c>: the person's and their representatives' view of the delegations.</summary>
    public static void AddTo(ObjectGraphType<VaultView> vault) =>
        vault.Field<ListGraphType<NonNullGraphType<CarerDelegationType>>>("carers")
            .Description("The person's carers (aidants), live and ended, newest first. Owner and representatives only (null for others).")
            .Resolve(ctx => ctx.Source.Access?.CarerDelegations.Reverse().ToList());

    /// <summary><c>Query.myCarerDelegations</c>: the signed-in person's delegations as carer.</summary>
    public static void AddToQuery(ObjectGraphType query) =>
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<MyCarerDelegationType>>>>("myCarerDelegations")
            .Description("The people who made you (a signed-in person) their carer, newest first; others FORBIDDEN.")
            .ResolveAsync(async ctx =>
            {
                var caller = ctx.SignedInCaller();
                if (caller.VaultId is not { } own)
                {
                    throw new Coffre.Domain.Access.AccessDeniedException("Only a signed-in person has carer delegations.", Coffre.Domain.Access.DenialReason.NotPermitted);
                }
                return await ctx.Grains().GetGrain<ICarerIndexGrain>(Coffre.Grains.GrainNames.Keys.CarerIndex(own)).ListAsync(caller);
            });
}

public sealed record InviteCarerInput(string VaultId, List<string> ClassCodes, List<CarerAction> Actions, DateTimeOffset Until, string? Label) : IVaultInput;
public sealed record AcceptCarerInvitationInput(string Code);
public sealed record RecordCarerDelegationInput(string VaultId, string CarerVaultId, List<string> ClassCodes, List<CarerAction> Actions, DateTimeOffset Until,
    string? Label, Coffre.Domain.Vaults.ConsentMethod ConsentMethod, string Evidence) : IVaultInput;
public sealed record EndCarerDelegationInput(string VaultId, string DelegationId) : IVaultInput;

public sealed class InviteCarerInputType : InputObjectGraphType<InviteCarerInput>
{
    public InviteCarerInputType()
    {
        Name = "InviteCarerInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("classCodes").Description("1 to 20 document class codes of the habilitation matrix.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CarerActionType>>>>("actions");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("until").Description("In the future, at most one year ahead.");
        Field<StringGraphType>("label").Description("Your name for the carer, at most 80 characters.");
    }
}

public sealed class AcceptCarerInvitationInputType : InputObjectGraphType<AcceptCarerInvitationInput>
{
    public AcceptCarerInvitationInputType()
    {
        Name = "AcceptCarerInvitationInput";
        Field<NonNullGraphType<StringGraphType>>("code").Description("The invitation code the person gave you (REF123-XXXXX-XXXXX-C).");
    }
}

public sealed class RecordCarerDelegationInputType : InputObjectGraphType<RecordCarerDelegationInput>
{
    public RecordCarerDelegationInputType()
    {
        Name = "RecordCarerDelegationInput";
        Description = "A delegation a social referent records for a person far from digital tools, with their consent on paper or witnessed orally.";
        Field<NonNullGraphType<IdGraphType>>("vaultId").Description("The person's vault.");
        Field<NonNullGraphType<IdGraphType>>("carerVaultId").Description("The carer's own vault id (their Coffre account, e.g. from their hand-over sheet).");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("classCodes");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CarerActionType>>>>("actions");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("until").Description("In the future, at most one year ahead.");
        Field<StringGraphType>("label");
        Field<NonNullGraphType<ConsentMethodType>>("consentMethod").Description("SIGNED_PAPER or ORAL_WITNESSED.");
        Field<NonNullGraphType<StringGraphType>>("evidence").Description("The signed form's reference or the witness, 1 to 200 characters.");
    }
}

public sealed class EndCarerDelegationInputType : InputObjectGraphType<EndCarerDelegationInput>
{
    public EndCarerDelegationInputType()
    {
        Name = "EndCarerDelegationInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId").Description("The person's vault (the one the delegation is on).");
        Field<NonNullGraphType<IdGraphType>>("delegationId");
    }
}

public sealed class InviteCarerPayloadType() : PayloadType<CarerInvitationType>("InviteCarerPayload", "invitation", withVault: false);
public sealed class AcceptCarerInvitationPayloadType() : PayloadType<CarerDelegationType>("AcceptCarerInvitationPayload", "delegation");
public sealed class RecordCarerDelegationPayloadType() : PayloadType<CarerDelegationType>("RecordCarerDelegationPayload", "delegation", withVault: false);
public sealed class EndCarerDelegationPayloadType() : PayloadType<CarerDelegationType>("EndCarerDelegationPayload", "delegation", withVault: false);

public sealed class CarerDelegationStartedNoticeType : NoticeType<CarerDelegationStartedNotice>
{
    public CarerDelegationStartedNoticeType() : base("CARER_DELEGATION_STARTED: a carer accepted your invitation; their delegation is active.")
    {
        Field<NonNullGraphType<IdGraphType>>("delegationId").Resolve(ctx => ctx.Source.DelegationId);
        Field<NonNullGraphType<IdGraphType>>("carerVaultId").Resolve(ctx => ctx.Source.CarerVaultId);
        Field(n => n.Label, nullable: true);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CarerActionType>>>>("actions").Resolve(ctx => CarerActionMapping.ToList(ctx.Source.Actions));
        Field(n => n.Classes).Description("The delegated class codes, comma-separated, or \"all\".");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("until").Resolve(ctx => ctx.Source.Until);
    }
}

public sealed class CarerDelegationEndedNoticeType : NoticeType<CarerDelegationEndedNotice>
{
    public CarerDelegationEndedNoticeType() : base("CARER_DELEGATION_ENDED: a carer delegation was ended by you, a representative or the carer.")
    {
        Field<NonNullGraphType<IdGraphType>>("delegationId").Resolve(ctx => ctx.Source.DelegationId);
        Field<NonNullGraphType<IdGraphType>>("carerVaultId").Resolve(ctx => ctx.Source.CarerVaultId);
        Field(n => n.Label, nullable: true);
        Field(n => n.EndedBy);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("endedAt").Resolve(ctx => ctx.Source.EndedAt);
    }
}
