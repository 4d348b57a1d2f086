using BenchmarkDotNet.Attributes;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Vaults;

namespace Coffre.Benchmarks.Vaults;

/// <summary>
/// What the care-team basis (issue 11) costs the evaluator on a page of 20 documents, against the same page read on a
/// personal grant (baseline): a nurse acting for an establishment the person gave access to, and an educator acting
/// for an establishment that accompanies the person (its referent's mandate). The vault holds 10 other grants and
/// 5 other referents so the care-team search walks real lists.
/// </summary>
[MemoryDiagnoser]
public class CareTeamBenchmarks
{
    private const string VaultId = "v-aaaaaaaaaaaaaaaaaaaa";
    private const string Hospital = "750000001";
    private const string Service = "750000019";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly AccessEvaluator _evaluator = new(HabilitationMatrix.Default);
    private readonly Caller _doctor = Caller.Professional("10000000007", "10");
    private readonly Caller _nurse = Caller.Professional("10000000015", "60", Hospital);
    private readonly Caller _educator = Caller.Professional("10000000023", "SOC-ES", Service);
    private VaultAccessState _vault = null!;
    private DocumentFacts[] _health = [];
    private DocumentFacts[] _social = [];

    [GlobalSetup]
    public void Setup()
    {
        var consent = new Consent("10000000031", Now.AddDays(-1), ConsentMethod.SignedPaper, DocumentScope.All, Now.AddYears(1));
        _vault = new VaultAccessState
        {
            VaultId = VaultId,
            Status = VaultStatus.Active,
            Grants =
            [
                .. Enumerable.Range(0, 10).Select(i => new Grant($"g-o{i}", GranteeKind.Professional, $"1000000{i:D4}", DocumentScope.All, Now.AddDays(-1), null, VaultId)),
                new Grant("g-doctor", GranteeKind.Professional, _doctor.Rpps!, DocumentScope.All, Now.AddDays(-1), Now.AddYears(1), VaultId),
                new Grant("g-hospital", GranteeKind.Establishment, Hospital, DocumentScope.All, Now.AddDays(-1), Now.AddYears(1), VaultId),
            ],
            Referents =
            [
                .. Enumerable.Range(0, 5).Select(i => new Referent($"2000000{i:D4}", "750000027", consent)),
                new Referent("10000000031", Service, consent),
            ],
        };
        _health = Enumerable.Range(0, 20)
            .Select(i => new DocumentFacts($"d-{i:D6}", "10", "11490-0", Visibility.Normal, false, new Author(AuthorKind.Person, VaultId))).ToArray();
        _social = Enumerable.Range(0, 20)
            .Select(i => new DocumentFacts($"d-{i:D6}", "52", "28653-4", Visibility.Normal, false, new Author(AuthorKind.Person, VaultId))).ToArray();
    }

    [Benchmark(Baseline = true)]
    public int PersonalGrantPage20() => Page(_doctor, _health);

    [Benchmark]
    public int CareTeamByEstablishmentGrantPage20() => Page(_nurse, _health);

    [Benchmark]
    public int CareTeamByAccompanimentPage20() => Page(_educator, _social);

    private int Page(Caller caller, DocumentFacts[] documents)
    {
        var visible = 0;
        foreach (var document in documents)
        {
            if (_evaluator.Decide(_vault, caller, VaultAction.ReadDocument, document, Now).Allowed)
            {
                visible++;
            }
        }
        return visible;
    }
}
