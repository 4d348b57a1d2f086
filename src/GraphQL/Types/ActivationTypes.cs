using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed record ActivateVaultInput(string Code, string Nir, DateOnly BirthDate, string VitaleSerial);
public sealed record SetPassphraseInput(string VaultId, string Passphrase) : IVaultInput;
public sealed record SignInInput(string Nir, DateOnly BirthDate, string Passphrase);

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
        Field(x => x.Nir);
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
