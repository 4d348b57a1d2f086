using Coffre.Application.Directory;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Orleans.Concurrency;

namespace Coffre.Grains.Directory;

/// <summary>
/// Answers directory searches from the index (<see cref="IDirectoryIndex"/>): the evaluator decides who may search and
/// whether suspended professionals are shown (operators only); the input rules bound the work (a filter, a name prefix
/// of two letters or more, at most 50 entries a page).
/// </summary>
/// <remarks>Reentrant stateless worker: it holds nothing and only waits on the index, so concurrent searches overlap.</remarks>
[StatelessWorker]
[Reentrant]
[GrainType("directory-search")]
public sealed class DirectorySearchGrain(IDirectoryIndex index, TimeProvider clock) : Grain, IDirectorySearchGrain
{
    async Task<DirectoryPage> IDirectorySearchGrain.SearchAsync(Caller caller, DirectoryFilter filter, int? first, string? after)
    {
        AccessEvaluator.DecideDirectorySearch(caller).OrThrow();
        var query = DirectorySearchRules.Validate(filter, first, after, AccessEvaluator.DirectorySearchShowsSuspended(caller), clock.GetUtcNow());
        return await index.SearchAsync(query);
    }
}
