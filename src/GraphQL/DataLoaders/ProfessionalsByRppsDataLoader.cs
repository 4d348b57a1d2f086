using Coffre.Grains;
using Coffre.Grains.Professionals;
using GraphQL.DataLoader;

namespace Coffre.GraphQL.DataLoaders;

/// <summary>
/// Per-request batch of professional directory look-ups: every <c>author.professional</c> in a document list
/// is collected while the list resolves, then fetched once per distinct RPPS with bounded parallelism,
/// instead of one grain call per document. Registered scoped (one per request).
/// </summary>
public sealed class ProfessionalsByRppsDataLoader(IGrainFactory grains)
{
    private const int MaxParallel = 16;
    private readonly Dictionary<string, Task<PublicProfessional?>> _loaded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public IDataLoaderResult<PublicProfessional?> Load(string rpps)
    {
        lock (_lock)
        {
            if (!_loaded.ContainsKey(rpps))
            {
                _pending.Add(rpps);
            }
        }
        return new Result(this, rpps);
    }

    private Task<PublicProfessional?> GetAsync(string rpps)
    {
        List<string> batch;
        lock (_lock)
        {
            batch = _pending.ToList();
            _pending.Clear();
            if (batch.Count > 0)
            {
                var gate = new SemaphoreSlim(MaxParallel);
                foreach (var key in batch)
                {
                    _loaded[key] = FetchAsync(key, gate);
                }
            }
            return _loaded[rpps];
        }
    }

    private async Task<PublicProfessional?> FetchAsync(string rpps, SemaphoreSlim gate)
    {
        await gate.WaitAsync();
        try
        {
            return await grains.GetGrain<IProfessionalGrain>(GrainNames.Keys.Professional(rpps)).GetPublicAsync();
        }
        finally
        {
            gate.Release();
        }
    }

    private sealed class Result(ProfessionalsByRppsDataLoader loader, string rpps) : IDataLoaderResult<PublicProfessional?>
    {
        public Task<PublicProfessional?> GetResultAsync(CancellationToken cancellationToken = default) => loader.GetAsync(rpps);

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
    }
}
