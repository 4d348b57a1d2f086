using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Grains;
using Coffre.Grains.Feeds;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>An establishment's feed counters (<c>Establishment.feedStatistics</c>).</summary>
public sealed class FeedStatisticsType : ObjectGraphType<FeedStatistics>
{
    public FeedStatisticsType()
    {
        Name = "FeedStatistics";
        Description = "What an establishment's system fed through POST /feeds/documents since its first feed (durable, per establishment).";
        Field(s => s.Finess);
        Field<NonNullGraphType<LongGraphType>>("requests").Description("Feed requests answered (not those told RETRY_LATER).").Resolve(ctx => ctx.Source.Requests);
        Field<NonNullGraphType<LongGraphType>>("accepted").Description("Documents stored.").Resolve(ctx => ctx.Source.Accepted);
        Field<NonNullGraphType<LongGraphType>>("duplicate").Description("Documents sent again under an external id already fed (nothing stored again).").Resolve(ctx => ctx.Source.Duplicate);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<FeedRefusalCountType>>>>("refused")
            .Description("Documents refused, by code (UNKNOWN_PERSON, OPPOSED, OUTSIDE_SCOPE, VALIDATION, …).")
            .Resolve(ctx => ctx.Source.Refused.ToList());
        Field<DateTimeOffsetGraphType>("lastFeedAt").Resolve(ctx => ctx.Source.LastFeedAt);
    }

    /// <summary>The field on <c>Establishment</c>: the establishment's own system and support operators (the grain decides).</summary>
    public static void AddTo(ObjectGraphType<Grains.Establishments.EstablishmentProfile> establishment) =>
        establishment.Field<FeedStatisticsType>("feedStatistics")
            .Description("Its feed counters: its own system (client credentials) and support operators; FORBIDDEN to anyone else.")
            .ResolveAsync(async ctx => await ctx.Grains().GetGrain<IFeedStatisticsGrain>(GrainNames.Keys.FeedStatistics(ctx.Source.Finess)).GetAsync(ctx.SignedInCaller()));
}

public sealed class FeedRefusalCountType : ObjectGraphType<KeyValuePair<string, long>>
{
    public FeedRefusalCountType()
    {
        Name = "FeedRefusalCount";
        Field<NonNullGraphType<StringGraphType>>("code").Resolve(ctx => ctx.Source.Key);
        Field<NonNullGraphType<LongGraphType>>("count").Resolve(ctx => ctx.Source.Value);
    }
}

/// <summary>One feed scope of the matrix (<c>HabilitationMatrix.feedScopes</c>).</summary>
public sealed class FeedScopeInfoType : ObjectGraphType<FeedScopeInfo>
{
    public FeedScopeInfoType()
    {
        Name = "FeedScope";
        Description = "What establishments of these FINESS categories may deposit through the bulk feed.";
        Field(f => f.Name);
        Field(f => f.Label);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("categories").Resolve(ctx => ctx.Source.Categories);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("typeCodes").Resolve(ctx => ctx.Source.TypeCodes);
    }
}

/// <summary>The establishment that fed a document (<c>Document.sender</c>).</summary>
public sealed class DocumentSenderType : ObjectGraphType<DocumentEntry>
{
    public DocumentSenderType()
    {
        Name = "DocumentSender";
        Description = "The establishment whose system fed the document.";
        Field<NonNullGraphType<StringGraphType>>("finess").Resolve(ctx => ctx.Source.SourceFiness);
        Field<NonNullGraphType<StringGraphType>>("name").Description("Its name in the directory when it fed the document.").Resolve(ctx => ctx.Source.SenderName);
        Field<StringGraphType>("externalId").Description("The sender's own id of the document (its idempotency key).").Resolve(ctx => ctx.Source.ExternalId);
    }
}
