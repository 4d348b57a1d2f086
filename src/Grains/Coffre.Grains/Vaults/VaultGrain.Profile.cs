using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Grains.Profile;

namespace Coffre.Grains.Vaults;

/// <summary>
/// The medical profile asks the vault: each entry is a document of its section's type for the one evaluator, and each call
/// is one line of the person's access history (<c>profile:{section};shown={n}</c> for reads, <c>profile:{section}/{entry}</c>
/// for one entry) — the entries' content never reaches the history.
/// </summary>
public sealed partial class VaultGrain
{
    /// <summary>At most this many entries in one question (five sections of 500 live entries).</summary>
    private const int MaxProfileFacts = 2_500;

    async Task<ProfileVerdict> IVaultGrain.DecideProfileAsync(Caller caller, ProfileCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (check.Entries.Count > MaxProfileFacts)
        {
            throw new ValidationFailedException("entries", $"must be at most {MaxProfileFacts}");
        }
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        return check.Operation switch
        {
            ProfileOperation.List or ProfileOperation.ReadAll => await DecideProfileReadAsync(caller, check),
            _ => await DecideProfileEntryAsync(caller, check),
        };
    }

    /// <summary>ListDocuments for the vault, then ReadDocument per entry; the page is cut here so the history says how many were shown.</summary>
    private async Task<ProfileVerdict> DecideProfileReadAsync(Caller caller, ProfileCheck check)
    {
        var operation = check.Operation == ProfileOperation.List ? "profile.list" : "profile.read";
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, operation);
        var now = Now;
        var decision = evaluator.Decide(Access, caller, VaultAction.ListDocuments, null, now);
        if (!decision.Allowed)
        {
            await RecordAsync(caller, operation, $"profile:{check.Section}", decision, now);
        }
        var readable = check.Entries
            .Where(e => evaluator.Decide(Access, caller, VaultAction.ReadDocument, e, now).Allowed)
            .Select(e => e.DocumentId)
            .ToList();
        var start = 0;
        if (check.After is { } after)
        {
            var position = readable.IndexOf(after);
            if (position < 0)
            {
                throw new ValidationFailedException("after", "is not a cursor of this list");
            }
            start = position + 1;
        }
        var take = check.Operation == ProfileOperation.List ? check.First : readable.Count;
        var shown = readable.Skip(start).Take(take).ToList();
        await RecordAsync(caller, operation, $"profile:{check.Section};shown={shown.Count}", decision, now);
        return new ProfileVerdict(decision.Basis, shown, start + shown.Count < readable.Count, readable.Count);
    }

    private async Task<ProfileVerdict> DecideProfileEntryAsync(Caller caller, ProfileCheck check)
    {
        var entry = check.Entries.Count switch
        {
            0 => null,
            1 => check.Entries[0],
            _ => throw new ValidationFailedException("entries", "must hold one entry for this operation"),
        };
        var entryId = entry?.DocumentId ?? check.EntryId ?? "";
        var target = $"profile:{check.Section}/{entryId}";
        var (operation, action) = check.Operation switch
        {
            ProfileOperation.ReadEntry => ("profile.read", VaultAction.ReadDocument),
            ProfileOperation.Add => ("profile.add", VaultAction.CreateDocument),
            ProfileOperation.Hide => ("profile.hide", VaultAction.ManageAccess),
            ProfileOperation.Unhide => ("profile.unhide", VaultAction.ManageAccess),
            ProfileOperation.Remove => ("profile.remove", VaultAction.DeleteDocument),
            _ => throw new ValidationFailedException("operation", "is not a profile operation"),
        };
        await RetryAccompanimentsAsync();
        await RateLimitAsync(caller, operation);
        var now = Now;
        Author? author = null;
        AccessDecision decision;
        if (entry is null)
        {
            // An id that names no entry: the answer a caller would get for the profile as a whole (NOT_FOUND only to one who may list it).
            decision = evaluator.Decide(Access, caller, VaultAction.ListDocuments, null, now);
        }
        else if (check.Operation == ProfileOperation.Add)
        {
            author = VaultInputRules.AuthorOf(caller, Access, VaultId, now);
            decision = evaluator.Decide(Access, caller, action, entry with { Author = author }, now);
        }
        else if (check.Operation == ProfileOperation.Remove)
        {
            decision = evaluator.DecideProfileRemoval(Access, caller, entry, now);
        }
        else
        {
            decision = evaluator.Decide(Access, caller, action, entry, now);
        }
        await RecordAsync(caller, operation, target, decision, now);
        if (check.Operation == ProfileOperation.Add && entry!.Visibility.InvisibleToRepresentatives
            && !Coffre.Domain.Vaults.RepresentationRules.IsMinor(Access.IsMinor, vault.State.Identity?.BirthDate, DateOnly.FromDateTime(now.UtcDateTime)))
        {
            throw new ValidationFailedException("minorSecret", "applies only to a minor's profile entry, and this person is not a minor");
        }
        if (check.Operation == ProfileOperation.Add && entry!.Visibility.InvisibleToRepresentatives && decision.Basis == LegalBasis.LegalRepresentative)
        {
            throw new ValidationFailedException("minorSecret", "is a secret kept from legal representatives: a representative never records one");
        }
        return new ProfileVerdict(decision.Basis, entry is null ? [] : [entry.DocumentId], false, entry is null ? 0 : 1, author);
    }
}
