using System.Security.Cryptography;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Grains.Vaults;
using Coffre.Storage.Audit;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Coffre.Grains.Rollout;

/// <summary>
/// Code + NIR + birth date + Vitale serial → an active vault. Every failure takes the same path (hash the code,
/// one registry round trip, one attempt write or an equivalent round trip, one audit append) and returns the same
/// answer. The code is single use (the store's conditional update decides the one winner).
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
    /// <summary>Chain that records attempts for people the registry does not know (no vault to attach them to).</summary>
    public const string UnknownPersonChain = "activation-unknown";
    private static readonly byte[] DummyHash = new byte[32];
    private static readonly Caller System = Caller.Operator("system:activation");

    async Task<ActivationResult> IActivationGrain.ActivateAsync(ActivationRequest request)
    {
        var now = clock.GetUtcNow();
        var nirValid = Nir.IsValid(request.Nir);
        var codeValid = ActivationCodes.TryNormalise(request.Code, out var code);
        var nirHash = Convert.FromHexString(nirHasher.HashHex(nirValid ? request.Nir : "000000000000000"));
        var candidate = nirValid ? await store.FindCandidateAsync(nirHash) : null;

        // Same work whether or not the person and code exist: always one hash computation.
        var codeMatches = codeHasher.Verify(codeValid ? code : "00000000000", candidate?.KeyId ?? codeHasher.CurrentKeyId, candidate?.CodeHash ?? DummyHash);
        var ok = candidate is { PersonRegistered: true } c && codeValid && codeMatches
            && c.BirthDate == request.BirthDate
            && c.VitaleHash is not null && CryptographicOperations.FixedTimeEquals(c.VitaleHash, VitaleHash(request.VitaleSerial))
            && now >= c.IssuedAt - options.Value.ClockSkew && now <= c.ExpiresAt + options.Value.ClockSkew;

        if (!ok || !await store.ConsumeAsync(candidate!))
        {
            if (candidate is not null)
            {
                await store.RecordFailedAttemptAsync(candidate, options.Value.MaxAttempts);
            }
            else
            {
                await store.TouchAsync();
            }
            await audit.AppendAsync(AuditEvents.Create(candidate?.VaultId ?? UnknownPersonChain, Caller.Anonymous, "vault.activate", "vault",
                AccessDecision.Deny(DenialReason.NotAuthenticated, "activation refused"), now));
            return new ActivationResult(ActivationOutcome.Refused, null);
        }

        await store.MarkActivatedAsync(nirHash);
        await GrainFactory.GetGrain<IVaultGrain>(candidate!.VaultId).ActivateAsync(System);
        return new ActivationResult(ActivationOutcome.Activated, candidate.VaultId);
    }

    /// <summary>The Vitale serial's keyed hash, exactly as the import stored it.</summary>
    private byte[] VitaleHash(string serial)
    {
        var hash = new byte[NirHasher.HashSize];
        Storage.Rollout.PopulationImporter.HashVitale(nirHasher, serial ?? "", hash);
        return hash;
    }
}
