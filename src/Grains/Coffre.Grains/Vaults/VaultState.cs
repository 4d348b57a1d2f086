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
}

/// <summary>A vault's document index (state name <c>vault-documents-v1</c>): metadata only.</summary>
[GenerateSerializer, Alias("coffre.vault-documents-state")]
public sealed class VaultDocumentsState
{
    [Id(0)] public List<DocumentEntry> Documents { get; set; } = [];
    [Id(1)] public int NextNumber { get; set; } = 1;
}
