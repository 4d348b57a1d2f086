namespace Coffre.Grains.Vaults;

/// <summary>
/// One document an establishment's system feeds (<c>POST /feeds/documents</c>): the deposit itself, the sender's
/// own id for it (the idempotency key, per establishment), whether the sender asks the minor's secrecy (hidden from
/// the legal representatives: only for a minor), and the sender's name from the directory (shown to the person).
/// MASQUE_PS, when the sender asks it, is in <see cref="NewDocument.Visibility"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.feed-document")]
public sealed record FeedDocument(
    [property: Id(0)] NewDocument Document,
    [property: Id(1)] string ExternalId,
    [property: Id(2)] bool MinorSecret,
    [property: Id(3)] string SenderName);

/// <summary>
/// A vault's answer to a fed document: <see cref="DuplicateOf"/> (the document already recorded for this
/// establishment and external id: nothing to store), else <see cref="ContentKey"/> (store the content there) from
/// <see cref="IVaultGrain.PrepareFeedAsync"/>, or <see cref="DocumentId"/> once recorded by <see cref="IVaultGrain.AddFeedDocumentAsync"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.feed-permit")]
public sealed record FeedPermit(
    [property: Id(0)] string? ContentKey,
    [property: Id(1)] string? DuplicateOf,
    [property: Id(2)] string? DocumentId = null);

/// <summary>Whom a NIR names for the feed: their vault, or that they opposed, or nobody Coffre knows.</summary>
[GenerateSerializer, Immutable, Alias("coffre.feed-target")]
public sealed record FeedTarget(
    [property: Id(0)] string? VaultId,
    [property: Id(1)] bool Opposed);
