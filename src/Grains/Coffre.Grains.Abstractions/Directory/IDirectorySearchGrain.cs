using Coffre.Domain.Access;
using Coffre.Domain.Directory;

namespace Coffre.Grains.Directory;

/// <summary>
/// Directory search (a stateless worker, key 0): checks the caller through the evaluator
/// (<see cref="AccessEvaluator.DecideDirectorySearch"/>) and the input (<see cref="DirectorySearchRules"/>), then asks
/// the directory index — a projection the professional and establishment grains feed, never a scan of grains.
/// </summary>
[Alias("coffre.directory-search")]
public interface IDirectorySearchGrain : IGrainWithIntegerKey
{
    /// <summary>One page of public entries matching <paramref name="filter"/>; FORBIDDEN/UNAUTHENTICATED or VALIDATION naming the field.</summary>
    [Alias("search")]
    Task<DirectoryPage> SearchAsync(Caller caller, DirectoryFilter filter, int? first, string? after);
}
