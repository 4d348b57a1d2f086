namespace Coffre.Domain.Vaults;

/// <summary>What a carer (aidant) may do for the person within their delegation.</summary>
[Flags]
[GenerateSerializer, Alias("coffre.carer-actions")]
public enum CarerActions
{
    None = 0,
    /// <summary>See the vault summary, list and read the documents of the delegated classes.</summary>
    Read = 1,
    /// <summary>Deposit documents of the delegated classes for the person.</summary>
    Deposit = 2,
    /// <summary>Manage the person's appointments (create, answer proposals, cancel).</summary>
    ManageAppointments = 4,
}

/// <summary>
/// A scoped, time-boxed delegation of the person to a carer (aidant): another person with a Coffre account, named by
/// their own vault id (never by a name). The person's recorded <see cref="Consent"/> carries the delegated document
/// classes (<see cref="DocumentScope.ClassCodes"/>), how and by whom it was recorded, and its end
/// (<see cref="Consent.ExpiresAt"/>). Either side ends it (<see cref="EndedAt"/>, <see cref="EndedBy"/>).
/// <see cref="IssuerVaultId"/> is the vault of who issued the invitation (the person, or a parent or tutor acting for them;
/// null when a referent recorded it): a representative's delegation ends with their representation.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.carer-delegation")]
public sealed record CarerDelegation(
    [property: Id(0)] string Id,
    [property: Id(1)] string CarerVaultId,
    [property: Id(2)] CarerActions Actions,
    [property: Id(3)] Consent Consent,
    [property: Id(4)] DateTimeOffset? EndedAt = null,
    [property: Id(5)] string? EndedBy = null,
    [property: Id(6)] string? Label = null,
    [property: Id(7)] string? IssuerVaultId = null)
{
    public bool IsActive(DateTimeOffset now) => EndedAt is null && Consent.RecordedAt <= now && now < Consent.ExpiresAt;

    /// <summary>Active, ended (by either side) or expired, at <paramref name="now"/>.</summary>
    public CarerDelegationStatus StatusAt(DateTimeOffset now) =>
        EndedAt is not null ? CarerDelegationStatus.Ended : now >= Consent.ExpiresAt ? CarerDelegationStatus.Expired : CarerDelegationStatus.Active;
}

[GenerateSerializer, Alias("coffre.carer-delegation-status")]
public enum CarerDelegationStatus
{
    Active = 0,
    Ended = 1,
    Expired = 2,
}

/// <summary>The rules of a carer delegation, pure: bounds and the words the evaluator and the API use.</summary>
public static class CarerRules
{
    /// <summary>At most this many live (active, not ended, not expired) delegations per vault.</summary>
    public const int MaxLiveDelegations = 10;

    /// <summary>A delegation lasts at most a year; the person renews it by inviting again.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(366);

    /// <summary>An invitation code is valid this long.</summary>
    public static readonly TimeSpan InvitationValidity = TimeSpan.FromHours(72);

    /// <summary>Wrong codes given for one invitation before it locks.</summary>
    public const int InvitationMaxAttempts = 5;

    /// <summary>At most this many pending invitations per vault.</summary>
    public const int MaxPendingInvitations = 10;

    public const int MaxLabelLength = 80;

    /// <summary>Ended or expired delegations a vault keeps (a year at most: they explain a refusal), the oldest dropped first.</summary>
    public const int KeptSettledDelegations = 50;

    /// <summary>
    /// The live delegations, and of the ended or expired ones those of the last year, at most <see cref="KeptSettledDelegations"/>,
    /// the oldest dropped first; in their order.
    /// </summary>
    public static IReadOnlyList<CarerDelegation> KeepSettled(IEnumerable<CarerDelegation> delegations, DateTimeOffset now)
    {
        var all = delegations.ToList();
        var settled = all.Where(d => !d.IsActive(now) && (d.EndedAt >= now.AddYears(-1) || d.Consent.ExpiresAt >= now.AddYears(-1))).ToList();
        var kept = settled.Skip(Math.Max(0, settled.Count - KeptSettledDelegations)).ToHashSet(ReferenceEqualityComparer.Instance);
        return [.. all.Where(d => d.IsActive(now) || kept.Contains(d))];
    }

    /// <summary>What a refused acceptance answers, whatever the cause (no oracle on invitations).</summary>
    public const string InvitationRefused = "CARER_INVITATION_REFUSED";

    /// <summary>Splits an invitation code (<c>REF123-XXXXX-XXXXX-C</c>) into its reference and its code; false when it cannot be one.</summary>
    public static bool TrySplitCode(string? input, out string reference, out string code)
    {
        reference = code = "";
        var text = input?.Trim() ?? "";
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash != 6 || text.Length > 40)
        {
            return false;
        }
        reference = text[..6].ToUpperInvariant();
        code = text[7..];
        return reference.All(char.IsAsciiLetterOrDigit);
    }

    /// <summary>The actions in words, as the API names them: READ, DEPOSIT, MANAGE_APPOINTMENTS.</summary>
    public static string Describe(CarerActions actions) => string.Join(", ", new[]
    {
        (actions & CarerActions.Read) != 0 ? "READ" : null,
        (actions & CarerActions.Deposit) != 0 ? "DEPOSIT" : null,
        (actions & CarerActions.ManageAppointments) != 0 ? "MANAGE_APPOINTMENTS" : null,
    }.Where(a => a is not null));

    /// <summary>The document classes in words: their codes, or "all" when the scope names none.</summary>
    public static string DescribeClasses(DocumentScope scope) => scope.ClassCodes is { } codes ? string.Join(", ", codes) : "all";
}
