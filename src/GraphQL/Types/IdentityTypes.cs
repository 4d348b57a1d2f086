using Coffre.Grains.Identity;
using Coffre.Grains.Vaults;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed record AttachNirInput(string VaultId, string Nir) : IVaultInput;
public sealed record MergeVaultsInput(string SourceVaultId, string TargetVaultId, string Reason);
public sealed record IssueHandOverInput(string VaultId) : IVaultInput;
public sealed record ActivateWithHandOverInput(string VaultId, string Code, DateOnly BirthDate, string Passphrase);

public sealed class AttachNirInputType : InputObjectGraphType<AttachNirInput>
{
    public AttachNirInputType()
    {
        Name = "AttachNirInput";
        Description = "Adds the person's NIR to a vault opened without one (operators and the vault's active referents).";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<NirGraphType>>("nir");
    }
}

public sealed class MergeVaultsInputType : InputObjectGraphType<MergeVaultsInput>
{
    public MergeVaultsInputType()
    {
        Name = "MergeVaultsInput";
        Description = "Operators: merges a vault opened without a NIR (source) into the person's vault (target).";
        Field<NonNullGraphType<IdGraphType>>("sourceVaultId").Description("The vault opened without a NIR: it closes as merged.");
        Field<NonNullGraphType<IdGraphType>>("targetVaultId").Description("The person's vault (vaultByNir): it receives the documents.");
        Field(x => x.Reason).Description("Why both vaults are the same person's (10 to 500 characters); shown to the person.");
    }
}

public sealed class IssueHandOverInputType : InputObjectGraphType<IssueHandOverInput>
{
    public IssueHandOverInputType()
    {
        Name = "IssueHandOverInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
    }
}

public sealed class ActivateWithHandOverInputType : InputObjectGraphType<ActivateWithHandOverInput>
{
    public ActivateWithHandOverInputType()
    {
        Name = "ActivateWithHandOverInput";
        Description = "What the hand-over sheet says (vault id and code), the person's birth date, and the passphrase they choose.";
        Field(x => x.VaultId).Description("As printed on the sheet (v-…). Plain string, so that a malformed id gets the same answer as any other failure.");
        Field(x => x.Code).Description("As printed (XXXXX-XXXXX-C); case, spaces and hyphens do not matter.");
        Field<NonNullGraphType<DateOnlyGraphType>>("birthDate");
        Field(x => x.Passphrase).Description("At least 12 characters: what the person will sign in with.");
    }
}

public sealed class HandOverSheetType : ObjectGraphType<HandOverSheet>
{
    public HandOverSheetType()
    {
        Name = "HandOverSheet";
        Description = "What to print and hand to the person: shown once; Coffre keeps only the code's keyed hash.";
        Field(s => s.VaultId).Description("The vault the sheet opens: the person signs in with it when they have no NIR.");
        Field(s => s.Reference).Description("A short reference of this sheet, shown in the person's history.");
        Field(s => s.Code).Description("Single use, XXXXX-XXXXX-C.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("issuedAt").Resolve(ctx => ctx.Source.IssuedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
    }
}

public sealed class MergeReportType : ObjectGraphType<MergeReport>
{
    public MergeReportType()
    {
        Name = "MergeReport";
        Field(r => r.SourceVaultId);
        Field(r => r.TargetVaultId);
        Field(r => r.DocumentsMoved).Description("Documents whose index entries moved to the target (0 when re-run).");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("mergedAt").Resolve(ctx => ctx.Source.MergedAt);
    }
}

public sealed class AttachNirPayloadType() : PayloadType<VaultType>("AttachNirPayload", "vault", withVault: false);
public sealed class MergeVaultsPayloadType() : PayloadType<MergeReportType>("MergeVaultsPayload", "merge", withVault: false);
public sealed class IssueHandOverPayloadType() : PayloadType<HandOverSheetType>("IssueHandOverPayload", "sheet");
public sealed class ActivateWithHandOverPayloadType() : PayloadType<PatientSessionType>("ActivateWithHandOverPayload", "session", withVault: false);
