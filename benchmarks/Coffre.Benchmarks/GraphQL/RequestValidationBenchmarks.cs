using BenchmarkDotNet.Attributes;
using Coffre.GraphQL;
using Coffre.GraphQL.Schema;
using Coffre.GraphQL.Validation;
using GraphQL;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.DependencyInjection;

namespace Coffre.Benchmarks.GraphQL;

/// <summary>
/// What a request for a text that already passed validation pays before execution (issue 10): GraphQL.NET's validator
/// with no rule (variables coerced, the operation walked twice) against the prepared operation (variables coerced,
/// arguments parsed from the fields found once), for the activation mutation and the doctor's documents query.
/// </summary>
[MemoryDiagnoser]
public class RequestValidationBenchmarks
{
    private const string Activation =
        "mutation Activate($input: ActivateVaultInput!) { activateVault(input: $input) { session { vaultId token } userErrors { code } } }";

    private const string Documents =
        "query Documents($id: ID!) { vault(id: $id) { vaultId documents(first: 20) { totalCount edges { cursor node { documentId title classCode typeCode createdAt } } } } }";

    private ServiceProvider _services = null!;
    private CoffreSchema _schema = null!;
    private readonly DocumentValidator _standard = new();
    private readonly PreparedOperationValidator _prepared = new(new DocumentValidator());
    private ValidationOptions _options;

    [Params("activation", "documents")]
    public string Request { get; set; } = "activation";

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddCoffreGraphQL(introspectionByDefault: false);
        _services = services.BuildServiceProvider();
        _schema = _services.GetRequiredService<CoffreSchema>();
        _schema.Initialize();
        var (query, variables) = Request == "activation"
            ? (Activation, new Dictionary<string, object?>
            {
                ["input"] = new Dictionary<string, object?> { ["nir"] = "175037512345678", ["birthDate"] = "1975-03-02", ["vitaleSerial"] = "1234567890", ["code"] = "ABCDE-FGHJK-M" },
            })
            : (Documents, new Dictionary<string, object?> { ["id"] = "v-aaaaaaaaaaaaaaaaaaaa" });
        var document = GraphQLParser.Parser.Parse(query);
        _options = new ValidationOptions
        {
            Schema = _schema,
            Document = document,
            Operation = document.Definitions.OfType<GraphQLOperationDefinition>().Single(),
            Rules = [],
            Variables = new Inputs(variables),
            Extensions = Inputs.Empty,
            UserContext = new Dictionary<string, object?>(),
            Metrics = global::GraphQL.Instrumentation.Metrics.None,
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true)]
    public Task<IValidationResult> StandardWithoutRules() => _standard.ValidateAsync(_options);

    [Benchmark]
    public Task<IValidationResult> Prepared() => _prepared.ValidateAsync(_options);
}
