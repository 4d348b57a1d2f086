using System.Text.Json;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;
using Coffre.GraphQL;
using Coffre.GraphQL.Authorization;
using Coffre.GraphQL.Schema;
using GraphQL;
using GraphQL.SystemTextJson;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// Issue 10's read path through the real schema on the in-process cluster: one vault-grain call per query (counted by
/// the client's outgoing filter) and one audit event per read, capabilities only when selected.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class VaultReadTests(ClusterFixture fixture) : IDisposable
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);
    private const string DocumentsQuery = "query Q($id: ID!) { vault(id: $id) { vaultId documents(first: 20) { totalCount edges { cursor node { documentId title } } } } }";

    private readonly ServiceProvider _services = Services(fixture.Grains);

    private static ServiceProvider Services(IGrainFactory grains)
    {
        var services = new ServiceCollection();
        services.AddCoffreGraphQL(introspectionByDefault: false);
        services.AddSingleton(grains);
        return services.BuildServiceProvider();
    }

    public void Dispose() => _services.Dispose();

    private sealed record Scene(IVaultGrain Vault, string VaultId, Caller Owner, Caller Doctor);

    /// <summary>A person's vault with <paramref name="documents"/> biology reports and a doctor granted biology.</summary>
    private async Task<Scene> SceneAsync(int documents, bool grant = true)
    {
        var vaultId = Ids.NewVaultId();
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        var doctor = Caller.Professional(body + Luhn.CheckDigit(body), "10");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        var socialBody = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        await vault.OpenAsync(Caller.Professional(socialBody + Luhn.CheckDigit(socialBody), "SOC-AS"), new OpenVault(
            new IdentityTraits("Martin", "Paul", new DateOnly(1975, 3, 2), Sex.Male),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001")));
        var owner = Caller.Patient(vaultId);
        for (var i = 0; i < documents; i++)
        {
            var sha = Sha256Hex.Of(new byte[10 + i]);
            var document = new NewDocument($"Biology {i}", "10", "11502-2", "application/pdf", 10 + i, sha);
            var permit = await vault.AuthorizeUploadAsync(owner, document);
            await vault.AddDocumentAsync(owner, document, permit.ContentKey, 10 + i, sha);
        }
        if (grant)
        {
            await vault.GrantAccessAsync(owner, new GrantRequest(GranteeKind.Professional, doctor.Rpps!, new DocumentScope(ClassCodes: ["10"]), NextYear));
        }
        return new Scene(vault, vaultId, owner, doctor);
    }

    private async Task<(JsonElement Root, int Calls)> RunAsync(Caller caller, string vaultId, string query)
    {
        var before = ClusterFixture.ClientCalls.Count(c => c.Key == vaultId);
        var executer = _services.GetRequiredService<IDocumentExecuter<CoffreSchema>>();
        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Query = query,
            Variables = new Inputs(new Dictionary<string, object?> { ["id"] = vaultId }),
            UserContext = new Dictionary<string, object?> { [CallerResolver.UserContextKey] = caller },
            RequestServices = _services,
            ThrowOnUnhandledException = false,
            UnhandledExceptionDelegate = Coffre.GraphQL.Errors.ErrorTranslation.Translate,
        });
        var json = new GraphQLSerializer().Serialize(result);
        return (JsonDocument.Parse(json).RootElement.Clone(), ClusterFixture.ClientCalls.Count(c => c.Key == vaultId) - before);
    }

    private static async Task<List<Coffre.Domain.Auditing.AuditEvent>> HistoryOfAsync(Scene scene, Caller actor)
    {
        var page = await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 200);
        return page.Items.Select(e => e.Event).Where(e => e.ActorId == AuditEvents.ActorId(actor)).ToList();
    }

    [Fact]
    public async Task A_professionals_documents_query_is_one_grain_call_and_one_audit_event()
    {
        var scene = await SceneAsync(documents: 20);

        var (root, calls) = await RunAsync(scene.Doctor, scene.VaultId, DocumentsQuery);

        Assert.False(root.TryGetProperty("errors", out _), root.ToString());
        var documents = root.GetProperty("data").GetProperty("vault").GetProperty("documents");
        Assert.Equal(20, documents.GetProperty("totalCount").GetInt32());
        Assert.Equal(20, documents.GetProperty("edges").GetArrayLength());
        Assert.Equal(1, calls);
        Assert.Equal(nameof(IVaultGrain.ReadAsync), ClusterFixture.ClientCalls.Last(c => c.Key == scene.VaultId).Method);
        var events = await HistoryOfAsync(scene, scene.Doctor);
        var only = Assert.Single(events);
        Assert.Equal("documents.list", only.Operation);
        Assert.True(only.Allowed);
        Assert.Equal(LegalBasis.Grant, only.Basis);
    }

    [Fact]
    public async Task Capabilities_are_computed_only_when_selected()
    {
        var scene = await SceneAsync(documents: 1);

        var without = await scene.Vault.ReadAsync(scene.Doctor, new VaultRead(Capabilities: false));
        var with = await scene.Vault.ReadAsync(scene.Doctor, new VaultRead(Capabilities: true));
        Assert.Null(without.Capabilities);
        Assert.Contains(VaultAction.ListDocuments, with.Capabilities!);
        Assert.DoesNotContain(VaultAction.ManageAccess, with.Capabilities!);

        var (root, calls) = await RunAsync(scene.Doctor, scene.VaultId, "query Q($id: ID!) { vault(id: $id) { capabilities documents { totalCount } } }");
        Assert.Equal(1, calls);
        Assert.Contains("LIST_DOCUMENTS", root.GetProperty("data").GetProperty("vault").GetProperty("capabilities").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task Documents_under_a_skipped_field_or_fragment_are_neither_listed_nor_recorded()
    {
        var scene = await SceneAsync(documents: 2);

        foreach (var query in new[]
        {
            "query Q($id: ID!) { vault(id: $id) { vaultId documents @skip(if: true) { totalCount } } }",
            "query Q($id: ID!) { vault(id: $id) { vaultId ... on Vault @skip(if: true) { documents { totalCount } } } }",
            "query Q($id: ID!) { vault(id: $id) { vaultId ...Docs @include(if: false) } } fragment Docs on Vault { documents { totalCount } }",
        })
        {
            var (root, calls) = await RunAsync(scene.Doctor, scene.VaultId, query);
            Assert.False(root.TryGetProperty("errors", out _), root.ToString());
            Assert.False(root.GetProperty("data").GetProperty("vault").TryGetProperty("documents", out _), query);
            Assert.Equal(1, calls);
        }
        var events = await HistoryOfAsync(scene, scene.Doctor);
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal("vault.read", e.Operation));
    }

    [Fact]
    public async Task Aliases_with_other_arguments_make_their_own_call_and_get_their_own_page()
    {
        var scene = await SceneAsync(documents: 3);

        var (root, calls) = await RunAsync(scene.Doctor, scene.VaultId,
            "query Q($id: ID!) { vault(id: $id) { a: documents(first: 1) { edges { cursor } } b: documents(first: 2) { edges { cursor } } c: documents(first: 1) { totalCount } } }");

        Assert.False(root.TryGetProperty("errors", out _), root.ToString());
        var vault = root.GetProperty("data").GetProperty("vault");
        Assert.Equal(1, vault.GetProperty("a").GetProperty("edges").GetArrayLength());
        Assert.Equal(2, vault.GetProperty("b").GetProperty("edges").GetArrayLength());
        Assert.Equal(3, vault.GetProperty("c").GetProperty("totalCount").GetInt32());
        Assert.Equal(2, calls); // the read (which served a and c) and b's own list
        var events = await HistoryOfAsync(scene, scene.Doctor);
        Assert.Equal(2, events.Count(e => e.Operation == "documents.list" && e.Allowed));
    }

    [Fact]
    public async Task A_professional_without_basis_is_refused_at_the_vault_in_one_call_and_it_is_recorded()
    {
        var scene = await SceneAsync(documents: 2, grant: false);

        var (root, calls) = await RunAsync(scene.Doctor, scene.VaultId, DocumentsQuery);

        Assert.Equal(JsonValueKind.Null, root.GetProperty("data").GetProperty("vault").ValueKind);
        var error = root.GetProperty("errors")[0];
        Assert.Equal("NO_BASIS", error.GetProperty("extensions").GetProperty("reason").GetString());
        Assert.Equal(1, calls);
        var denial = Assert.Single(await HistoryOfAsync(scene, scene.Doctor));
        Assert.Equal(("vault.read", false, DenialReason.NoBasis), (denial.Operation, denial.Allowed, denial.Reason));
    }

    [Fact]
    public async Task An_operator_reads_the_summary_and_the_documents_field_alone_is_refused()
    {
        var scene = await SceneAsync(documents: 2, grant: false);
        var op = Caller.Operator("op-read-" + Guid.NewGuid().ToString("N")[..6]);

        var (root, calls) = await RunAsync(op, scene.VaultId, DocumentsQuery);

        // documents is non-null: its error nulls the vault in the answer (as before this change).
        Assert.Equal(JsonValueKind.Null, root.GetProperty("data").GetProperty("vault").ValueKind);
        var error = root.GetProperty("errors")[0];
        Assert.Equal("vault,documents", string.Join(',', error.GetProperty("path").EnumerateArray().Select(p => p.GetString())));
        Assert.Equal(1, calls);
        var events = await HistoryOfAsync(scene, op);
        Assert.Contains(events, e => e is { Operation: "vault.read", Allowed: true });
        Assert.Contains(events, e => e is { Operation: "documents.list", Allowed: false });
    }
}
