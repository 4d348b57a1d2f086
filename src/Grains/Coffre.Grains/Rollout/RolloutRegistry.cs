using Coffre.Application.Rollout;
using Coffre.Domain.Documents;
using Microsoft.Extensions.Options;

namespace Coffre.Grains.Rollout;

/// <summary>The rollout store seen from vaults (initial state of an imported vault) and from activation.</summary>
public sealed class RolloutRegistry(IRolloutStore store, IOptions<ActivationOptions> options, TimeProvider clock) : IVaultRegistry, IActivationStore
{
    public async Task<RegistryIdentity?> FindByVaultIdAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        if (await store.FindPersonByVaultIdAsync(vaultId, cancellationToken) is not { } person)
        {
            return null;
        }
        if (person.Opposed || person.BirthDate is not { } birthDate || person.FamilyName is null || person.GivenNames is null)
        {
            return new RegistryIdentity(new IdentityTraits("", "", default, Sex.Unknown), false, [], Opposed: true);
        }
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        return new RegistryIdentity(
            new IdentityTraits(person.FamilyName, person.GivenNames, birthDate, person.Sex, person.NirMasked),
            IsMinor: birthDate.AddYears(18) > today,
            person.RepresentativeVaultIds,
            Opposed: false);
    }

    public async Task<ActivationCandidate?> FindCandidateAsync(byte[] nirHash, CancellationToken cancellationToken = default) =>
        await store.FindValidCodeAsync(nirHash, cancellationToken) is { } code
            ? new ActivationCandidate(code.CodeId, code.KeyId, code.CodeHash, code.IssuedAt, code.ExpiresAt, code.Attempts,
                code.BirthDate ?? default, code.VitaleHash, code.VaultId, code.PersonRegistered)
            : null;

    public async Task<bool> RecordRefusalAsync(byte[] nirHash, ActivationCandidate? candidate, bool countAttempt, int maxAttempts, CancellationToken cancellationToken = default) =>
        (await store.RecordRefusalAsync(nirHash, candidate?.CodeId, countAttempt, maxAttempts, clock.GetUtcNow(), cancellationToken)).Locked;

    /// <summary>The store refuses a code past its expiry; the tolerated clock skew is granted here (the time of use stays now).</summary>
    public Task<bool> ConsumeAsync(ActivationCandidate candidate, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        return store.ConsumeCodeAsync(candidate.CodeId, now, cancellationToken, expiryCutoff: now - options.Value.ClockSkew);
    }

    public Task MarkActivatedAsync(byte[] nirHash, CancellationToken cancellationToken = default) =>
        store.MarkActivatedAsync(nirHash, clock.GetUtcNow(), cancellationToken);
}
