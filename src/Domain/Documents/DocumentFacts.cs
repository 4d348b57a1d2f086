namespace Coffre.Domain.Documents;

/// <summary>Visibility flags of a document (TRE_A07 codes), as stored on its index entry.</summary>
[GenerateSerializer, Immutable, Alias("coffre.visibility")]
public sealed record Visibility(
    [property: Id(0)] bool MaskedFromProfessionals = false,
    [property: Id(1)] bool InvisibleToPatient = false,
    [property: Id(2)] bool InvisibleToRepresentatives = false)
{
    public static Visibility Normal { get; } = new();
}

[GenerateSerializer, Alias("coffre.author-kind")]
public enum AuthorKind
{
    Person = 0,
    Professional = 1,
    Referent = 2,
    Representative = 3,
    System = 4,
    /// <summary>A carer (aidant) deposited it within the person's delegation (the author id is the carer's vault id).</summary>
    Carer = 5,
    /// <summary>A connected app deposited it within the person's consent (the author id is <c>app:{appId}</c>).</summary>
    App = 6,
}

/// <summary>Who deposited a document: the person, a professional (RPPS), a referent, a representative.</summary>
[GenerateSerializer, Immutable, Alias("coffre.author")]
public sealed record Author(
    [property: Id(0)] AuthorKind Kind,
    [property: Id(1)] string Id,
    [property: Id(2)] string? EstablishmentFiness = null);

/// <summary>What access decisions need to know about one document.</summary>
[GenerateSerializer, Immutable, Alias("coffre.document-facts")]
public sealed record DocumentFacts(
    [property: Id(0)] string DocumentId,
    [property: Id(1)] string ClassCode,
    [property: Id(2)] string TypeCode,
    [property: Id(3)] Visibility Visibility,
    [property: Id(4)] bool Private,
    [property: Id(5)] Author Author,
    [property: Id(6)] bool Deleted = false);
