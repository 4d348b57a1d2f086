using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Sharing;

namespace Coffre.Grains.Sharing;

/// <summary>
/// The person's side of share links, implemented by the vault grain (key: the vault id). Creating, listing and revoking
/// are decided by the one evaluator (<see cref="VaultAction.ShareDocuments"/>, each document as ReadDocument for the one
/// sharing) and recorded in the person's access history. The link grain (<see cref="IShareLinkGrain"/>) asks the vault at
/// every opening and download (<see cref="ShareLinkCallers.System"/> only): the vault is the authority on revocation,
/// openings and which documents may still be served.
/// </summary>
[Alias("coffre.vault-sharing")]
public interface IVaultSharingGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates a link (and its link grain) for 1 to 20 documents the caller may read; at most <see cref="ShareLinks.MaxLiveLinks"/>
    /// live links per vault (VALIDATION on <c>documentIds</c> beyond). The code is returned here once: only its keyed hash is kept.
    /// </summary>
    [Alias("share-create")] Task<CreatedShareLink> CreateShareLinkAsync(Caller caller, NewShareLink request);

    /// <summary>Revokes a link at once (idempotent: revoking a revoked link answers it as it is).</summary>
    [Alias("share-revoke")] Task<ShareLinkView> RevokeShareLinkAsync(Caller caller, string linkId);

    /// <summary>The vault's links, newest first (<paramref name="first"/> 1 to 50), each with its status; never a code.</summary>
    [Alias("share-list")] Task<ShareLinkPage> ListShareLinksAsync(Caller caller, int first, string? after);

    /// <summary>
    /// An opening with the right code (link grain only): null when the link may not open (revoked, expired, used up, vault not
    /// active, the one who shared may no longer share); else one opening is counted, recorded in the person's history
    /// (<c>share.opened</c>, basis ShareLink), the person is notified, and the documents still served are returned (one
    /// deleted, hidden, or no longer readable by the one who shared is left out).
    /// </summary>
    [Alias("share-open")] Task<IReadOnlyList<SharedDocument>?> OpenShareAsync(Caller system, string linkId);

    /// <summary>A download through an opened link (link grain only): the entry to stream, recorded (<c>share.download</c>); null when it may not be served.</summary>
    [Alias("share-download")] Task<DocumentEntry?> AuthorizeShareDownloadAsync(Caller system, string linkId, string documentId);

    /// <summary>The link locked after too many wrong codes (link grain only): recorded, and the person is told.</summary>
    [Alias("share-locked")] Task RecordShareLockedAsync(Caller system, string linkId);
}

/// <summary>
/// One share link (key <c>share-{linkId}</c>): the code's keyed hash, the bounds, the wrong-code count and the opening
/// tokens. Anonymous calls, each costing one HMAC whatever the case; an unknown link id writes nothing.
/// </summary>
[Alias("coffre.share-link")]
public interface IShareLinkGrain : IGrainWithStringKey
{
    /// <summary>Set up by the vault that created the link (<see cref="ShareLinkCallers.System"/> only; once).</summary>
    [Alias("initialize")] Task InitializeAsync(Caller system, ShareLinkSetup setup);

    /// <summary>Opens with the code: null for every refusal (unknown link, wrong code, expired, used up, revoked, locked).</summary>
    [Alias("open")] Task<ShareOpening?> OpenAsync(string code);

    /// <summary>A document of the link, for the holder of an opening token: null for every refusal (the same answer as a wrong link).</summary>
    [Alias("authorize-download")] Task<DocumentEntry?> AuthorizeDownloadAsync(string openingToken, string documentId);
}

/// <summary>Who the vault and the link grain take share-link calls from.</summary>
public static class ShareLinkCallers
{
    public const string Subject = "system:share-link";

    public static Caller System { get; } = Caller.Operator(Subject, OperatorRoles.None);

    public static bool IsSystem(Caller caller) => caller is { Kind: CallerKind.Operator, Subject: Subject };
}

[GenerateSerializer, Immutable, Alias("coffre.new-share-link")]
public sealed record NewShareLink(
    [property: Id(0)] IReadOnlyList<string> DocumentIds,
    [property: Id(1)] DateTimeOffset? ExpiresAt,
    [property: Id(2)] int? ValidForHours,
    [property: Id(3)] int MaxOpenings,
    [property: Id(4)] string? Label);

/// <summary>A link as the person sees it: never its code.</summary>
[GenerateSerializer, Immutable, Alias("coffre.share-link-view")]
public sealed record ShareLinkView(
    [property: Id(0)] string LinkId,
    [property: Id(1)] ShareLinkStatus Status,
    [property: Id(2)] string? Label,
    [property: Id(3)] IReadOnlyList<string> DocumentIds,
    [property: Id(4)] int MaxOpenings,
    [property: Id(5)] int Openings,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] string CreatedBy,
    [property: Id(8)] DateTimeOffset ExpiresAt,
    [property: Id(9)] DateTimeOffset? LastOpenedAt,
    [property: Id(10)] DateTimeOffset? RevokedAt,
    [property: Id(11)] DateTimeOffset? LockedAt);

/// <summary>A new link and its code (canonical, shown once as <c>XXXX-XXXX-C</c> by <see cref="ShareLinks.DisplayCode"/>).</summary>
[GenerateSerializer, Immutable, Alias("coffre.created-share-link")]
public sealed record CreatedShareLink(
    [property: Id(0)] ShareLinkView Link,
    [property: Id(1)] string Code);

[GenerateSerializer, Immutable, Alias("coffre.share-link-page")]
public sealed record ShareLinkPage(
    [property: Id(0)] IReadOnlyList<ShareLinkView> Items,
    [property: Id(1)] bool HasNextPage,
    [property: Id(2)] int TotalCount);

/// <summary>What the vault hands the link grain it creates.</summary>
[GenerateSerializer, Immutable, Alias("coffre.share-link-setup")]
public sealed record ShareLinkSetup(
    [property: Id(0)] string VaultId,
    [property: Id(1)] IReadOnlyList<string> DocumentIds,
    [property: Id(2)] short KeyId,
    [property: Id(3)] byte[] CodeHash,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] int MaxOpenings);

/// <summary>What the recipient sees of a shared document.</summary>
[GenerateSerializer, Immutable, Alias("coffre.shared-document")]
public sealed record SharedDocument(
    [property: Id(0)] string DocumentId,
    [property: Id(1)] string Title,
    [property: Id(2)] string ClassCode,
    [property: Id(3)] string TypeCode,
    [property: Id(4)] DateOnly? ServiceDate,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] long Size,
    [property: Id(7)] string Sha256,
    [property: Id(8)] string ContentType);

/// <summary>An opening: the documents and a short-lived token (bound to the link) for their content.</summary>
[GenerateSerializer, Immutable, Alias("coffre.share-opening")]
public sealed record ShareOpening(
    [property: Id(0)] string Token,
    [property: Id(1)] DateTimeOffset TokenExpiresAt,
    [property: Id(2)] IReadOnlyList<SharedDocument> Documents,
    [property: Id(3)] DateTimeOffset LinkExpiresAt,
    [property: Id(4)] int OpeningsLeft);
