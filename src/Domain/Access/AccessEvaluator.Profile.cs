using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>
/// The medical profile. Profile sections are document types (<c>PROFILE-TREATMENTS</c>…, category health, class 11) and an
/// entry is decided as a document of its section's type (<c>ProfileEntry.Facts</c>), with the document actions and rules
/// above: adding is CreateDocument, listing ListDocuments then ReadDocument per entry, reading one ReadDocument, hiding
/// from professionals ManageAccess (the person, a parent or tutor: masking, as documents are masked). Only removal has its
/// own rule, <see cref="DecideProfileRemoval"/>.
/// </summary>
public sealed partial class AccessEvaluator
{
    /// <summary>
    /// Removing a profile entry (a tombstone: the entry is kept, marked removed): its author or the person.
    /// <list type="bullet">
    /// <item>a professional: decided as UpdateDocument, which only the author passes (standing, blocks and the vault's state
    /// first); anyone else → <see cref="DenialReason.NotEntryAuthor"/>;</item>
    /// <item>an establishment's system: authorship first — its author must be that establishment's system (else the read
    /// decision's refusal, or NotEntryAuthor) —, then an active grant to its FINESS covering it (an entry the person hid
    /// stays removable by its own author);</item>
    /// <item>everyone else (the person, representatives, carers, operators): decided as DeleteDocument (the owner, a parent
    /// or a tutor; a curator, a carer, an operator are refused by the document rules).</item>
    /// </list>
    /// </summary>
    public AccessDecision DecideProfileRemoval(VaultAccessState vault, Caller caller, DocumentFacts entry, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(entry);
        switch (caller.Kind)
        {
            case CallerKind.Professional:
                var update = Decide(vault, caller, VaultAction.UpdateDocument, entry, now);
                return update.Allowed ? D.AllowAuthorRemovesEntry : ReferenceEquals(update, D.OnlyAuthorUpdates) ? D.EntryRemovedByAuthorOrPerson : update;
            case CallerKind.Establishment:
                if (!(entry.Author is { Kind: AuthorKind.System } author && caller.EstablishmentFiness is not null
                    && author.EstablishmentFiness == caller.EstablishmentFiness))
                {
                    var read = Decide(vault, caller, VaultAction.ReadDocument, entry, now);
                    return read.Allowed ? D.EntryRemovedByAuthorOrPerson : read;
                }
                // Its own entry: the person hiding it does not take it from its author; the grant must still stand.
                var standing = Decide(vault, caller, VaultAction.ReadDocument, entry with { Visibility = entry.Visibility with { MaskedFromProfessionals = false } }, now);
                return standing.Allowed ? D.AllowSystemRemovesEntry : standing;
            default:
                return Decide(vault, caller, VaultAction.DeleteDocument, entry, now);
        }
    }

    private static partial class D
    {
        public static readonly AccessDecision AllowAuthorRemovesEntry = AccessDecision.Allow(LegalBasis.Author,
            "Allowed: the professional recorded this profile entry and may remove it.");
        public static readonly AccessDecision AllowSystemRemovesEntry = AccessDecision.Allow(LegalBasis.Grant,
            "Allowed: the establishment's system recorded this profile entry, under the person's grant, and may remove it.");
        public static readonly AccessDecision EntryRemovedByAuthorOrPerson = AccessDecision.Deny(DenialReason.NotEntryAuthor,
            "Only the one who recorded a profile entry, or the person (or a parent or tutor acting for them), may remove it.");
    }
}
