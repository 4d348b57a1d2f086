using Coffre.Domain;
using Coffre.Application.Audit;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;
using Coffre.Grains.Rollout;
using Coffre.Grains.Vaults;

namespace Coffre.Grains.Identity;

/// <summary>
/// One person's identity resolution and the serialisation point of every workflow that binds them to a vault (see
/// <see cref="INirIndexGrain"/>). State: the claimed vault id only. The registry vault is derived from the key (the
/// NIR's keyed hash) and asked of the registry when nothing is claimed.
/// </summary>
[GrainType("nir-index")]
public sealed class NirIndexGrain(
    [PersistentState(GrainNames.States.NirIndex, GrainNames.Storage)] IPersistentState<NirIndexState> state,
    HabilitationMatrix matrix,
    IVaultRegistry registry,
    IAuditLog audit,
    TimeProvider clock) : Grain, INirIndexGrain
{
    private string NirHashHex => this.GetPrimaryKeyString()["nir-".Length..];

    /// <summary>The registry's deterministic vault id for this person (whether or not the registry knows them).</summary>
    private string RegistryVaultId => RegistryVaultIds.For(Convert.FromHexString(NirHashHex));

    /// <summary>The one resolution: the claimed vault first, else the registry's vault when the person is registered and not opposed.</summary>
    private async Task<string?> ResolveAsync()
    {
        if (state.State.VaultId is { } claimed)
        {
            return claimed;
        }
        var registryVault = RegistryVaultId;
        return await registry.FindByVaultIdAsync(registryVault) is { Opposed: false } ? registryVault : null;
    }

    private async Task ClaimAsync(string vaultId)
    {
        if (state.State.VaultId != vaultId)
        {
            state.State.VaultId = vaultId;
            state.State.OpposedClaim = false;
            await state.WriteStateAsync();
        }
    }

    /// <summary>
    /// Before a vault is opened or attached for this person, the registry learns that this grain claims one: activation
    /// then comes here (the claimed vault may not be the registry's), while an unclaimed person's activation loads no grain.
    /// Recorded first, so an activation settled after it never misses the claim; an opening that then fails leaves a
    /// harmless record (this grain resolves as before).
    /// </summary>
    private Task RecordClaimAsync() => state.State.VaultId is null ? registry.RecordClaimAsync(Convert.FromHexString(NirHashHex)) : Task.CompletedTask;

    private IVaultGrain Vault(string vaultId) => GrainFactory.GetGrain<IVaultGrain>(vaultId);

    async Task<string?> INirIndexGrain.FindAsync(Caller caller)
    {
        AccessEvaluator.DecideNirLookup(caller).OrThrow();
        var vaultId = await ResolveAsync();
        if (vaultId is null)
        {
            // No vault for this NIR: nothing to keep in memory.
            this.DeactivateOnIdle();
        }
        return vaultId;
    }

    async Task<FeedTarget> INirIndexGrain.FindForFeedAsync(Caller caller)
    {
        AccessEvaluator.DecideNirLookup(caller).OrThrow();
        if (state.State.VaultId is { } claimed)
        {
            return new FeedTarget(claimed, false);
        }
        var registryVault = RegistryVaultId;
        var registered = await registry.FindByVaultIdAsync(registryVault);
        if (registered is { Opposed: false })
        {
            return new FeedTarget(registryVault, false);
        }
        if (!state.State.OpposedClaim)
        {
            this.DeactivateOnIdle();
        }
        return new FeedTarget(null, registered is { Opposed: true } || state.State.OpposedClaim);
    }

    async Task<VaultView> INirIndexGrain.OpenAsync(Caller caller, OpenVault command)
    {
        // Only someone who may open a vault learns whether the person has one: nobody can probe or squat a NIR.
        VaultOpening.Decide(caller, matrix, command.Consent is not null).OrThrow();
        if (state.State.VaultId is not null)
        {
            throw new ValidationFailedException("nir", "already has a vault: ask its owner or a referent for access", ErrorCodes.Conflict);
        }
        var registryVault = RegistryVaultId;
        if (await registry.FindByVaultIdAsync(registryVault) is { Opposed: false } registered)
        {
            if (registered.Activated)
            {
                // The person activated their registry vault (the registry is the claim).
                throw new ValidationFailedException("nir", "already has a vault: ask its owner or a referent for access", ErrorCodes.Conflict);
            }
            // The imported person: their registry vault, under the referent's consent; their code later opens the same vault.
            await RecordClaimAsync();
            var opened = await Vault(registryVault).OpenRegisteredAsync(caller, command);
            await ClaimAsync(registryVault);
            return opened;
        }
        var vaultId = Ids.NewVaultId();
        await RecordClaimAsync();
        var view = await Vault(vaultId).OpenAsync(caller, command);
        await ClaimAsync(vaultId);
        return view;
    }

    async Task<string> INirIndexGrain.ActivatedAsync(Caller system)
    {
        var decision = RegistryActivation.RequireSystem(system);
        // A claimed vault (a referent opened or attached it first) wins: it has its own stored state, which its grain writes.
        if (state.State.VaultId is { } claimed)
        {
            await Vault(claimed).ActivateAsync(system);
            return claimed;
        }
        // Otherwise the registry vault (a claim recorded for an opening that failed), as the activation grain does for a
        // person nobody claimed: audited on its chain, its grain not called (a grain of it in memory follows the registry).
        var vaultId = RegistryVaultId;
        await RegistryActivation.AuditAsync(audit, vaultId, system, decision, clock.GetUtcNow());
        this.DeactivateOnIdle();
        return vaultId;
    }

    async Task<string?> INirIndexGrain.SignInAsync(DateOnly birthDate, string passphrase)
    {
        if (await ResolveAsync() is not { } vaultId)
        {
            Passphrases.Verify(passphrase, Passphrases.Dummy);
            this.DeactivateOnIdle();
            return null;
        }
        return await Vault(vaultId).SignInAsync(birthDate, passphrase) ? vaultId : null;
    }

    async Task<VaultView> INirIndexGrain.AttachAsync(Caller caller, string vaultId, string nirMasked)
    {
        VaultOpening.Decide(caller, matrix, consentRecorded: true).OrThrow();
        var existing = await ResolveAsync();
        if (existing == vaultId)
        {
            return await Vault(vaultId).GetAsync(caller);
        }
        if (existing is not null)
        {
            // Never merged silently: an operator merges the two vaults (mergeVaults), audited on both.
            throw new ValidationFailedException("nir", "already has a vault: an operator can merge this vault into it (mergeVaults)", ErrorCodes.Conflict);
        }
        await RecordClaimAsync();
        var view = await Vault(vaultId).AttachNirAsync(caller, nirMasked);
        await ClaimAsync(vaultId);
        return view;
    }

    async Task<string?> INirIndexGrain.OpposedAsync(Caller system)
    {
        RegistryActivation.RequireSystem(system);
        if (state.State.VaultId is not { } claimed)
        {
            this.DeactivateOnIdle();
            return null;
        }
        await Vault(claimed).CloseAsync(system);
        state.State.VaultId = null;
        state.State.OpposedClaim = true;
        await state.WriteStateAsync();
        return claimed;
    }
}

[GenerateSerializer, Alias("coffre.nir-index-state")]
public sealed class NirIndexState
{
    [Id(0)]
    public string? VaultId { get; set; }

    /// <summary>The claimed vault was closed by the person's opposition (the feed then answers OPPOSED, not unknown).</summary>
    [Id(1)]
    public bool OpposedClaim { get; set; }
}
