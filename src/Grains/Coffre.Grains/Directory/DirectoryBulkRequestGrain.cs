using System.Security.Cryptography;
using System.Text.Json;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;

namespace Coffre.Grains.Directory;

/// <summary>
/// One operator's bulk request under one idempotency key. The state keeps the SHA-256 of the request (its rows, as
/// JSON) and the report; the grain runs one call at a time, so two identical requests racing apply once.
/// </summary>
[GrainType("directory-bulk-request")]
public sealed class DirectoryBulkRequestGrain(
    [PersistentState(GrainNames.States.DirectoryBulkRequest, GrainNames.Storage)] IPersistentState<DirectoryBulkRequestState> state,
    TimeProvider clock) : Grain, IDirectoryBulkRequestGrain
{
    public const string IdempotencyConflict = "IDEMPOTENCY_CONFLICT";

    async Task<DirectoryBulkReport> IDirectoryBulkRequestGrain.RunAsync(Caller caller, IReadOnlyList<EstablishmentEntry> establishments, IReadOnlyList<ProfessionalEntry> professionals)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        // The key is the operator's own: another caller's request under the same key is another grain.
        var prefix = GrainNames.Keys.DirectoryBulkRequest(caller.Subject, "");
        if (!this.GetPrimaryKeyString().StartsWith(prefix, StringComparison.Ordinal) || this.GetPrimaryKeyString().AsSpan(prefix.Length).Contains('/'))
        {
            throw new AccessDeniedException("an idempotency key belongs to the operator who used it");
        }
        if (DirectoryRules.BulkRequest(this.GetPrimaryKeyString()[(prefix.Length)..], establishments.Count, professionals.Count) is { } violation)
        {
            throw violation.ToException();
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { establishments, professionals })));
        if (state.State.Report is { } report)
        {
            return state.State.RequestSha256 == hash
                ? report with { Replayed = true }
                : throw new ValidationFailedException("idempotencyKey", "was already used with a different request", IdempotencyConflict);
        }
        var registrar = GrainFactory.GetGrain<IDirectoryRegistrarGrain>(0);
        // Establishments first: the professionals' memberships name them.
        var establishmentResults = establishments.Count == 0 ? [] : await registrar.RegisterEstablishmentsAsync(caller, establishments);
        var professionalResults = professionals.Count == 0 ? [] : await registrar.RegisterProfessionalsAsync(caller, professionals);
        state.State.RequestSha256 = hash;
        state.State.Report = new DirectoryBulkReport(establishmentResults, professionalResults, clock.GetUtcNow(), Replayed: false);
        await state.WriteStateAsync();
        return state.State.Report;
    }
}

[GenerateSerializer, Alias("coffre.directory-bulk-request-state")]
public sealed class DirectoryBulkRequestState
{
    [Id(0)] public string? RequestSha256 { get; set; }

    [Id(1)] public DirectoryBulkReport? Report { get; set; }
}
