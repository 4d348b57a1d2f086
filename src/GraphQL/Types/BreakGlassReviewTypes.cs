using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Establishments;
using Coffre.Grains.Vaults;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed class BreakGlassReviewStatusType : EnumerationGraphType<BreakGlassReviewStatus>
{
    public BreakGlassReviewStatusType() => Name = "BreakGlassReviewStatus";
}

public sealed class BreakGlassReviewOutcomeType : EnumerationGraphType<BreakGlassReviewOutcome>
{
    public BreakGlassReviewOutcomeType() => Name = "BreakGlassReviewOutcome";
}

/// <summary>The review of a session, as the person sees it on <c>BreakGlassSession.review</c>.</summary>
public sealed class BreakGlassReviewType : ObjectGraphType<BreakGlassReview>
{
    public BreakGlassReviewType()
    {
        Name = "BreakGlassReview";
        Description = "The review of a break-glass session the person flagged: OPEN until an operator records the outcome.";
        Field<NonNullGraphType<IdGraphType>>("caseId").Resolve(ctx => ctx.Source.CaseId);
        Field<NonNullGraphType<BreakGlassReviewStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("flaggedAt").Resolve(ctx => ctx.Source.FlaggedAt);
        Field<StringGraphType>("comment").Resolve(ctx => ctx.Source.Comment);
        Field<BreakGlassReviewOutcomeType>("outcome").Resolve(ctx => ctx.Source.Outcome);
        Field<StringGraphType>("note").Description("The operator's explanation of the outcome.").Resolve(ctx => ctx.Source.Note);
        Field<DateTimeOffsetGraphType>("resolvedAt").Resolve(ctx => ctx.Source.ResolvedAt);
    }
}

/// <summary>One case in the operators' queue (<c>Query.breakGlassReviews</c>).</summary>
public sealed class BreakGlassReviewCaseType : ObjectGraphType<BreakGlassReviewCase>
{
    public BreakGlassReviewCaseType()
    {
        Name = "BreakGlassReviewCase";
        Description = "A break-glass session a person did not recognise: who opened it, when, why, and the person's comment (no document content).";
        Field<NonNullGraphType<IdGraphType>>("caseId").Resolve(ctx => ctx.Source.CaseId);
        Field<NonNullGraphType<IdGraphType>>("vaultId").Resolve(ctx => ctx.Source.VaultId);
        Field<NonNullGraphType<IdGraphType>>("sessionId").Resolve(ctx => ctx.Source.SessionId);
        Field(c => c.Rpps);
        Field(c => c.ProfessionCode, nullable: true);
        Field(c => c.Finess, nullable: true).Description("The establishment the professional acted for, if any.");
        Field(c => c.Reason);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("startedAt").Resolve(ctx => ctx.Source.StartedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("flaggedAt").Resolve(ctx => ctx.Source.FlaggedAt);
        Field<StringGraphType>("comment").Resolve(ctx => ctx.Source.Comment);
        Field<NonNullGraphType<BreakGlassReviewStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field<BreakGlassReviewOutcomeType>("outcome").Resolve(ctx => ctx.Source.Outcome);
        Field<StringGraphType>("note").Resolve(ctx => ctx.Source.Note);
        Field<DateTimeOffsetGraphType>("resolvedAt").Resolve(ctx => ctx.Source.ResolvedAt);
    }
}

public sealed class BreakGlassReviewCaseConnectionType : ObjectGraphType<BreakGlassReviewPage>
{
    public BreakGlassReviewCaseConnectionType()
    {
        Name = "BreakGlassReviewCaseConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<BreakGlassReviewCaseEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<BreakGlassReviewCaseType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].CaseId : null));
    }
}

public sealed class BreakGlassReviewCaseEdgeType : ObjectGraphType<BreakGlassReviewCase>
{
    public BreakGlassReviewCaseEdgeType()
    {
        Name = "BreakGlassReviewCaseEdge";
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.CaseId);
        Field<NonNullGraphType<BreakGlassReviewCaseType>>("node").Resolve(ctx => ctx.Source);
    }
}

/// <summary>One session in an establishment's list (<c>Establishment.breakGlassSessions</c>).</summary>
public sealed class EstablishmentBreakGlassSessionType : ObjectGraphType<BreakGlassLogEntry>
{
    public EstablishmentBreakGlassSessionType()
    {
        Name = "EstablishmentBreakGlassSession";
        Description = "A break-glass session one of the establishment's professionals opened while acting for it: who, when, why, the person's review (no document content).";
        Field<NonNullGraphType<IdGraphType>>("sessionId").Resolve(ctx => ctx.Source.SessionId);
        Field<NonNullGraphType<IdGraphType>>("vaultId").Resolve(ctx => ctx.Source.VaultId);
        Field(e => e.Rpps);
        Field(e => e.ProfessionCode, nullable: true);
        Field(e => e.Reason);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("startedAt").Resolve(ctx => ctx.Source.StartedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
        Field<BreakGlassReviewStatusType>("reviewStatus").Description("Null: the person did not flag it.").Resolve(ctx => ctx.Source.ReviewStatus);
        Field<BreakGlassReviewOutcomeType>("reviewOutcome").Resolve(ctx => ctx.Source.Outcome);
    }
}

public sealed class EstablishmentBreakGlassSessionConnectionType : ObjectGraphType<BreakGlassLogPage>
{
    public EstablishmentBreakGlassSessionConnectionType()
    {
        Name = "EstablishmentBreakGlassSessionConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EstablishmentBreakGlassSessionEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EstablishmentBreakGlassSessionType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].SessionId : null));
    }
}

public sealed class EstablishmentBreakGlassSessionEdgeType : ObjectGraphType<BreakGlassLogEntry>
{
    public EstablishmentBreakGlassSessionEdgeType()
    {
        Name = "EstablishmentBreakGlassSessionEdge";
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.SessionId);
        Field<NonNullGraphType<EstablishmentBreakGlassSessionType>>("node").Resolve(ctx => ctx.Source);
    }
}

public static class BreakGlassReviewFields
{
    public const int DefaultPageSize = 20;

    /// <summary>Fields added to <c>BreakGlassSession</c> for the review.</summary>
    public static void AddToSession(ObjectGraphType<BreakGlassSession> session)
    {
        session.Field<IdGraphType>("id").Description("Null only for sessions recorded before reviews existed (they cannot be flagged).").Resolve(ctx => ctx.Source.Id);
        session.Field<StringGraphType>("profession").Description("The professional's profession code, from the directory.").Resolve(ctx => ctx.Source.ProfessionCode);
        session.Field<StringGraphType>("finess").Description("The establishment the professional acted for, if any.").Resolve(ctx => ctx.Source.Finess);
        session.Field<BreakGlassReviewType>("review").Description("Null until you flag the session (flagBreakGlassSession).").Resolve(ctx => ctx.Source.Review);
    }

    /// <summary><c>Establishment.breakGlassSessions(first, after)</c>: its referent physician's list.</summary>
    public static void AddTo(ObjectGraphType<EstablishmentProfile> establishment) =>
        establishment.Field<NonNullGraphType<EstablishmentBreakGlassSessionConnectionType>>("breakGlassSessions")
            .Description("Break-glass sessions opened by professionals acting for this establishment, newest first, with the persons' reviews: its referent " +
                "physician (an admin member who is a physician, acting for it: token finess) and support operators; others FORBIDDEN. first: 1 to 50.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx => await ctx.Grains().GetGrain<IBreakGlassLogGrain>(GrainNames.Keys.BreakGlassLog(ctx.Source.Finess))
                .ListAsync(ctx.SignedInCaller(), ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after")));

    /// <summary><c>Query.breakGlassReviews(status, first, after)</c>: the operators' queue.</summary>
    public static void AddToQuery(ObjectGraphType query) =>
        query.Field<NonNullGraphType<BreakGlassReviewCaseConnectionType>>("breakGlassReviews")
            .Description("Break-glass review cases (support operators): OPEN (default) oldest flag first, or RESOLVED. first: 1 to 50.")
            .Argument<BreakGlassReviewStatusType>("status", a => a.DefaultValue = BreakGlassReviewStatus.Open)
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx => await ctx.Grains().GetGrain<IBreakGlassReviewQueueGrain>(0)
                .ListAsync(ctx.SignedInCaller(), ctx.GetArgument("status", BreakGlassReviewStatus.Open), ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after")));
}

public sealed record FlagBreakGlassSessionInput(string VaultId, string SessionId, string? Comment) : IVaultInput;
public sealed record ResolveBreakGlassReviewInput(string CaseId, BreakGlassReviewOutcome Outcome, string Note);

public sealed class FlagBreakGlassSessionInputType : InputObjectGraphType<FlagBreakGlassSessionInput>
{
    public FlagBreakGlassSessionInputType()
    {
        Name = "FlagBreakGlassSessionInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<IdGraphType>>("sessionId");
        Field<StringGraphType>("comment").Description("What you want the operator to know, at most 1000 characters.");
    }
}

public sealed class ResolveBreakGlassReviewInputType : InputObjectGraphType<ResolveBreakGlassReviewInput>
{
    public ResolveBreakGlassReviewInputType()
    {
        Name = "ResolveBreakGlassReviewInput";
        Field<NonNullGraphType<IdGraphType>>("caseId");
        Field<NonNullGraphType<BreakGlassReviewOutcomeType>>("outcome");
        Field<NonNullGraphType<StringGraphType>>("note").Description("The explanation shown to the person, 1 to 2000 characters.");
    }
}

public sealed class FlagBreakGlassSessionPayloadType() : PayloadType<BreakGlassSessionType>("FlagBreakGlassSessionPayload", "session", withVault: false);
public sealed class ResolveBreakGlassReviewPayloadType() : PayloadType<BreakGlassReviewCaseType>("ResolveBreakGlassReviewPayload", "reviewCase", withVault: false);

public sealed class BreakGlassReviewedNoticeType : NoticeType<BreakGlassReviewedNotice>
{
    public BreakGlassReviewedNoticeType() : base("BREAK_GLASS_REVIEWED: an operator reviewed a break-glass session you flagged.")
    {
        Field<NonNullGraphType<IdGraphType>>("sessionId").Resolve(ctx => ctx.Source.SessionId);
        Field<NonNullGraphType<IdGraphType>>("caseId").Resolve(ctx => ctx.Source.CaseId);
        Field<NonNullGraphType<BreakGlassReviewOutcomeType>>("outcome").Resolve(ctx => ctx.Source.Outcome);
        Field(n => n.Note);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("resolvedAt").Resolve(ctx => ctx.Source.ResolvedAt);
    }
}
