using Coffre.Application.Audit;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Grains.Identity;

namespace Coffre.Grains.Rollout;

/// <summary>
/// Code + NIR + birth date + Vitale serial → an active vault, in this silo. Hashes the NIR and the Vitale serial and
/// hands the attempt to the silo's <see cref="ActivationSettler"/>, which settles it with the concurrent ones (one
/// registry read and one transaction per group, which on PostgreSQL also appends each activation's audit event). Every
/// refusal takes the same path and returns the same answer: the same checks (code hash and Vitale hash for every
/// attempt), a share of the group's one read and one transaction (the day's refusal tally always written), one audit
/// append on the chain of the vault id derived from the NIR — the person's vault when the registry knows them, a chain
/// of the same kind otherwise. Only an attempt that proves the person's secrets (birth date and Vitale serial) with a
/// wrong, expired or otherwise refused code counts toward the code's lock: a NIR alone cannot lock anyone's code (wrong
/// secrets are rate limited per client and per person before reaching here). The code is single use (the settlement's
/// conditional update decides the one winner).
/// </summary>
/// <remarks>
/// The API co-hosted with this silo calls it directly (<see cref="IActivations"/>); a gateway's requests reach it through
/// the stateless <see cref="ActivationGrain"/>. Holding no state and only waiting on the settler, it takes any number of
/// attempts at once (the settler's group size bounds the concurrency).
/// </remarks>
public sealed class SiloActivations(ActivationSettler settler, NirHasher nirHasher, IAuditLog audit, IGrainFactory grains, TimeProvider clock) : IActivations
{
    private const string InvalidNir = "000000000000000";
    private static readonly Caller System = RegistryActivation.Activation;

    public async Task<ActivationResult> ActivateAsync(ActivationRequest request)
    {
        var attempt = Attempt(nirHasher, request);
        var settled = await settler.SettleAsync(attempt).ConfigureAwait(false);
        if (!settled.Activated)
        {
            Operations.SiloCounters.ActivationSettled(activated: false);
            return new ActivationResult(ActivationOutcome.Refused, null);
        }
        // A person whose identity grain claimed a vault (a referent opened or attached one first) is activated through that
        // grain, which knows the vault. Anyone else has their registry vault, which the settlement has just made active
        // in the registry (its truth): no grain is loaded; the activation is audited on the vault's chain. A claim is
        // recorded before its vault exists, and a referent opening a registered person's vault opens this same registry
        // vault, so both paths end in one vault.
        string vaultId;
        if (settled.IdentityClaimed)
        {
            vaultId = await grains.GetGrain<INirIndexGrain>(GrainNames.Keys.NirIndex(Convert.ToHexStringLower(attempt.NirHash))).ActivatedAsync(System)
                .ConfigureAwait(false);
        }
        else
        {
            vaultId = RegistryVaultIds.For(attempt.NirHash);
            if (settled.Audited)
            {
                // The settlement's transaction appended the event to the vault's chain (PostgreSQL).
                Operations.SiloCounters.AuditEventAppended();
            }
            else
            {
                await RegistryActivation.AuditAsync(audit, vaultId, System, RegistryActivation.RequireSystem(System), clock.GetUtcNow()).ConfigureAwait(false);
            }
        }
        Operations.SiloCounters.ActivationSettled(activated: true);
        // A minor's code proved with a legal representative's card: the child's vault is active, but the session is the
        // representative's own (their registry vault id), who acts on the child's vault as its representative, never as
        // its owner (documents hidden from representatives stay hidden).
        return new ActivationResult(ActivationOutcome.Activated,
            settled.RepresentativeNirHash is { } representative ? RegistryVaultIds.For(representative) : vaultId);
    }

    /// <summary>The attempt's hashes, computed the same way whatever the input (an invalid NIR hashes a fixed invalid one).</summary>
    public static ActivationAttempt Attempt(NirHasher nirHasher, ActivationRequest request)
    {
        var nirValid = Nir.IsValid(request.Nir);
        var codeValid = ActivationCodes.TryNormalise(request.Code, out var code);
        var nirHash = Convert.FromHexString(nirHasher.HashHex(nirValid ? request.Nir : InvalidNir));
        var vitaleHash = new byte[NirHasher.HashSize];
        nirHasher.HashVitaleSerial(request.VitaleSerial ?? "", vitaleHash);
        return new ActivationAttempt(nirHash, nirValid, codeValid ? code : null, request.BirthDate, vitaleHash);
    }
}
