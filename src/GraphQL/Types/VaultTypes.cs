using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Schema;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.GraphQL.Types;

/// <summary>Relay's Node interface: a globally unique, opaque id.</summary>
public sealed class NodeInterface : InterfaceGraphType
{
    public NodeInterface()
    {
        Name = "Node";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Globally unique, opaque id: pass it to node(id:).");
    }
}

public sealed class VaultType : ObjectGraphType<VaultView>
{
    public VaultType()
    {
        Name = "Vault";
        Description = "A person's document vault, as the caller may see it.";
        Interface<NodeInterface>();
        IsTypeOf = o => o is VaultView;
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(ctx => GlobalId.Encode("Vault", ctx.Source.VaultId));
        Field(v => v.VaultId).Description("The vault's own id (v-…): what the person shows a professional.");
        Field<NonNullGraphType<VaultStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field<IdentityTraitsType>("identity").Description("Identity traits; null for operators and connected apps.").Resolve(ctx => ctx.Source.Identity);
        Field(v => v.QuotaBytes);
        Field(v => v.UsedBytes);
        Field(v => v.DocumentCount).Description("Documents in the vault (all of them, including those the caller may not see).");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("createdAt").Resolve(ctx => ctx.Source.CreatedAt);
        Field(v => v.MergedInto, nullable: true).Description("Set when an operator merged this vault into the person's other vault (it is then closed).");
        Field<NonNullGraphType<LegalBasisType>>("basis").Description("On what ground you see this vault.").Resolve(ctx => ctx.Source.Basis);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<VaultActionType>>>>("capabilities")
            .Description("What you may do here: use it to show or hide buttons.").ResolveAsync(async ctx => await VaultReads.CapabilitiesAsync(ctx));

        Field<NonNullGraphType<DocumentConnectionType>>("documents")
            .Description("Documents you may see, newest first (cursor pagination).")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 20)
            .Argument<StringGraphType>("after")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("classCodes")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("typeCodes")
            .Argument<DateTimeOffsetGraphType>("from")
            .Argument<DateTimeOffsetGraphType>("to")
            .ResolveAsync(async ctx => await VaultReads.DocumentsAsync(ctx));

        Field<DocumentType>("document")
            .Argument<NonNullGraphType<StringGraphType>>("documentId")
            .ResolveAsync(async ctx => await ctx.Vault(ctx.Source.VaultId).GetDocumentAsync(ctx.Caller(), ctx.GetArgument<string>("documentId")));

        Field<ListGraphType<NonNullGraphType<GrantType>>>("grants").Description("Owner and representatives only.").Resolve(ctx => ctx.Source.Access?.Grants);
        Field<ListGraphType<NonNullGraphType<BlockType>>>("blocks").Description("Owner and representatives only.").Resolve(ctx => ctx.Source.Access?.Blocks);
        Field<ListGraphType<NonNullGraphType<ReferentType>>>("referents").Description("Owner and representatives only.").Resolve(ctx => ctx.Source.Access?.Referents);
        Field<ListGraphType<NonNullGraphType<RepresentativeType>>>("representatives").Description("Owner and representatives only.").Resolve(ctx => ctx.Source.Access?.Representatives);
        Field<ListGraphType<NonNullGraphType<BreakGlassSessionType>>>("breakGlassSessions")
            .Description("Emergency sessions on this vault (the most recent 50, ended ones included) with their reasons and reviews. Owner and representatives only.")
            .Resolve(ctx => ctx.Source.Access?.BreakGlassSessions);
        CarerFields.AddTo(this);
        ConnectedAppFields.AddTo(this);

        Field<NonNullGraphType<AccessEventConnectionType>>("accessHistory")
            .Description("Every access to this vault, allowed or denied, newest first. Owner and representatives.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 20)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx =>
            {
                long? before = ctx.GetArgument<string?>("after") is { } cursor && long.TryParse(cursor, out var seq) ? seq : null;
                return await ctx.Vault(ctx.Source.VaultId).GetAccessHistoryAsync(ctx.Caller(), before, ctx.GetArgument("first", 20));
            });

        Field<NonNullGraphType<ListGraphType<NonNullGraphType<NotificationType>>>>("notifications")
            .Description("The person's notifications (see NotificationKind), newest first. Owner and representatives.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 20)
            .ResolveAsync(async ctx => await ctx.Vault(ctx.Source.VaultId).GetNotificationsAsync(ctx.Caller(), ctx.GetArgument("first", 20)));

        DeliveryFields.AddTo(this);

        Field<NonNullGraphType<AuditChainReportType>>("auditIntegrity")
            .Description("Recomputes this vault's audit hash chain and reports the first event that does not verify (owner, representatives, operators).")
            .ResolveAsync(async ctx => await ctx.Vault(ctx.Source.VaultId).VerifyAuditChainAsync(ctx.Caller()));

        MessagingFields.AddToVault(this);
        AgendaFields.AddTo(this);
        ProfileFields.AddTo(this);
        ShareLinkFields.AddTo(this);
        ExportFields.AddTo(this);

        Field<NonNullGraphType<AccessExplanationType>>("why")
            .Description("Why you can or cannot do this action (on this document): a reason code and a sentence to show.")
            .Argument<NonNullGraphType<VaultActionType>>("action")
            .Argument<StringGraphType>("documentId")
            .ResolveAsync(async ctx => await ctx.Vault(ctx.Source.VaultId).ExplainAsync(ctx.Caller(), ctx.GetArgument<VaultAction>("action"), ctx.GetArgument<string?>("documentId")));
    }
}

public sealed class IdentityTraitsType : ObjectGraphType<IdentityTraits>
{
    public IdentityTraitsType()
    {
        Name = "IdentityTraits";
        Field(i => i.FamilyName);
        Field(i => i.GivenNames);
        Field(i => i.UsualName, nullable: true);
        Field<NonNullGraphType<DateOnlyGraphType>>("birthDate").Resolve(ctx => ctx.Source.BirthDate);
        Field<NonNullGraphType<SexType>>("sex").Resolve(ctx => ctx.Source.Sex);
        Field(i => i.NirMasked, nullable: true).Description("The NIR with only its first digit and key shown.");
    }
}

public sealed class DocumentType : ObjectGraphType<DocumentEntry>
{
    public DocumentType()
    {
        Name = "Document";
        Description = "A document's metadata; its content is downloaded from downloadPath with the same token.";
        Interface<NodeInterface>();
        IsTypeOf = o => o is DocumentEntry;
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(ctx => GlobalId.Encode("Document", VaultOf(ctx.Source) + "/" + ctx.Source.Id));
        Field<NonNullGraphType<StringGraphType>>("documentId").Resolve(ctx => ctx.Source.Id);
        Field(d => d.Title);
        Field(d => d.ClassCode).Description("CI-SIS classCode (TRE_A03). Class 90 = deposited by the person: show it distinctly.");
        Field(d => d.TypeCode).Description("CI-SIS typeCode (JDV_J07: LOINC or ATTEST-*, PIECE-IDENTITE, DOCPAT…).");
        Field<NonNullGraphType<AuthorType>>("author").Resolve(ctx => ctx.Source.Author);
        Field(d => d.SourceFiness, nullable: true);
        Field<DocumentSenderType>("sender").Description("The establishment whose system fed this document (POST /feeds/documents); null otherwise.")
            .Resolve(ctx => ctx.Source.ExternalId is not null && ctx.Source.SourceFiness is not null ? ctx.Source : null);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("createdAt").Resolve(ctx => ctx.Source.CreatedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("updatedAt").Resolve(ctx => ctx.Source.UpdatedAt);
        Field<DateOnlyGraphType>("serviceDate").Resolve(ctx => ctx.Source.ServiceDate);
        Field<NonNullGraphType<LongGraphType>>("size").Resolve(ctx => ctx.Source.Size);
        Field<NonNullGraphType<Sha256GraphType>>("sha256").Resolve(ctx => ctx.Source.Sha256);
        Field(d => d.ContentType);
        Field<NonNullGraphType<VisibilityType>>("visibility").Resolve(ctx => ctx.Source.Visibility);
        Field(d => d.Private).Description("Private items are never shown to professionals.");
        Field(d => d.Replaces, nullable: true);
        Field(d => d.MergedFromVaultId, nullable: true).Description("Provenance of a document moved by a merge: the vault it was deposited in.");
        Field(d => d.MergedFromDocumentId, nullable: true).Description("Its id in that vault.");
        Field(d => d.Version);
        Field<NonNullGraphType<StringGraphType>>("downloadPath")
            .Description("GET it with the same bearer token to stream the content (SHA-256 verified).")
            .Resolve(ctx => $"/vaults/{VaultOf(ctx.Source)}/documents/{ctx.Source.Id}/content");
    }

    private static string VaultOf(DocumentEntry d) => d.ContentKey.Split('/')[1];
}

public sealed class VisibilityType : ObjectGraphType<Visibility>
{
    public VisibilityType()
    {
        Name = "Visibility";
        Field(v => v.MaskedFromProfessionals).Description("MASQUE_PS: hidden from professionals except the author and the treating physician.");
        Field(v => v.InvisibleToPatient).Description("INVISIBLE_PATIENT: hidden from the person until an announcement consultation.");
        Field(v => v.InvisibleToRepresentatives).Description("INVISIBLE_REPRESENTANTS_LEGAUX: hidden from legal representatives; lifting it is irreversible.");
    }
}

public sealed class AuthorType : ObjectGraphType<Author>
{
    public AuthorType()
    {
        Name = "Author";
        Field<NonNullGraphType<AuthorKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field(a => a.Id).Description("RPPS for professionals and referents, vault id for people.");
        Field(a => a.EstablishmentFiness, nullable: true);
        Field<PublicProfessionalType>("professional")
            .Description("The directory entry of a professional or referent author (batched per request).")
            .Resolve(ctx => ctx.Source.Kind is AuthorKind.Professional or AuthorKind.Referent
                ? ctx.RequestServices!.GetRequiredService<DataLoaders.ProfessionalsByRppsDataLoader>().Load(ctx.Source.Id)
                : null);
    }
}

public sealed class DocumentConnectionType : ObjectGraphType<DocumentPage>
{
    public DocumentConnectionType()
    {
        Name = "DocumentConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DocumentEdgeType>>>>("edges")
            .Resolve(ctx => ctx.Source.Items.Select((d, i) => (d, ctx.Source.Cursors[i])).ToList());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DocumentType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Cursors.Count > 0 ? ctx.Source.Cursors[^1] : null));
        Field(p => p.TotalCount).Description("Documents you may see that match the filters.");
    }
}

public sealed class DocumentEdgeType : ObjectGraphType<(DocumentEntry Node, string Cursor)>
{
    public DocumentEdgeType()
    {
        Name = "DocumentEdge";
        Field<NonNullGraphType<DocumentType>>("node").Resolve(ctx => ctx.Source.Node);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.Cursor);
    }
}

public sealed record PageInfo(bool HasNextPage, string? EndCursor);

public sealed class PageInfoType : ObjectGraphType<PageInfo>
{
    public PageInfoType()
    {
        Name = "PageInfo";
        Field(p => p.HasNextPage);
        Field(p => p.EndCursor, nullable: true);
    }
}

public sealed class AccessExplanationType : ObjectGraphType<AccessDecision>
{
    public AccessExplanationType()
    {
        Name = "AccessExplanation";
        Field(d => d.Allowed);
        Field<NonNullGraphType<LegalBasisType>>("basis").Resolve(ctx => ctx.Source.Basis);
        Field<NonNullGraphType<DenialReasonType>>("reason").Description("NONE when allowed.").Resolve(ctx => ctx.Source.Reason);
        Field<NonNullGraphType<StringGraphType>>("message").Description("A sentence the UI can show.").Resolve(ctx => ctx.Source.Explanation);
    }
}

public static class ResolveContextExtensions
{
    /// <summary>The request's caller, resolved once per request by <see cref="CallerResolver"/> (establishment membership checked).</summary>
    public static Caller Caller(this IResolveFieldContext ctx) =>
        ctx.UserContext.TryGetValue(CallerResolver.UserContextKey, out var resolved) && resolved is Caller caller
            ? caller
            : CallerResolver.Unverified(ctx.User);

    /// <summary>The caller, or UNAUTHENTICATED before any grain is touched when the request carries no identity.</summary>
    public static Caller SignedInCaller(this IResolveFieldContext ctx) =>
        ctx.Caller() is { Kind: not CallerKind.Anonymous } caller
            ? caller
            : throw new AccessDeniedException("sign in first: send a bearer token", DenialReason.NotAuthenticated);

    public static IVaultGrain Vault(this IResolveFieldContext ctx, string vaultId) =>
        ctx.RequestServices!.GetRequiredService<IGrainFactory>().GetGrain<IVaultGrain>(vaultId);

    public static IGrainFactory Grains(this IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<IGrainFactory>();
}

public sealed class PublicProfessionalType : ObjectGraphType<Coffre.Grains.Professionals.PublicProfessional>
{
    public PublicProfessionalType()
    {
        Name = "PublicProfessional";
        Description = "A professional's public directory entry.";
        Field<NonNullGraphType<RppsGraphType>>("rpps").Resolve(ctx => ctx.Source.Rpps);
        Field(p => p.DisplayName);
        Field(p => p.ProfessionCode);
        Field<NonNullGraphType<ProfessionSectorType>>("sector").Resolve(ctx => ctx.Source.Sector);
    }
}
