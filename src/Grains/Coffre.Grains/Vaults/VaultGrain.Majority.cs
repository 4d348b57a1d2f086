using Coffre.Domain.Access;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>
/// A minor's vault passes to them at 18. The rule is the evaluator's (a PARENT representation of a person who is 18 is
/// refused BasisExpired from the birthday on, whatever happens here); this file tells the people concerned, once: the
/// person (MajorityReached, in-app and their alert channel) and each parent (RepresentationEndedAtMajority). Triggered by
/// the daily set-based run over the registry (<c>coffre rollout majority --date D</c>: the vault grains of the people
/// born 18 years before D) and by the grain itself each time it is activated (a missed day is caught up on first use).
/// </summary>
public sealed partial class VaultGrain
{
    /// <summary>Handed over by this activation's own check (OnActivateAsync), not yet reported to a run.</summary>
    private bool _majorityUnreported;

    public async Task<bool> ReachMajorityAsync()
    {
        if (vault.State.Access is null)
        {
            throw NoSuchVault();
        }
        // The run's call activated the grain, whose own check may just have done it: that counts as now, once.
        var now = await CheckMajorityAsync() || _majorityUnreported;
        _majorityUnreported = false;
        return now;
    }

    private async Task<bool> CheckMajorityAsync()
    {
        var now = Now;
        if (vault.State.Access is not { Status: not VaultStatus.Closed } access || vault.State.MajorityReachedAt is not null
            || !AccessEvaluator.IsAdult(access, now))
        {
            return false;
        }
        var parents = access.Representatives.Where(r => r.Kind == RepresentationKind.Parent).Select(r => r.RepresentativeVaultId)
            .Distinct(StringComparer.Ordinal).ToList();
        if (parents.Count == 0 && !access.IsMinor)
        {
            return false;
        }
        vault.State.Access = access with { IsMinor = false };
        vault.State.MajorityReachedAt = now;
        // What the parents delegated or offered to carers ends with their authority; the person invites again if they wish.
        var endedCarers = EndIssuedBy(parents, "majority", now);
        await vault.WriteStateAsync();
        await NotifyAsync(new MajorityReachedNotice(VaultId, parents.Count, now));
        await TellCarersEndedAsync(endedCarers, now);
        foreach (var parent in parents)
        {
            await NotifyAsync(parent, new RepresentationEndedAtMajorityNotice(VaultId, now));
        }
        VaultLog.MajorityReached(logger, parents.Count);
        _majorityUnreported = true;
        return true;
    }
}
