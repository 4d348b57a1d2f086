using Coffre.Domain.Directory;

namespace Coffre.Application.Directory;

/// <summary>
/// The directory's search projection: one public entry per professional and per establishment, written by their grains
/// right after each change of their record, read by the search grain. PostgreSQL in a cluster
/// (<c>PostgresDirectoryIndex</c>, deploy/sql/0012_directory_search.sql), memory when embedded
/// (<c>InMemoryDirectoryIndex</c>); both pass the same contract tests (tests/Coffre.IntegrationTests/Directory).
/// </summary>
/// <remarks>
/// A professional's establishments, town and département are not copied into their entry: the index resolves their
/// active memberships against the establishments' own entries when it answers, so renaming an establishment shows on
/// every member's entry without rewriting them.
/// </remarks>
public interface IDirectoryIndex
{
    /// <summary>Inserts or replaces these entries (by kind and identifier; the last one wins when a batch names one twice).</summary>
    Task UpsertAsync(IReadOnlyList<DirectoryRecord> records, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry (and, for a professional, their memberships); nothing when there is none.</summary>
    Task RemoveAsync(DirectoryEntryKind kind, string identifier, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of the entries matching <paramref name="query"/>, ordered by normalized name, kind, identifier, after
    /// its cursor. Name: each searched word starts some word of the entry's normalized name. Profession and sector: the
    /// entry's own. Establishment: professionals with an active membership there. Département: establishments located
    /// there and professionals with an active membership in one of them. Suspended professionals only when
    /// <see cref="DirectoryQuery.IncludeSuspended"/>.
    /// </summary>
    Task<DirectoryPage> SearchAsync(DirectoryQuery query, CancellationToken cancellationToken = default);
}
