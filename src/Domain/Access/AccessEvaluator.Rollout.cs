using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>The rollout's rules in the evaluator: the opposition window (rule 2) and a minor's majority (rule 5).</summary>
public sealed partial class AccessEvaluator
{
    /// <summary>
    /// While the person may still oppose (they were sent a code and their campaign's window has not ended), nobody outside
    /// the person's side deposits or grants in their vault: CreateDocument, UpdateDocument, ManageAccess and ManageReferents
    /// are refused to establishments (feeds, grants) and to professionals who are not an active referent of the person (a
    /// referent holds the person's recorded consent: the person chose the vault). The person and their representatives,
    /// and every read, go on. Null when the window does not apply.
    /// </summary>
    private static AccessDecision? InOppositionWindow(VaultAccessState vault, Caller caller, VaultAction action, DateTimeOffset now)
    {
        if (vault.OppositionWindowEndsAt is not { } ends || now >= ends
            || action is not (VaultAction.CreateDocument or VaultAction.UpdateDocument or VaultAction.ManageAccess or VaultAction.ManageReferents)
            || caller.Kind is not (CallerKind.Establishment or CallerKind.Professional))
        {
            return null;
        }
        if (caller.Kind == CallerKind.Professional)
        {
            var referents = vault.Referents;
            for (var i = 0; i < referents.Count; i++)
            {
                if (referents[i].Rpps == caller.Rpps && referents[i].IsActive(now))
                {
                    return null;
                }
            }
        }
        return AccessDecision.Deny(DenialReason.VaultNotActive,
            $"This person was sent their activation letter and may still oppose the creation of their vault until {ends:yyyy-MM-dd HH:mm} UTC: "
            + "nothing can be deposited or granted in it before then, except by the person, their representatives or a referent holding their consent.");
    }

    /// <summary>The person is 18 or over on <paramref name="now"/>'s UTC date (their birth date known).</summary>
    public static bool IsAdult(VaultAccessState vault, DateTimeOffset now) =>
        vault.BirthDate is { } born && born.AddYears(18) <= DateOnly.FromDateTime(now.UtcDateTime);

    /// <summary>
    /// A representation its holder acts under now: active, and not a parent's over a person who is 18 (parental authority
    /// ends at majority; a tutor's or curator's stands on its court decision). The one test of the evaluator, the carers'
    /// rules and the history's authors.
    /// </summary>
    public static bool IsEffectiveRepresentation(VaultAccessState vault, LegalRepresentative representation, DateTimeOffset now) =>
        representation.IsActive(now) && !(representation.Kind == RepresentationKind.Parent && IsAdult(vault, now));

    /// <summary><paramref name="vaultId"/> holds an effective representation of the person (<see cref="IsEffectiveRepresentation"/>).</summary>
    public static bool IsEffectiveRepresentative(VaultAccessState vault, string? vaultId, DateTimeOffset now) =>
        vaultId is not null && vault.Representatives.Any(r => r.RepresentativeVaultId == vaultId && IsEffectiveRepresentation(vault, r, now));

    /// <summary>Shared (no date: the sentence is audited and carries no personal data).</summary>
    private static readonly AccessDecision ParentalAuthorityEnded = AccessDecision.Deny(DenialReason.BasisExpired,
        "Parental authority over this person ended on their 18th birthday: they now manage their vault themselves.");
}
