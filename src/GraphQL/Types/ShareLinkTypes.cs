using Coffre.Domain.Sharing;
using Coffre.Grains.Sharing;
using Coffre.Grains.Vaults;
using GraphQL;
using GraphQL.Types;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Types;

/// <summary>Share links on the vault (<c>Vault.shareLinks</c>) and the URL a link is opened at.</summary>
public static class ShareLinkFields
{
    public const int DefaultPageSize = 20;

    /// <summary>Configuration key of the public address links are built on (e.g. <c>https://coffre.example.fr</c>); else the request's own.</summary>
    public const string PublicBaseUrlKey = "Coffre:Share:PublicBaseUrl";

    public static IVaultSharingGrain Sharing(this IResolveFieldContext ctx, string vaultId) => ctx.Grains().GetGrain<IVaultSharingGrain>(vaultId);

    public static void AddTo(ObjectGraphType<VaultView> vault) =>
        vault.Field<NonNullGraphType<ShareLinkConnectionType>>("shareLinks")
            .Description($"The vault's share links, newest first, with their status and openings (never a code). The person and a parent or tutor; first: 1 to 50. Recorded in the access history (share.list).")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx => await ctx.Sharing(ctx.Source.VaultId).ListShareLinksAsync(ctx.SignedInCaller(),
                ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after")));

    /// <summary>Where the recipient opens a link: <c>{public base URL}/share/{linkId}</c>.</summary>
    public static string UrlOf(IResolveFieldContext ctx, string linkId)
    {
        var services = ctx.RequestServices!;
        var configured = services.GetService<IConfiguration>()?[PublicBaseUrlKey];
        var request = services.GetService<IHttpContextAccessor>()?.HttpContext?.Request;
        var origin = !string.IsNullOrWhiteSpace(configured) ? configured.TrimEnd('/')
            : request is not null ? $"{request.Scheme}://{request.Host}{request.PathBase}"
            : "";
        return $"{origin}/share/{linkId}";
    }
}

public sealed class ShareLinkStatusType : EnumerationGraphType<ShareLinkStatus>
{
    public ShareLinkStatusType()
    {
        Name = "ShareLinkStatus";
        Description = "ACTIVE (opens with its code), EXPIRED, USED_UP (every opening used), REVOKED (by the person or a parent or tutor), LOCKED (too many wrong codes).";
    }
}

public sealed class ShareLinkType : ObjectGraphType<ShareLinkView>
{
    public ShareLinkType()
    {
        Name = "ShareLink";
        Description = "A link that lets someone outside Coffre open chosen documents with a separate code, for a limited time and number of openings.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("The link's id (the last part of its URL); pass it to revokeShareLink.").Resolve(ctx => ctx.Source.LinkId);
        Field<NonNullGraphType<ShareLinkStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field(l => l.Label, nullable: true).Description("The person's own note (e.g. \"for the prefecture\").");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("documentIds").Resolve(ctx => ctx.Source.DocumentIds);
        Field<NonNullGraphType<IntGraphType>>("documentCount").Resolve(ctx => ctx.Source.DocumentIds.Count);
        Field(l => l.Openings).Description("Openings with the right code so far.");
        Field(l => l.MaxOpenings);
        Field(l => l.CreatedBy).Description("The vault id of who created it (the person, or a parent or tutor).");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("createdAt").Resolve(ctx => ctx.Source.CreatedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
        Field<DateTimeOffsetGraphType>("lastOpenedAt").Resolve(ctx => ctx.Source.LastOpenedAt);
        Field<DateTimeOffsetGraphType>("revokedAt").Resolve(ctx => ctx.Source.RevokedAt);
        Field<DateTimeOffsetGraphType>("lockedAt").Resolve(ctx => ctx.Source.LockedAt);
    }
}

public sealed class ShareLinkConnectionType : ObjectGraphType<ShareLinkPage>
{
    public ShareLinkConnectionType()
    {
        Name = "ShareLinkConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ShareLinkEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ShareLinkType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].LinkId : null));
        Field(p => p.TotalCount).Description("Links the vault remembers (the oldest ended ones are forgotten beyond 200).");
    }
}

public sealed class ShareLinkEdgeType : ObjectGraphType<ShareLinkView>
{
    public ShareLinkEdgeType()
    {
        Name = "ShareLinkEdge";
        Field<NonNullGraphType<ShareLinkType>>("node").Resolve(ctx => ctx.Source);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.LinkId);
    }
}

public sealed record CreateShareLinkInput(string VaultId, List<string> DocumentIds, DateTimeOffset? ExpiresAt, int? ValidForHours, int? MaxOpenings, string? Label) : IVaultInput;

public sealed record RevokeShareLinkInput(string VaultId, string LinkId) : IVaultInput;

/// <summary>What createShareLink answers: the link, its URL and its code (shown once).</summary>
public sealed record ShareLinkCreation(ShareLinkView Link, string Url, string Code);

public sealed class CreateShareLinkInputType : InputObjectGraphType<CreateShareLinkInput>
{
    public CreateShareLinkInputType()
    {
        Name = "CreateShareLinkInput";
        Description = $"1 to {ShareLinks.MaxDocuments} documents you may read; expiresAt or validForHours (default 7 days; 1 hour to 30 days); maxOpenings 1 to {ShareLinks.MaxOpenings} (default 1).";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("documentIds");
        Field<DateTimeOffsetGraphType>("expiresAt");
        Field<IntGraphType>("validForHours");
        Field<IntGraphType>("maxOpenings");
        Field<StringGraphType>("label");
    }
}

public sealed class RevokeShareLinkInputType : InputObjectGraphType<RevokeShareLinkInput>
{
    public RevokeShareLinkInputType()
    {
        Name = "RevokeShareLinkInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<IdGraphType>>("linkId");
    }
}

public sealed class CreateShareLinkPayloadType : ObjectGraphType<MutationPayload>
{
    public CreateShareLinkPayloadType()
    {
        Name = "CreateShareLinkPayload";
        Field<ShareLinkType>("shareLink").Resolve(ctx => (ctx.Source.Result as ShareLinkCreation)?.Link);
        Field<StringGraphType>("url").Description("Give it to the recipient one way (e.g. by email)…").Resolve(ctx => (ctx.Source.Result as ShareLinkCreation)?.Url);
        Field<StringGraphType>("code")
            .Description("…and this code another way (e.g. read aloud, SMS). Shown once: Coffre keeps only its keyed hash. XXXX-XXXX-C.")
            .Resolve(ctx => (ctx.Source.Result as ShareLinkCreation)?.Code);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<UserErrorType>>>>("userErrors")
            .Description("Expected failures (validation, quota, state), each naming its field.")
            .Resolve(ctx => ctx.Source.UserErrors);
    }
}

public sealed class RevokeShareLinkPayloadType() : PayloadType<ShareLinkType>("RevokeShareLinkPayload", "shareLink", withVault: false);

public sealed class ShareLinkOpenedNoticeType : NoticeType<ShareLinkOpenedNotice>
{
    public ShareLinkOpenedNoticeType() : base("SHARE_LINK_OPENED: someone opened one of your share links with its code.")
    {
        Field(n => n.LinkId);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
        Field(n => n.Openings).Description("Openings of this link so far.");
    }
}

public sealed class ShareLinkLockedNoticeType : NoticeType<ShareLinkLockedNotice>
{
    public ShareLinkLockedNoticeType() : base("SHARE_LINK_LOCKED: one of your share links locked after too many wrong codes; nobody can open it any more.")
    {
        Field(n => n.LinkId);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}
