using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>What every mutation returns: its result (null on failure), the vault it touched, and expected failures.</summary>
public sealed record MutationPayload(object? Result, string? VaultId, IReadOnlyList<UserError> UserErrors);

/// <summary>A mutation payload: <c>{ resultField, vault, userErrors }</c>.</summary>
public abstract class PayloadType<TResult> : ObjectGraphType<MutationPayload> where TResult : IGraphType
{
    protected PayloadType(string name, string resultField, bool withVault = true)
    {
        Name = name;
        Field<TResult>(resultField).Resolve(ctx => ctx.Source.Result);
        if (withVault)
        {
            Field<VaultType>("vault")
                .Description("The vault after the change, as you may see it.")
                .ResolveAsync(async ctx => ctx.Source.VaultId is null || ctx.Source.UserErrors.Count > 0
                    ? null
                    : await ctx.ReadVaultAsync(ctx.Source.VaultId, ctx.Caller()));
        }
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<UserErrorType>>>>("userErrors")
            .Description("Expected failures (validation, quota, state), each naming its field.")
            .Resolve(ctx => ctx.Source.UserErrors);
    }
}

public sealed class OpenVaultPayloadType() : PayloadType<VaultType>("OpenVaultPayload", "vault", withVault: false);
public sealed class CloseVaultPayloadType() : PayloadType<VaultType>("CloseVaultPayload", "vault", withVault: false);
public sealed class UpdateDocumentPayloadType() : PayloadType<DocumentType>("UpdateDocumentPayload", "document");
public sealed class DeleteDocumentPayloadType() : PayloadType<StringGraphType>("DeleteDocumentPayload", "deletedDocumentId");
public sealed class GrantAccessPayloadType() : PayloadType<GrantType>("GrantAccessPayload", "grant");
public sealed class RevokeAccessPayloadType() : PayloadType<StringGraphType>("RevokeAccessPayload", "revokedGrantId");
public sealed class BlockProfessionalPayloadType() : PayloadType<StringGraphType>("BlockProfessionalPayload", "blockedRpps");
public sealed class UnblockProfessionalPayloadType() : PayloadType<StringGraphType>("UnblockProfessionalPayload", "unblockedRpps");
public sealed class AddReferentPayloadType() : PayloadType<ReferentType>("AddReferentPayload", "referent");
public sealed class RevokeReferentPayloadType() : PayloadType<StringGraphType>("RevokeReferentPayload", "revokedRpps");
public sealed class AddRepresentativePayloadType() : PayloadType<RepresentativeType>("AddRepresentativePayload", "representative");
public sealed class RemoveRepresentativePayloadType() : PayloadType<StringGraphType>("RemoveRepresentativePayload", "removedVaultId");
public sealed class BreakGlassPayloadType() : PayloadType<BreakGlassSessionType>("BreakGlassPayload", "session");
public sealed class VerifyAuditChainPayloadType() : PayloadType<AuditChainReportType>("VerifyAuditChainPayload", "report");
public sealed class RegisterProfessionalPayloadType() : PayloadType<ProfessionalType>("RegisterProfessionalPayload", "professional", withVault: false);
public sealed class RegisterEstablishmentPayloadType() : PayloadType<EstablishmentType>("RegisterEstablishmentPayload", "establishment", withVault: false);
public sealed class SuspendProfessionalPayloadType() : PayloadType<ProfessionalType>("SuspendProfessionalPayload", "professional", withVault: false);
public sealed class ReinstateProfessionalPayloadType() : PayloadType<ProfessionalType>("ReinstateProfessionalPayload", "professional", withVault: false);
public sealed class RegisterEstablishmentStaffPayloadType() : PayloadType<ProfessionalType>("RegisterEstablishmentStaffPayload", "professional", withVault: false);
public sealed class SetEstablishmentMemberPayloadType() : PayloadType<EstablishmentType>("SetEstablishmentMemberPayload", "establishment", withVault: false);
