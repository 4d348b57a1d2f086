using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Grains.Vaults;

/// <summary>A vault's permissions and identity (state name <c>vault-v1</c>). Null access means "never opened".</summary>
[GenerateSerializer, Alias("coffre.vault-state")]
public sealed class VaultState
{
    [Id(0)] public VaultAccessState? Access { get; set; }
    [Id(1)] public IdentityTraits? Identity { get; set; }
    [Id(2)] public long QuotaBytes { get; set; }
    [Id(3)] public long UsedBytes { get; set; }
    [Id(4)] public List<string> SeenProfessionals { get; set; } = [];
    [Id(5)] public DateTimeOffset CreatedAt { get; set; }
    [Id(6)] public string CreatedBy { get; set; } = "";
    [Id(7)] public string? PassphraseHash { get; set; }
    [Id(8)] public int FailedSignIns { get; set; }
    [Id(9)] public DateTimeOffset? SignInLockedUntil { get; set; }
    [Id(10)] public DateTimeOffset? ActivatedAt { get; set; }
    /// <summary>The one live hand-over sheet (keyed hash of its code only), or the last one used, locked or replaced.</summary>
    [Id(11)] public HandOverState? HandOver { get; set; }
    /// <summary>Set when this vault was closed as merged into another.</summary>
    [Id(12)] public string? MergedInto { get; set; }
    /// <summary>Vaults merged into this one (a merge is applied once per source).</summary>
    [Id(13)] public List<string> MergedFrom { get; set; } = [];
    /// <summary>Bumped with every change of the referents or closure: the revision the accompaniment indexes keep.</summary>
    [Id(14)] public long AccompanimentRevision { get; set; }
    /// <summary>The vault's share links (bounded: <see cref="Coffre.Domain.Sharing.ShareLinks.MaxRememberedLinks"/>), never their codes.</summary>
    [Id(20)] public List<Sharing.ShareLinkRecord> ShareLinks { get; set; } = [];
    /// <summary>Carer invitations issued by the person (keyed hash of the code only), pending or settled, the most recent kept.</summary>
    [Id(25)] public List<CarerInvitationState> CarerInvitations { get; set; } = [];
    /// <summary>Delegations that expired and of which the person was told (the expiry reminder tells each once).</summary>
    [Id(26)] public List<string> CarerExpiriesNotified { get; set; } = [];
    /// <summary>When the vault passed to its person at 18 (parents told, person told); null before, or never a minor's.</summary>
    [Id(35)] public DateTimeOffset? MajorityReachedAt { get; set; }
}

/// <summary>A carer invitation as kept: what it will delegate and the code's keyed hash and key id, never the code.</summary>
[GenerateSerializer, Alias("coffre.carer-invitation-state")]
public sealed record CarerInvitationState(
    [property: Id(0)] string Reference,
    [property: Id(1)] short KeyId,
    [property: Id(2)] byte[] CodeHash,
    [property: Id(3)] IReadOnlyList<string> ClassCodes,
    [property: Id(4)] Coffre.Domain.Vaults.CarerActions Actions,
    [property: Id(5)] DateTimeOffset Until,
    [property: Id(6)] string? Label,
    [property: Id(7)] DateTimeOffset IssuedAt,
    [property: Id(8)] DateTimeOffset ExpiresAt,
    [property: Id(9)] string IssuedBy,
    [property: Id(10)] int Attempts,
    [property: Id(11)] HandOverStatus Status,
    [property: Id(12)] string? IssuerVaultId = null);

/// <summary>A hand-over sheet as kept: the code's keyed hash and key id, never the code.</summary>
[GenerateSerializer, Alias("coffre.hand-over-state")]
public sealed record HandOverState(
    [property: Id(0)] string Reference,
    [property: Id(1)] short KeyId,
    [property: Id(2)] byte[] CodeHash,
    [property: Id(3)] DateTimeOffset IssuedAt,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] string IssuedBy,
    [property: Id(6)] int Attempts,
    [property: Id(7)] HandOverStatus Status);

[GenerateSerializer, Alias("coffre.hand-over-status")]
public enum HandOverStatus
{
    Valid = 0,
    Used = 1,
    Locked = 2,
    Replaced = 3,
    /// <summary>A carer invitation whose issuer's representation ended before it was used.</summary>
    Cancelled = 4,
}

/// <summary>A vault's document index (state name <c>vault-documents-v1</c>): metadata only.</summary>
[GenerateSerializer, Alias("coffre.vault-documents-state")]
public sealed class VaultDocumentsState
{
    [Id(0)] public List<DocumentEntry> Documents { get; set; } = [];
    [Id(1)] public int NextNumber { get; set; } = 1;
}
