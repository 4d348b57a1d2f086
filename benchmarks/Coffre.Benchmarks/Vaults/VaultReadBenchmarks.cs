using BenchmarkDotNet.Attributes;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Benchmarks.Vaults;

/// <summary>
/// What one vault read costs in the vault grain for a doctor with a grant (issue 10): the summary's decision alone
/// (a read without capabilities), the summary with the capabilities (about 40 decisions, what every read computed
/// before), and the page of 20 documents (one decision per document).
/// </summary>
[MemoryDiagnoser]
public class VaultReadBenchmarks
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly AccessEvaluator _evaluator = new(HabilitationMatrix.Default);
    private readonly Caller _doctor = Caller.Professional("10000000007", "10");
    private VaultAccessState _vault = null!;
    private DocumentFacts[] _documents = [];

    [GlobalSetup]
    public void Setup()
    {
        _vault = new VaultAccessState
        {
            VaultId = "v-aaaaaaaaaaaaaaaaaaaa",
            Status = VaultStatus.Active,
            Grants = [new Grant("g-1", GranteeKind.Professional, _doctor.Rpps!, DocumentScope.All, Now.AddDays(-1), Now.AddYears(1), "v-aaaaaaaaaaaaaaaaaaaa")],
        };
        _documents = Enumerable.Range(0, 20)
            .Select(i => new DocumentFacts($"d-{i:D6}", "10", "11502-2", Visibility.Normal, false, new Author(AuthorKind.Person, "v-aaaaaaaaaaaaaaaaaaaa")))
            .ToArray();
    }

    [Benchmark(Baseline = true)]
    public bool SummaryOnly() => _evaluator.Decide(_vault, _doctor, VaultAction.ReadVault, null, Now).Allowed;

    [Benchmark]
    public int SummaryWithCapabilities() =>
        (_evaluator.Decide(_vault, _doctor, VaultAction.ReadVault, null, Now).Allowed ? 1 : 0) + _evaluator.Capabilities(_vault, _doctor, Now).Count;

    [Benchmark]
    public int DocumentsPage20()
    {
        var visible = 0;
        foreach (var document in _documents)
        {
            if (_evaluator.Decide(_vault, _doctor, VaultAction.ReadDocument, document, Now).Allowed)
            {
                visible++;
            }
        }
        return visible;
    }
}
