using Coffre.Domain.Sharing;

namespace Coffre.Grains.Sharing;

/// <summary>A share link as its vault keeps it (in <c>vault-v1</c>): the authority on revocation and openings; never the code.</summary>
[GenerateSerializer, Immutable, Alias("coffre.share-link-record")]
public sealed record ShareLinkRecord(
    [property: Id(0)] string LinkId,
    [property: Id(1)] string CreatedBy,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] int MaxOpenings,
    [property: Id(5)] IReadOnlyList<string> DocumentIds,
    [property: Id(6)] string? Label)
{
    [Id(7)] public int Openings { get; init; }
    [Id(8)] public DateTimeOffset? LastOpenedAt { get; init; }
    [Id(9)] public DateTimeOffset? RevokedAt { get; init; }
    [Id(10)] public DateTimeOffset? LockedAt { get; init; }

    public ShareLinkStatus StatusAt(DateTimeOffset now) => ShareLinks.StatusOf(RevokedAt, LockedAt, Openings, MaxOpenings, ExpiresAt, now);

    public ShareLinkView View(DateTimeOffset now) =>
        new(LinkId, StatusAt(now), Label, DocumentIds, MaxOpenings, Openings, CreatedAt, CreatedBy, ExpiresAt, LastOpenedAt, RevokedAt, LockedAt);
}

/// <summary>One link grain's state (<c>share-link-v1</c>): the code's keyed hash and key id, bounds, counters, opening tokens' hashes.</summary>
[GenerateSerializer, Alias("coffre.share-link-state")]
public sealed class ShareLinkState
{
    /// <summary>Null: no link has this id (nothing is ever written for such an id).</summary>
    [Id(0)] public string? VaultId { get; set; }
    [Id(1)] public List<string> DocumentIds { get; set; } = [];
    [Id(2)] public short KeyId { get; set; }
    [Id(3)] public byte[] CodeHash { get; set; } = [];
    [Id(4)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(5)] public int MaxOpenings { get; set; }
    [Id(6)] public int Openings { get; set; }
    [Id(7)] public int FailedAttempts { get; set; }
    [Id(8)] public DateTimeOffset? RevokedAt { get; set; }
    [Id(9)] public DateTimeOffset? LockedAt { get; set; }
    /// <summary>Live opening tokens (SHA-256 of the token, expiry): at most one per opening, expired ones dropped.</summary>
    [Id(10)] public List<OpeningToken> Tokens { get; set; } = [];
}

[GenerateSerializer, Immutable, Alias("coffre.share-opening-token")]
public sealed record OpeningToken([property: Id(0)] byte[] Hash, [property: Id(1)] DateTimeOffset ExpiresAt, [property: Id(2)] int Downloads = 0);
