using Coffre.Domain.Directory;
using Coffre.Grains.Establishments;
using Coffre.Grains.Professionals;

namespace Coffre.Grains.Directory;

/// <summary>
/// A directory record's public entry, as its grain writes it to the index right after each change of the record: the
/// public fields only (no history, no membership role or admin flag, no suspension reason).
/// </summary>
public static class DirectoryProjection
{
    public static DirectoryRecord Of(ProfessionalProfile profile) =>
        new(DirectoryEntryKind.Professional, profile.Rpps, profile.DisplayName, profile.ProfessionCode, profile.Sector,
            profile.Status == ProfessionalStatus.Suspended, Town: null, Departement: null,
            profile.Memberships.Select(m => new DirectoryMembership(m.Finess, m.Start, m.End)).ToArray());

    public static DirectoryRecord Of(EstablishmentProfile profile) =>
        new(DirectoryEntryKind.Establishment, profile.Finess, profile.Name, ProfessionCode: null, profile.Sector,
            Suspended: false, profile.Town, profile.Departement, []);
}
