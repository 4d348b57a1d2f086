using Coffre.Domain.Access;
using Coffre.Domain.Directory;

namespace Coffre.Grains.Directory;

/// <summary>
/// Registers batches of directory rows (list imports, the bulk mutation): checks each row with
/// <see cref="DirectoryRules"/>, then creates or updates it through its professional or establishment grain, rows of a
/// batch in parallel (rows naming the same key in order). One result per row, in order. Directory admin operators.
/// A stateless worker: the silo that receives a batch runs it.
/// </summary>
[Alias("coffre.directory-registrar")]
public interface IDirectoryRegistrarGrain : IGrainWithIntegerKey
{
    /// <summary>At most <see cref="MaxBatch"/> rows a call.</summary>
    public const int MaxBatch = 2_000;

    [Alias("establishments")]
    Task<IReadOnlyList<DirectoryRowResult>> RegisterEstablishmentsAsync(Caller caller, IReadOnlyList<EstablishmentEntry> rows);

    [Alias("professionals")]
    Task<IReadOnlyList<DirectoryRowResult>> RegisterProfessionalsAsync(Caller caller, IReadOnlyList<ProfessionalEntry> rows);
}

/// <summary>
/// One bulk registration request of one operator under one idempotency key (<see cref="GrainNames.Keys.DirectoryBulkRequest"/>):
/// the first call applies the batch (establishments, then professionals) and keeps the request's hash and the report;
/// the same request again returns that report without applying anything; a different request under the same key is
/// refused (<c>IDEMPOTENCY_CONFLICT</c>, field <c>idempotencyKey</c>).
/// </summary>
[Alias("coffre.directory-bulk-request")]
public interface IDirectoryBulkRequestGrain : IGrainWithStringKey
{
    [Alias("run")]
    Task<DirectoryBulkReport> RunAsync(Caller caller, IReadOnlyList<EstablishmentEntry> establishments, IReadOnlyList<ProfessionalEntry> professionals);
}

/// <summary>The report of a bulk request: one result per establishment and per professional, in the request's order.</summary>
[GenerateSerializer, Immutable, Alias("coffre.directory-bulk-report")]
public sealed record DirectoryBulkReport(
    [property: Id(0)] IReadOnlyList<DirectoryRowResult> Establishments,
    [property: Id(1)] IReadOnlyList<DirectoryRowResult> Professionals,
    [property: Id(2)] DateTimeOffset AppliedAt,
    [property: Id(3)] bool Replayed);

/// <summary>The list import's port on a cluster: batches go to the registrar grain as <paramref name="caller"/>.</summary>
public sealed class GrainDirectoryRegistrar(IGrainFactory grains, Caller caller) : IDirectoryRegistrar
{
    public Task<IReadOnlyList<DirectoryRowResult>> RegisterEstablishmentsAsync(IReadOnlyList<EstablishmentEntry> rows, CancellationToken cancellationToken) =>
        grains.GetGrain<IDirectoryRegistrarGrain>(0).RegisterEstablishmentsAsync(caller, rows);

    public Task<IReadOnlyList<DirectoryRowResult>> RegisterProfessionalsAsync(IReadOnlyList<ProfessionalEntry> rows, CancellationToken cancellationToken) =>
        grains.GetGrain<IDirectoryRegistrarGrain>(0).RegisterProfessionalsAsync(caller, rows);
}
