using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed record ActivateVaultInput(string Code, string Nir, DateOnly BirthDate, string VitaleSerial);
public sealed record SetPassphraseInput(string VaultId, string Passphrase) : IVaultInput;
public sealed record SignInInput(string? Nir, string? VaultId, DateOnly BirthDate, string Passphrase);
public sealed record RecordOppositionInput(string Nir, DateOnly? BirthDate, string? VitaleSerial);

/// <summary>A person's session after activation or sign-in.</summary>
public sealed record PatientSession(string VaultId, string? Token);

public sealed class ActivateVaultInputType : InputObjectGraphType<ActivateVaultInput>
{
    public ActivateVaultInputType()
    {
        Name = "ActivateVaultInput";
        Description = "The code from the letter or email, with the NIR, birth date and Carte Vitale serial.";
        Field(x => x.Code).Description("As printed (XXXXX-XXXXX-C); case, spaces and hyphens do not matter.");
        Field(x => x.Nir).Description("Plain string here (not the Nir scalar) so that a malformed NIR gets the same answer as any other failure.");
        Field<NonNullGraphType<DateOnlyGraphType>>("birthDate");
        Field(x => x.VitaleSerial);
    }
}

public sealed class SetPassphraseInputType : InputObjectGraphType<SetPassphraseInput>
{
    public SetPassphraseInputType()
    {
        Name = "SetPassphraseInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field(x => x.Passphrase).Description("At least 12 characters.");
    }
}

public sealed class SignInInputType : InputObjectGraphType<SignInInput>
{
    public SignInInputType()
    {
        Name = "SignInInput";
        Description = "Exactly one of nir or vaultId (a person without a NIR signs in with the vault id of their hand-over sheet).";
        Field(x => x.Nir, nullable: true);
        Field(x => x.VaultId, nullable: true).Description("The vault id printed on the hand-over sheet (v-…).");
        Field<NonNullGraphType<DateOnlyGraphType>>("birthDate");
        Field(x => x.Passphrase);
    }
}

public sealed class PatientSessionType : ObjectGraphType<PatientSession>
{
    public PatientSessionType()
    {
        Name = "PatientSession";
        Field(s => s.VaultId);
        Field(s => s.Token, nullable: true).Description("Bearer token for the person (null where an external identity provider issues tokens).");
    }
}

public sealed class ActivateVaultPayloadType() : PayloadType<PatientSessionType>("ActivateVaultPayload", "session", withVault: false);
public sealed class SetPassphrasePayloadType() : PayloadType<BooleanGraphType>("SetPassphrasePayload", "passphraseSet");
public sealed class SignInPayloadType() : PayloadType<PatientSessionType>("SignInPayload", "session", withVault: false);

public sealed class RecordOppositionInputType : InputObjectGraphType<RecordOppositionInput>
{
    public RecordOppositionInputType()
    {
        Name = "RecordOppositionInput";
        Description = "An operator (phone channel) gives the NIR; a person online adds their birth date and Carte Vitale serial as proof.";
        Field(x => x.Nir);
        Field<DateOnlyGraphType>("birthDate");
        Field(x => x.VitaleSerial, nullable: true);
    }
}

public sealed class OppositionReceiptType : ObjectGraphType<Coffre.Grains.Rollout.OppositionReceipt>
{
    public OppositionReceiptType()
    {
        Name = "OppositionReceipt";
        Description = "Proof that the opposition was recorded: keep the receipt id.";
        Field(r => r.ReceiptId);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("recordedAt").Resolve(ctx => ctx.Source.RecordedAt);
        Field(r => r.VaultClosed).Description("The person had activated their vault: it is now closed.");
        Field(r => r.CodesRevoked);
    }
}

public sealed class RecordOppositionPayloadType() : PayloadType<OppositionReceiptType>("RecordOppositionPayload", "receipt", withVault: false);
