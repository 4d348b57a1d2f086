using Coffre.Application.Audit;
using Coffre.Application.Rollout;
using Coffre.Domain.Access;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Coffre.Grains.Rollout;

/// <summary>Re-issue (<see cref="CodeReissue"/>) and the daily majority run, for rollout operators, on a silo.</summary>
[StatelessWorker]
[GrainType("rollout-operations")]
public sealed class RolloutOperationsGrain(
    IRolloutStore store,
    IContentStore content,
    CodeHasher codeHasher,
    DeliveryCodeCipher cipher,
    IAuditLog audit,
    NirHasher nirHasher,
    TimeProvider clock,
    ILogger<RolloutOperationsGrain> logger) : Grain, IRolloutOperationsGrain
{
    /// <summary>Vault grains called at once by the majority run (about 2 200 people a day).</summary>
    private const int MajorityConcurrency = 16;

    public async Task<CodeReissueResult> ReissueAsync(Caller caller, string campaignId, string nir)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Campaigns).OrThrow();
        if (Nir.Validate(nir) is { } rule)
        {
            throw new ValidationFailedException("nir", rule);
        }
        var nirHash = new byte[NirHasher.HashSize];
        nirHasher.Hash(nir, nirHash);
        var issuance = new IssuanceService(store, content, codeHasher, cipher, new IssuanceOptions { ChunkSize = 1, Writers = 1, CountFirst = false }, clock);
        try
        {
            var result = await new CodeReissue(issuance, store, audit, clock).ReissueAsync(caller, campaignId, nirHash);
            RolloutLog.CodeReissued(logger, result.Issued, result.Revoked);
            return ToContract(result);
        }
        catch (CampaignConflictException)
        {
            throw new ValidationFailedException("campaignId", "names a closed campaign", Coffre.Domain.ErrorCodes.Conflict);
        }
        catch (IssuanceConflictException)
        {
            throw new ValidationFailedException("nir", "was given a code by an issuance run at the same moment: try again", Coffre.Domain.ErrorCodes.Conflict);
        }
    }

    public async Task<MajorityRunResult> ReachMajorityAsync(Caller caller, DateOnly date)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Campaigns).OrThrow();
        var bornOn = date.AddYears(-18);
        var vaults = new List<string>(await store.ListVaultsBornOnAsync(bornOn));
        // Born on 29 February: 18 on 28 February of a common year (as the evaluator counts, DateOnly.AddYears).
        if (date is { Month: 2, Day: 28 } && !DateTime.IsLeapYear(date.Year) && DateTime.IsLeapYear(bornOn.Year))
        {
            vaults.AddRange(await store.ListVaultsBornOnAsync(new DateOnly(bornOn.Year, 2, 29)));
        }
        // In this activation's context (grain calls from it), MajorityConcurrency vault grains at a time.
        var handedOver = 0;
        foreach (var batch in vaults.Chunk(MajorityConcurrency))
        {
            var done = await Task.WhenAll(batch.Select(vaultId => GrainFactory.GetGrain<IVaultGrain>(vaultId).ReachMajorityAsync()));
            handedOver += done.Count(d => d);
        }
        RolloutLog.MajorityRun(logger, vaults.Count, handedOver);
        return new MajorityRunResult(date, bornOn, vaults.Count, handedOver, vaults.Count - handedOver);
    }

    internal static CodeReissueResult ToContract(ReissueResult result) => new(result.Revoked, result.Issued,
        result.Channel?.ToString().ToUpperInvariant(), result.PrintBatchNo);
}
