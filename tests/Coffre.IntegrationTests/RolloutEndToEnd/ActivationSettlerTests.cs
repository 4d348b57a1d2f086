using Azure.Storage.Blobs;
using Coffre.Adapters.Postgres;
using Coffre.Application.Audit;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Coffre.Grains.Rollout;
using Coffre.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Options;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>The settler as the silo builds it, on a real store and audit log.</summary>
internal static class SettlerKit
{
    public static ActivationSettler Settler(IRolloutStore store, IAuditLog audit, int maxGroupSize = 256, int maxConcurrentGroups = 4,
        TimeSpan? gatherWindow = null)
    {
        var options = Options.Create(new ActivationOptions
        {
            MaxAttempts = 3,
            MaxGroupSize = maxGroupSize,
            MaxConcurrentGroups = maxConcurrentGroups,
            GatherWindow = gatherWindow ?? TimeSpan.FromMilliseconds(10),
        });
        return new ActivationSettler(new RolloutRegistry(store, options, TimeProvider.System), E2e.Verifier, audit, options, TimeProvider.System);
    }

    /// <summary>Submits every request at once (a burst) and returns each outcome (true: activated), in order.</summary>
    public static async Task<bool[]> SettleAllAsync(ActivationSettler settler, IReadOnlyList<ActivationRequest> requests) =>
        [.. (await Task.WhenAll(requests.Select(r => settler.SettleAsync(SiloActivations.Attempt(E2e.NirHasher, r))))).Select(s => s.Activated)];
}

/// <summary>
/// Group commit of activations (issue 10) on the real PostgreSQL store and audit log: single use under concurrency
/// (within a group, across groups and across two silos' settlers), a group mixing outcomes (the winner's audit event
/// written by the settlement itself), a group whose transaction fails (nothing applied, every attempt unavailable), and
/// the group size bound.
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class ActivationSettlerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Size = 60;
    private string _directory = "";
    private BlobContainerClient _container = null!;
    private RolloutDatabase _db = null!;
    private PostgresAuditLog _audit = null!;
    private Population _people = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await TestServices.NewMigratedDatabaseAsync();
        _container = new BlobServiceClient(TestServices.Blob).GetBlobContainerClient(E2e.NewContainerName());
        await _container.CreateIfNotExistsAsync();
        _db = new RolloutDatabase(connectionString, _container.Name);
        _audit = new PostgresAuditLog(_db.Data, Convert.FromBase64String(E2e.AuditHeadKey));
        _directory = E2e.TempDirectory("settler");
        await E2e.ImportAndIssueAsync(_db, _directory, "settle", Size, "Settler");
        _people = new Population(Size);
    }

    public async Task DisposeAsync()
    {
        await _audit.DisposeAsync();
        await _db.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
        await _container.DeleteIfExistsAsync();
    }

    private PersonRecord Next() => _people.People[_people.TakeAdults(1)[0]];

    private PostgresRolloutStore Store => _db.StoreWith(_audit);

    private Task<long> ActivationEventsAsync(PersonRecord person) =>
        _db.ScalarAsync<long>("SELECT count(*) FROM audit_event WHERE vault_id = $1 AND operation = 'vault.activate' AND allowed", E2e.VaultId(person.Nir));

    [Fact]
    public async Task Concurrent_attempts_with_the_same_code_activate_once_within_a_group_across_groups_and_across_silos()
    {
        // Two silos' settlers on one database; small groups, so the 24 attempts spread over several groups in each.
        await using var first = SettlerKit.Settler(Store, _audit, maxGroupSize: 4, gatherWindow: TimeSpan.Zero);
        await using var second = SettlerKit.Settler(Store, _audit, maxGroupSize: 4, gatherWindow: TimeSpan.Zero);
        var person = Next();
        var request = RefusalWorkTests.Request(person, await _db.CodeOfAsync(person));
        var settled = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            (i % 2 == 0 ? first : second).SettleAsync(SiloActivations.Attempt(E2e.NirHasher, request))));
        var outcomes = settled.Select(s => s.Activated).ToArray();
        output.WriteLine($"{outcomes.Count(o => o)} of {outcomes.Length} activated; groups: {first.Settled.Groups} + {second.Settled.Groups}");
        Assert.Single(outcomes, o => o);
        // The winner's event joined the chain in its settlement unless a refusal's append moved the chain first (then the
        // caller appends it); either way the chain the refusals share with it verifies.
        Assert.Equal(settled.Single(s => s.Activated).Audited ? 1L : 0L, await ActivationEventsAsync(person));
        Assert.True((await _audit.VerifyAsync(E2e.VaultId(person.Nir))).Intact);
        Assert.Equal((short)CodeStatus.Used, (await _db.LatestCodeAsync(person)).Status);
        Assert.Equal((short)PersonStatus.Activated, await _db.PersonStatusAsync(person));
        Assert.Equal(23L, await _db.DenialsAsync(E2e.VaultId(person.Nir)));

        // Within one group: the first passing attempt on a code is its one consume.
        await using var one = SettlerKit.Settler(Store, _audit, maxGroupSize: 8);
        var other = Next();
        var again = RefusalWorkTests.Request(other, await _db.CodeOfAsync(other));
        var inGroup = await SettlerKit.SettleAllAsync(one, [.. Enumerable.Repeat(again, 8)]);
        Assert.Equal(1, one.Settled.Groups);
        Assert.Single(inGroup, o => o);
    }

    [Fact]
    public async Task A_group_mixing_outcomes_applies_each_one()
    {
        await using var settler = SettlerKit.Settler(Store, _audit, maxGroupSize: 6);
        var ok = Next();
        var wrongCode = Next();
        var wrongSecrets = Next();
        var nearlyLocked = Next();
        var malformedNir = RefusalWorkTests.Request(Next(), "not a code") with { Nir = "12345" };
        var lockCode = await _db.CodeOfAsync(nearlyLocked);
        await _db.ExecuteAsync($"UPDATE activation_code SET attempts = 2 WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(nearlyLocked.Nir));
        var requests = new[]
        {
            RefusalWorkTests.Request(ok, await _db.CodeOfAsync(ok)),
            RefusalWorkTests.Request(wrongCode, RolloutDatabase.WrongCode(await _db.CodeOfAsync(wrongCode))),
            RefusalWorkTests.Request(wrongSecrets, await _db.CodeOfAsync(wrongSecrets), wrongSecrets.BirthDate.AddDays(1)),
            RefusalWorkTests.Request(nearlyLocked, RolloutDatabase.WrongCode(lockCode)),
            malformedNir,
            RefusalWorkTests.Request(Population.Unknown(700), ActivationCodes.Generate()),
        };
        var outcomes = await SettlerKit.SettleAllAsync(settler, requests);
        Assert.Equal(1, settler.Settled.Groups);
        Assert.Equal(new[] { true, false, false, false, false, false }, outcomes);
        Assert.Equal(1L, await ActivationEventsAsync(ok)); // appended by the settlement's transaction
        Assert.True((await _audit.VerifyAsync(E2e.VaultId(ok.Nir))).Intact);
        Assert.Equal((short)CodeStatus.Used, (await _db.LatestCodeAsync(ok)).Status);
        Assert.Equal((short)PersonStatus.Activated, await _db.PersonStatusAsync(ok));
        Assert.Equal(((short)CodeStatus.Valid, (short)1), ((await _db.LatestCodeAsync(wrongCode)).Status, (await _db.LatestCodeAsync(wrongCode)).Attempts));
        Assert.Equal(((short)CodeStatus.Valid, (short)0), ((await _db.LatestCodeAsync(wrongSecrets)).Status, (await _db.LatestCodeAsync(wrongSecrets)).Attempts));
        Assert.Equal(((short)CodeStatus.Locked, (short)3), ((await _db.LatestCodeAsync(nearlyLocked)).Status, (await _db.LatestCodeAsync(nearlyLocked)).Attempts));
        Assert.Equal((short)PersonStatus.Registered, await _db.PersonStatusAsync(nearlyLocked));
        // A locked code refuses even the right code afterwards.
        Assert.False((await settler.SettleAsync(SiloActivations.Attempt(E2e.NirHasher, RefusalWorkTests.Request(nearlyLocked, lockCode)))).Activated);
    }

    [Fact]
    public async Task A_group_whose_transaction_fails_applies_nothing_and_every_attempt_answers_unavailable()
    {
        await using var settler = SettlerKit.Settler(Store, _audit, maxGroupSize: 3);
        var ok = Next();
        var wrong = Next();
        var requests = new[]
        {
            RefusalWorkTests.Request(ok, await _db.CodeOfAsync(ok)),
            RefusalWorkTests.Request(wrong, RolloutDatabase.WrongCode(await _db.CodeOfAsync(wrong))),
            RefusalWorkTests.Request(Population.Unknown(800), ActivationCodes.Generate()),
        };
        var day = DateOnly.FromDateTime(DateTime.UtcNow);
        var tally = await _db.Store.CountRefusalsAsync(day);
        // A real failure inside the group's transaction: the refusal tally's insert raises, after the consume ran.
        await _db.ExecuteAsync("CREATE FUNCTION refuse_tally() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RAISE EXCEPTION ''tally refused for the test''; END'");
        await _db.ExecuteAsync("CREATE TRIGGER refuse_tally BEFORE INSERT OR UPDATE ON activation_refusal FOR EACH ROW EXECUTE FUNCTION refuse_tally()");
        var attempts = requests.Select(r => settler.SettleAsync(SiloActivations.Attempt(E2e.NirHasher, r))).ToList();
        foreach (var attempt in attempts)
        {
            var error = await Assert.ThrowsAsync<ActivationUnavailableException>(() => attempt);
            Assert.IsAssignableFrom<TimeoutException>(error); // the transient path: 503 UNAVAILABLE
        }
        Assert.Equal((short)CodeStatus.Valid, (await _db.LatestCodeAsync(ok)).Status);
        Assert.Equal((short)PersonStatus.Registered, await _db.PersonStatusAsync(ok));
        Assert.Equal(0, (await _db.LatestCodeAsync(wrong)).Attempts);
        Assert.Equal(tally, await _db.Store.CountRefusalsAsync(day));
        Assert.Equal(0L, await _db.AuditEventsAsync(E2e.VaultId(wrong.Nir)));
        Assert.Equal(0L, await _db.AuditEventsAsync(E2e.VaultId(ok.Nir)));

        // Once the database accepts again, the same attempts settle.
        await _db.ExecuteAsync("DROP TRIGGER refuse_tally ON activation_refusal");
        Assert.Equal(new[] { true, false, false }, await SettlerKit.SettleAllAsync(settler, requests));
    }

    [Fact]
    public async Task A_group_holds_at_most_the_configured_number_of_attempts()
    {
        await using var settler = SettlerKit.Settler(Store, _audit, maxGroupSize: 4, maxConcurrentGroups: 1);
        var requests = Enumerable.Range(0, 10).Select(i => RefusalWorkTests.Request(Population.Unknown(600 + i), ActivationCodes.Generate())).ToList();
        var outcomes = await SettlerKit.SettleAllAsync(settler, requests);
        Assert.All(outcomes, Assert.False);
        var (groups, attempts) = settler.Settled;
        output.WriteLine($"{attempts} attempts in {groups} groups");
        Assert.Equal(10, attempts);
        Assert.True(groups >= 3, $"10 attempts in groups of at most 4 need at least 3 groups, got {groups}");
    }
}
