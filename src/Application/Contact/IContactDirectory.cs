using Coffre.Domain.Contact;

namespace Coffre.Application.Contact;

/// <summary>
/// Where people's contact points and alert preferences are kept (table <c>person_contact</c>), keyed by vault id. The
/// vault grain decides who may set them and writes through here; delivery reads them in batches at dispatch time
/// (one lookup per claimed batch, never one per message). Nothing here is ever logged.
/// </summary>
public interface IContactDirectory
{
    /// <summary>The preferences of those of <paramref name="vaultIds"/> who have set any (others are absent from the answer).</summary>
    Task<IReadOnlyDictionary<string, ContactPreferences>> FindAsync(IReadOnlyCollection<string> vaultIds, CancellationToken cancellationToken = default);

    /// <summary>Stores a person's (already normalised, <see cref="ContactRules.Normalise"/>) preferences, replacing any before.</summary>
    Task SetAsync(string vaultId, ContactPreferences preferences, DateTimeOffset at, CancellationToken cancellationToken = default);
}
