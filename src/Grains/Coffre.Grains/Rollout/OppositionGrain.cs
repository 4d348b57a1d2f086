using System.Security.Cryptography;
using Coffre.Application.Rollout;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Grains.Identity;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Coffre.Grains.Rollout;

/// <summary>
/// Opposition by phone (an operator) or online (the person, proving identity with birth date and Vitale serial).
/// A person whose proof does not match gets null — the same answer as someone unknown (no enumeration).
/// </summary>
[StatelessWorker(64)] // one activation per silo would serialise on its database round trips; 64 measured 2.5× the default (benchmarks/RESULTS.md)
[GrainType("opposition")]
public sealed class OppositionGrain(IRolloutStore store, NirHasher nirHasher, TimeProvider clock, ILogger<OppositionGrain> logger) : Grain, IOppositionGrain
{
    private static readonly Caller System = Caller.Operator("system:opposition");

    async Task<OppositionReceipt?> IOppositionGrain.RecordAsync(Caller caller, OppositionRecordRequest request)
    {
        if (Nir.Validate(request.Nir) is { } rule)
        {
            throw new ValidationFailedException("nir", rule);
        }
        var nirHash = new byte[NirHasher.HashSize];
        nirHasher.Hash(request.Nir, nirHash);
        OppositionChannel channel;
        if (caller.IsOperator)
        {
            AccessEvaluator.DecideOperator(caller, OperatorAction.Opposition).OrThrow();
            channel = OppositionChannel.Operator;
        }
        else
        {
            // The person: the registry must know them and their proof must match.
            var person = await store.FindPersonAsync(nirHash);
            var vitale = new byte[NirHasher.HashSize];
            nirHasher.HashVitaleSerial(request.VitaleSerial ?? "", vitale);
            var proven = person is { BirthDate: { } birth, VitaleHash: { } stored } && birth == request.BirthDate
                && CryptographicOperations.FixedTimeEquals(stored, vitale);
            if (!proven)
            {
                return null;
            }
            channel = OppositionChannel.Person;
        }
        var result = await store.RecordOppositionAsync(new OppositionRequest(nirHash, channel, caller.IsOperator ? caller.Subject : "person", clock.GetUtcNow()));
        // The person's vault closes through their identity grain (a vault a referent opened, or the activated registry
        // vault), which also forgets the claim: the person no longer has a vault.
        var closed = await GrainFactory.GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(Convert.ToHexStringLower(nirHash))).OpposedAsync(System);
        if (result.WasActivated && closed != result.VaultId)
        {
            await GrainFactory.GetGrain<IVaultGrain>(result.VaultId).CloseAsync(System);
        }
        var vaultClosed = result.WasActivated || closed is not null;
        RolloutLog.OppositionRecorded(logger, channel, vaultClosed, result.CodesRevoked);
        return new OppositionReceipt(result.ReceiptId, result.RecordedAt, vaultClosed, result.CodesRevoked);
    }
}
