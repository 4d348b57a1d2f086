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
            return new RegistryIdentity(new IdentityTraits("", "", default, Sex.Unknown), false, [], Opposed: true,
                Activated: person.Status == PersonStatus.Closed);
        }
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        return new RegistryIdentity(
            new IdentityTraits(person.FamilyName, person.GivenNames, birthDate, person.Sex, person.NirMasked),
            IsMinor: birthDate.AddYears(18) > today,
            person.RepresentativeVaultIds,
            Opposed: false,
            Activated: person.Status == PersonStatus.Activated,
            BirthDate: birthDate,
            OppositionWindowEndsAt: person.OppositionWindowEndsAt,
            Created: person.WindowClosedAt is not null);
    }

    public async Task<IReadOnlyList<ActivationCandidate?>> FindCandidatesAsync(IReadOnlyList<byte[]> nirHashes, CancellationToken cancellationToken = default) =>
        [.. (await store.FindValidCodesAsync(nirHashes, cancellationToken)).Select(code => code is null ? null
            : new ActivationCandidate(code.CodeId, code.KeyId, code.CodeHash, code.IssuedAt, code.ExpiresAt, code.Attempts,
                code.BirthDate ?? default, code.VitaleHash, code.VaultId, code.PersonRegistered, code.RepresentativeVitaleHashes,
                code.RepresentativeNirHashes, code.IdentityClaimed, code.AuditTip))];

    public Task RecordClaimAsync(byte[] nirHash, CancellationToken cancellationToken = default) =>
        store.RecordIdentityClaimAsync(nirHash, clock.GetUtcNow(), cancellationToken);

    /// <summary>The store refuses a code past its expiry; the tolerated clock skew is granted here (the time of use stays now).</summary>
    public Task<SettledActivations> SettleAsync(IReadOnlyList<ActivationConsume> consume, IReadOnlyList<ActivationRefusal> refusals, DateTimeOffset now,
        CancellationToken cancellationToken = default) =>
        store.SettleActivationsAsync(new ActivationSettlement(consume, refusals, options.Value.MaxAttempts, now, now - options.Value.ClockSkew), cancellationToken);
}
