using Coffre.Domain.Access;

namespace Coffre.Grains.Professionals;

/// <summary>A health, social or médico-social professional, keyed by <see cref="GrainNames.Keys.Professional"/>.</summary>
[Alias("coffre.professional")]
public interface IProfessionalGrain : IGrainWithStringKey
{
    /// <summary>Creates or updates the professional's record. Operators only.</summary>
    [Alias("register")]
    Task<ProfessionalProfile> RegisterAsync(Caller caller, RegisterProfessional command);

    /// <summary>The record, or null when none was registered. Operators and the professional themself.</summary>
    [Alias("get")]
    Task<ProfessionalProfile?> GetAsync(Caller caller);

    /// <summary>The public directory entry (name, profession, sector), as the national directory publishes it; null when unknown.</summary>
    [Alias("get-public")]
    Task<PublicProfessional?> GetPublicAsync();
}

[GenerateSerializer, Immutable, Alias("coffre.register-professional")]
public sealed record RegisterProfessional(
    [property: Id(0)] string DisplayName,
    [property: Id(1)] string ProfessionCode,
    [property: Id(2)] ProfessionSector Sector);

[GenerateSerializer, Immutable, Alias("coffre.professional-profile")]
public sealed record ProfessionalProfile(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] string ProfessionCode,
    [property: Id(3)] ProfessionSector Sector,
    [property: Id(4)] DateTimeOffset RegisteredAt,
    [property: Id(5)] DateTimeOffset UpdatedAt,
    [property: Id(6)] int Revision);

/// <summary>What anyone may know of a professional: the public directory entry.</summary>
[GenerateSerializer, Immutable, Alias("coffre.public-professional")]
public sealed record PublicProfessional(
    [property: Id(0)] string Rpps,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] string ProfessionCode,
    [property: Id(3)] ProfessionSector Sector);
