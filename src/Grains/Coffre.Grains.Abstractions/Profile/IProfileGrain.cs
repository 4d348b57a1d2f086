using Coffre.Domain.Access;
using Coffre.Domain.Profile;

namespace Coffre.Grains.Profile;

/// <summary>
/// A person's medical profile (key <see cref="GrainNames.Keys.Profile"/>): structured entries in five sections, each
/// decided by the vault's one evaluator as a document of its section's type (<see cref="ProfileEntry.Facts"/>) and every
/// read written in the person's access history.
/// </summary>
[Alias("coffre.profile")]
public interface IProfileGrain : IGrainWithStringKey
{
    /// <summary>
    /// Every entry <paramref name="caller"/> may read now (removed ones left out), in <paramref name="section"/> or in all
    /// sections, oldest first, for the FHIR views and the vault's export; one access-history line per call.
    /// </summary>
    [Alias("read-for-fhir")] Task<IReadOnlyList<ProfileEntry>> ReadForFhirAsync(Caller caller, ProfileSection? section);
}
