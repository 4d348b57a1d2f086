namespace Coffre.Domain.Documents;

/// <summary>
/// One document in a vault's index: metadata only (the bytes are in the content store under
/// <see cref="ContentKey"/>). A replaced document keeps its entry; <see cref="Replaces"/> links versions.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.document-entry")]
public sealed record DocumentEntry
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Title { get; init; }
    [Id(2)] public required string ClassCode { get; init; }
    [Id(3)] public required string TypeCode { get; init; }
    [Id(4)] public required Author Author { get; init; }
    [Id(5)] public string? SourceFiness { get; init; }
    [Id(6)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(7)] public DateOnly? ServiceDate { get; init; }
    [Id(8)] public required long Size { get; init; }
    [Id(9)] public required string Sha256 { get; init; }
    [Id(10)] public required string ContentKey { get; init; }
    [Id(11)] public required string ContentType { get; init; }
    [Id(12)] public Visibility Visibility { get; init; } = Visibility.Normal;
    [Id(13)] public bool Private { get; init; }
    [Id(14)] public string? Replaces { get; init; }
    [Id(15)] public int Version { get; init; } = 1;
    [Id(16)] public DateTimeOffset? DeletedAt { get; init; }
    /// <summary>Once INVISIBLE_REPRESENTANTS_LEGAUX is lifted it can never be set again (DMP rule EX_3.3-1045).</summary>
    [Id(17)] public bool RepresentativesVisibilityLifted { get; init; }
    [Id(18)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(19)] public string? ReplacedBy { get; init; }
    /// <summary>Provenance of a document moved by a merge: the vault it was deposited in, and its id there.</summary>
    [Id(20)] public string? MergedFromVaultId { get; init; }
    [Id(21)] public string? MergedFromDocumentId { get; init; }
    [Id(22)] public DateTimeOffset? MergedAt { get; init; }
    /// <summary>The sender's own id of a document an establishment fed (its idempotency key, per establishment: <see cref="SourceFiness"/>).</summary>
    [Id(23)] public string? ExternalId { get; init; }
    /// <summary>The sending establishment's name in the directory when it fed the document (shown as its sender).</summary>
    [Id(24)] public string? SenderName { get; init; }

    public DocumentFacts Facts() => new(Id, ClassCode, TypeCode, Visibility, Private, Author, DeletedAt is not null);
}

/// <summary>Identity traits shown in the vault (never the NIR in full).</summary>
[GenerateSerializer, Immutable, Alias("coffre.identity-traits")]
public sealed record IdentityTraits(
    [property: Id(0)] string FamilyName,
    [property: Id(1)] string GivenNames,
    [property: Id(2)] DateOnly BirthDate,
    [property: Id(3)] Sex Sex,
    [property: Id(4)] string? NirMasked = null,
    [property: Id(5)] string? UsualName = null);

[GenerateSerializer, Alias("coffre.sex")]
public enum Sex
{
    Unknown = 0,
    Female = 1,
    Male = 2,
}
