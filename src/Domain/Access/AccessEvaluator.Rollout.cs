using Coffre.Domain.Vaults;

namespace Coffre.Domain.Access;

/// <summary>The rollout's rules in the evaluator: the opposition window (rule 2) and a minor's majority (rule 5).</summary>
public sealed partial class AccessEvaluator
{
    /// <summary>
    /// While the person may still oppose (they were sent a code and their campaign's window has not ended), nothing is
    /// deposited or granted in their vault: the deposits' actions are refused, reads go on. Null outside a window.
    /// </summary>
    private static AccessDecision? InOppositionWindow(VaultAccessState vault, VaultAction action, DateTimeOffset now) =>
        vault.OppositionWindowEndsAt is { } ends && now < ends
        && action is VaultAction.CreateDocument or VaultAction.UpdateDocument or VaultAction.ManageAccess or VaultAction.ManageReferents
            ? AccessDecision.Deny(DenialReason.VaultNotActive,
                $"This person was sent their activation letter and may still oppose the creation of their vault until {ends:yyyy-MM-dd HH:mm} UTC: "
                + "nothing can be deposited or granted in it before then.")
            : null;

    /// <summary>The person is 18 or over on <paramref name="now"/>'s UTC date (their birth date known).</summary>
    public static bool IsAdult(VaultAccessState vault, DateTimeOffset now) =>
        vault.BirthDate is { } born && born.AddYears(18) <= DateOnly.FromDateTime(now.UtcDateTime);

    /// <summary>Shared (no date: the sentence is audited and carries no personal data).</summary>
    private static readonly AccessDecision ParentalAuthorityEnded = AccessDecision.Deny(DenialReason.BasisExpired,
        "Parental authority over this person ended on their 18th birthday: they now manage their vault themselves.");
}
