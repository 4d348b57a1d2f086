namespace Coffre.Grains.Rollout;

/// <summary>
/// Records a person's opposition: no vault is created (or the activated one is closed), every code is revoked,
/// the registry keeps only the minimal opposition record, and the person gets a receipt.
/// </summary>
[Alias("coffre.opposition")]
public interface IOppositionGrain : IGrainWithIntegerKey
{
    [Alias("record")] Task<OppositionReceipt?> RecordAsync(Domain.Access.Caller caller, OppositionRecordRequest request);
}

/// <summary>An operator (phone channel) gives the NIR; the person online proves identity with birth date and Vitale serial.</summary>
[GenerateSerializer, Immutable, Alias("coffre.opposition-request")]
public sealed record OppositionRecordRequest(
    [property: Id(0)] string Nir,
    [property: Id(1)] DateOnly? BirthDate,
    [property: Id(2)] string? VitaleSerial);

[GenerateSerializer, Immutable, Alias("coffre.opposition-receipt")]
public sealed record OppositionReceipt(
    [property: Id(0)] string ReceiptId,
    [property: Id(1)] DateTimeOffset RecordedAt,
    [property: Id(2)] bool VaultClosed,
    [property: Id(3)] int CodesRevoked);
