using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Grains.Establishments;
using Coffre.Grains.Professionals;
using Orleans.Concurrency;

namespace Coffre.Grains.Directory;

/// <summary>
/// Runs a batch of directory rows on the silo that receives it: each row is checked by <see cref="DirectoryRules"/>
/// (a rejected row never activates a grain), then applied by its own grain (which checks it again and decides
/// accepted, updated or unchanged). Rows run in parallel; rows of one key run in the batch's order.
/// </summary>
[StatelessWorker]
[GrainType("directory-registrar")]
public sealed class DirectoryRegistrarGrain(HabilitationMatrix matrix) : Grain, IDirectoryRegistrarGrain
{
    Task<IReadOnlyList<DirectoryRowResult>> IDirectoryRegistrarGrain.RegisterEstablishmentsAsync(Caller caller, IReadOnlyList<EstablishmentEntry> rows) =>
        RunAsync(caller, rows, r => r.Finess, r => DirectoryRules.Establishment(r),
            r => GrainFactory.GetGrain<IEstablishmentGrain>(GrainNames.Keys.Establishment(r.Finess)).ApplyEntryAsync(caller, r));

    Task<IReadOnlyList<DirectoryRowResult>> IDirectoryRegistrarGrain.RegisterProfessionalsAsync(Caller caller, IReadOnlyList<ProfessionalEntry> rows) =>
        RunAsync(caller, rows, r => r.Identifier, r => DirectoryRules.Professional(r, matrix),
            r => GrainFactory.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(r.Identifier)).ApplyEntryAsync(caller, r));

    private static async Task<IReadOnlyList<DirectoryRowResult>> RunAsync<T>(Caller caller, IReadOnlyList<T> rows,
        Func<T, string> keyOf, Func<T, DirectoryViolation?> check, Func<T, Task<DirectoryOutcome>> apply)
    {
        AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
        if (rows.Count > IDirectoryRegistrarGrain.MaxBatch)
        {
            throw new ValidationFailedException("rows", $"must be at most {IDirectoryRegistrarGrain.MaxBatch} a batch");
        }
        var results = new DirectoryRowResult[rows.Count];
        var byKey = Enumerable.Range(0, rows.Count).GroupBy(i => keyOf(rows[i]) ?? "", StringComparer.Ordinal);
        await Task.WhenAll(byKey.Select(async indexes =>
        {
            foreach (var i in indexes)
            {
                var key = keyOf(rows[i]) ?? "";
                if (check(rows[i]) is { } violation)
                {
                    results[i] = DirectoryRowResult.Rejected(i, key, violation);
                    continue;
                }
                try
                {
                    results[i] = new DirectoryRowResult(i, key, await apply(rows[i]), null, null, null);
                }
                catch (ValidationFailedException e)
                {
                    results[i] = DirectoryRowResult.Rejected(i, key, new DirectoryViolation(e.Field, e.Rule, e.Code));
                }
            }
        }));
        return results;
    }
}
