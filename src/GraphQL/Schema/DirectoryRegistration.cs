using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Coffre.Grains;
using Coffre.Grains.Directory;
using Coffre.GraphQL.Types;

namespace Coffre.GraphQL.Schema;

/// <summary>Registration by API: <c>registerDirectoryEntries</c>, the bulk mutation with an idempotency key.</summary>
internal static class DirectoryRegistration
{
    public static void AddTo(CoffreMutation mutation) =>
        mutation.Mutation<RegisterDirectoryEntriesInputType, RegisterDirectoryEntriesInput, RegisterDirectoryEntriesPayloadType>("registerDirectoryEntries",
            $"Registers up to {DirectoryRules.MaxBulkRows} establishments and professionals in one request (establishments first), with a result per row " +
            "(ACCEPTED, UPDATED, UNCHANGED, REJECTED with field and rule). Idempotent per operator and key. Operators with the directory-admin role.",
            async (ctx, caller, input) =>
            {
                AccessEvaluator.DecideOperator(caller, OperatorAction.Directory).OrThrow();
                var establishments = input.Establishments?.Select(e => e.ToEntry()).ToList() ?? [];
                var professionals = input.Professionals?.Select(p => p.ToEntry()).ToList() ?? [];
                if (DirectoryRules.BulkRequest(input.IdempotencyKey, establishments.Count, professionals.Count) is { } violation)
                {
                    throw violation.ToException();
                }
                var report = await ctx.Grains().GetGrain<IDirectoryBulkRequestGrain>(GrainNames.Keys.DirectoryBulkRequest(caller.Subject, input.IdempotencyKey))
                    .RunAsync(caller, establishments, professionals);
                return (report, null);
            });
}
