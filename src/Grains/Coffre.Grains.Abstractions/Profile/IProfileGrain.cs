using Coffre.Domain.Access;
using Coffre.Domain.Documents;
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

    /// <summary>
    /// Records a new entry (decided as CreateDocument of the section's type; the author is who the caller is on the vault).
    /// Input checked by <see cref="ProfileRules.Check"/>; at most <see cref="ProfileRules.MaxLiveEntriesPerSection"/> live
    /// entries per section. A vaccination updates the agenda's prevention items before this returns; the person is
    /// notified when someone else adds an entry.
    /// </summary>
    [Alias("add")] Task<ProfileEntry> AddAsync(Caller caller, NewProfileEntry entry);

    /// <summary>
    /// The entries the caller may read, newest first (in <paramref name="section"/>, or all), by page; removed ones left out.
    /// One access-history line per call (<c>profile.list</c>, naming the section and how many entries were shown).
    /// </summary>
    [Alias("list")] Task<ProfileEntryPage> ListAsync(Caller caller, ProfileSection? section, int first, string? after);

    /// <summary>One entry, decided as ReadDocument (NOT_FOUND for an id that names no live entry).</summary>
    [Alias("get")] Task<ProfileEntry> GetAsync(Caller caller, string entryId);

    /// <summary>Hides an entry from professionals or shows it again (ManageAccess: the person, a parent or tutor).</summary>
    [Alias("hide")] Task<ProfileEntry> HideAsync(Caller caller, string entryId, bool hidden);

    /// <summary>Removes an entry (its author or the person): kept as a tombstone, shown to nobody.</summary>
    [Alias("remove")] Task RemoveAsync(Caller caller, string entryId);
}

[GenerateSerializer, Immutable, Alias("coffre.profile-entry-page")]
public sealed record ProfileEntryPage(
    [property: Id(0)] IReadOnlyList<ProfileEntry> Items,
    [property: Id(1)] bool HasNextPage,
    [property: Id(2)] int TotalCount);

/// <summary>What the profile grain asks the vault to decide (<c>IVaultGrain.DecideProfileAsync</c>).</summary>
[GenerateSerializer, Alias("coffre.profile-operation")]
public enum ProfileOperation
{
    /// <summary>A page of entries: ListDocuments for the vault, then ReadDocument per entry (<c>profile.list</c>).</summary>
    List = 0,
    /// <summary>Every readable entry, for FHIR and the export: as List, without paging (<c>profile.read</c>).</summary>
    ReadAll = 1,
    /// <summary>One entry: ReadDocument (<c>profile.read</c>); with no entry, the vault-level ListDocuments (an id that names no entry).</summary>
    ReadEntry = 2,
    /// <summary>CreateDocument of the section's type; the vault names the author (<c>profile.add</c>).</summary>
    Add = 3,
    /// <summary>ManageAccess on the entry (<c>profile.hide</c>).</summary>
    Hide = 4,
    /// <summary>ManageAccess on the entry (<c>profile.unhide</c>).</summary>
    Unhide = 5,
    /// <summary><c>AccessEvaluator.DecideProfileRemoval</c> (<c>profile.remove</c>).</summary>
    Remove = 6,
}

/// <summary>
/// One question of the profile grain to the vault: the operation, the section it is about (its name, or <c>all</c>), the
/// entries concerned as documents (for lists: in the order shown, newest first), and for a page its size and cursor.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.profile-check")]
public sealed record ProfileCheck(
    [property: Id(0)] ProfileOperation Operation,
    [property: Id(1)] string Section,
    [property: Id(2)] IReadOnlyList<DocumentFacts> Entries,
    [property: Id(3)] int First = 0,
    [property: Id(4)] string? After = null,
    [property: Id(5)] string? EntryId = null);

/// <summary>
/// The vault's answer (given only when allowed; a denial throws): the basis, the entries shown (ids, in order), whether a
/// next page exists, how many the caller may read in all, and for Add the author the vault recorded.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.profile-verdict")]
public sealed record ProfileVerdict(
    [property: Id(0)] LegalBasis Basis,
    [property: Id(1)] IReadOnlyList<string> Shown,
    [property: Id(2)] bool HasNextPage,
    [property: Id(3)] int TotalCount,
    [property: Id(4)] Author? Author = null);
