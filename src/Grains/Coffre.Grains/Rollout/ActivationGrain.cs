using System.Security.Cryptography;
using Coffre.Application.Audit;
using Coffre.Application.Rollout;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Grains.Identity;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Coffre.Grains.Rollout;

/// <summary>
/// Code + NIR + birth date + Vitale serial → an active vault. Every refusal takes the same path and returns the same
/// answer: hash the NIR, one registry read, the code hash and the Vitale hash computed, one "record refusal" statement
/// (always a write and a commit), one audit append on the chain of the vault id derived from the NIR — the person's
/// vault when the registry knows them, a chain of the same kind otherwise — so known and unknown NIRs cost the same
/// statements, commits and appends. Only an attempt that proves the person's secrets (birth date and Vitale serial)
/// with a wrong, expired or otherwise refused code counts toward the code's lock: a NIR alone cannot lock anyone's
/// code (wrong secrets are rate limited per client and per person before reaching here). The code is single use
/// (the store's conditional update decides the one winner).
/// </summary>
[StatelessWorker(64)] // one activation per silo would serialise on its database round trips; 64 measured 2.5× the default (benchmarks/RESULTS.md)
[GrainType("activation")]
public sealed class ActivationGrain(
    IActivationStore store,
    NirHasher nirHasher,
    CodeHasher codeHasher,
    IAuditLog audit,
    IOptions<ActivationOptions> options,
    TimeProvider clock) : Grain, IActivationGrain
{
    private const string InvalidNir = "000000000000000";
    private static readonly byte[] DummyHash = new byte[32];
    private static readonly Caller System = Caller.Operator("system:activation");

    async Task<ActivationResult> IActivationGrain.ActivateAsync(ActivationRequest request)
    {
        var now = clock.GetUtcNow();
        var nirValid = Nir.IsValid(request.Nir);
        var codeValid = ActivationCodes.TryNormalise(request.Code, out var code);
        var nirHash = Convert.FromHexString(nirHasher.HashHex(nirValid ? request.Nir : InvalidNir));
        var candidate = nirValid ? await store.FindCandidateAsync(nirHash) : null;

        // Same work whether or not the person and code exist: always one code hash and one Vitale hash.
        var codeMatches = codeHasher.Verify(codeValid ? code : "00000000000", candidate?.KeyId ?? codeHasher.CurrentKeyId, candidate?.CodeHash ?? DummyHash);
        var vitaleMatches = CryptographicOperations.FixedTimeEquals(candidate?.VitaleHash ?? DummyHash, VitaleHash(request.VitaleSerial));
        var secretsProven = candidate is { PersonRegistered: true, VitaleHash: not null } c
            && c.BirthDate == request.BirthDate && vitaleMatches;
        var ok = secretsProven && codeValid && codeMatches
            && now >= candidate!.IssuedAt - options.Value.ClockSkew && now <= candidate.ExpiresAt + options.Value.ClockSkew;

        if (!ok || !await store.ConsumeAsync(candidate!))
        {
            await store.RecordRefusalAsync(nirHash, candidate, countAttempt: secretsProven, options.Value.MaxAttempts);
            await audit.AppendAsync(AuditEvents.Create(RegistryVaultIds.For(nirHash), Caller.Anonymous, "vault.activate", "vault",
                AccessDecision.Deny(DenialReason.NotAuthenticated, "activation refused"), now));
            Operations.SiloCounters.ActivationSettled(activated: false);
            return new ActivationResult(ActivationOutcome.Refused, null);
        }

        await store.MarkActivatedAsync(nirHash);
        // Through the person's identity grain: serialised with a referent opening their vault, so both end in one vault
        // (the one a referent opened or attached first, else the registry's).
        var vaultId = await GrainFactory.GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(Convert.ToHexStringLower(nirHash))).ActivatedAsync(System);
        Operations.SiloCounters.ActivationSettled(activated: true);
        return new ActivationResult(ActivationOutcome.Activated, vaultId);
    }

    /// <summary>The Vitale serial's keyed hash, exactly as the import stored it.</summary>
    private byte[] VitaleHash(string serial)
    {
        var hash = new byte[NirHasher.HashSize];
        nirHasher.HashVitaleSerial(serial ?? "", hash);
        return hash;
    }
}
