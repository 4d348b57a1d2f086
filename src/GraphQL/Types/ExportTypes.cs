using Coffre.Grains.Exports;
using Coffre.Grains.Vaults;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>
/// Exports of a person's whole vault (<c>Vault.exports</c>, <c>requestVaultExport</c>): every call goes to the vault's
/// export grain, which asks the vault to decide (<c>EXPORT_VAULT</c>) and record it first.
/// </summary>
public static class ExportFields
{
    public static IExportGrain Exports(this IResolveFieldContext ctx, string vaultId) =>
        ctx.Grains().GetGrain<IExportGrain>(ExportLimits.GrainKey(vaultId));

    public static void AddTo(ObjectGraphType<VaultView> vault) =>
        vault.Field<NonNullGraphType<ListGraphType<NonNullGraphType<VaultExportType>>>>("exports")
            .Description($"The vault's recent exports (at most {ExportLimits.JobsKept}), newest first. The person, or a parent or tutor representing them (recorded as export.list); others FORBIDDEN.")
            .ResolveAsync(async ctx => await ctx.Exports(ctx.Source.VaultId).ListAsync(ctx.SignedInCaller()));
}

public sealed class VaultExportType : ObjectGraphType<ExportJob>
{
    public VaultExportType()
    {
        Name = "VaultExport";
        Description = "One export of the vault: a zip of every document you may read, fhir/bundle.json (HL7 FHIR R4), index.txt and manifest.json.";
        Field<NonNullGraphType<IdGraphType>>("exportId").Resolve(ctx => ctx.Source.Id);
        Field<NonNullGraphType<ExportStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("createdAt").Resolve(ctx => ctx.Source.CreatedAt);
        Field<DateTimeOffsetGraphType>("completedAt").Resolve(ctx => ctx.Source.CompletedAt);
        Field<DateTimeOffsetGraphType>("expiresAt").Description($"READY exports are deleted at this time ({ExportLimits.Availability.Days} days after completion).").Resolve(ctx => ctx.Source.ExpiresAt);
        Field<LongGraphType>("size").Description("The archive's size in bytes (READY).").Resolve(ctx => ctx.Source.Archive?.Size);
        Field<StringGraphType>("sha256").Description("The archive's SHA-256, lower-case hex (READY): check the download against it.").Resolve(ctx => ctx.Source.Archive?.Sha256);
        Field<IntGraphType>("documentCount").Description("Documents in the archive (READY).").Resolve(ctx => ctx.Source.Archive?.Documents);
        Field<StringGraphType>("downloadPath").Description("GET it with your bearer token while READY (application/zip).")
            .Resolve(ctx => ctx.Source.Status == ExportStatus.Ready ? ctx.Source.DownloadPath : null);
        Field<StringGraphType>("failure").Description("Why a FAILED export failed, in a sentence.").Resolve(ctx => ctx.Source.Failure);
    }
}

public sealed class ExportStatusType : EnumerationGraphType<ExportStatus>
{
    public ExportStatusType()
    {
        Name = "ExportStatus";
        Description = "QUEUED and RUNNING: being built in the background; READY: downloadable until expiresAt; FAILED: see failure; EXPIRED: deleted.";
    }
}

public sealed class RequestVaultExportPayloadType() : PayloadType<VaultExportType>("RequestVaultExportPayload", "export", withVault: false);

public sealed class ExportReadyNoticeType : NoticeType<ExportReadyNotice>
{
    public ExportReadyNoticeType() : base("EXPORT_READY: an export of the vault is ready to download until expiresAt.")
    {
        Field(n => n.ExportId);
        Field(n => n.Size);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
        Field(n => n.DownloadPath);
    }
}
