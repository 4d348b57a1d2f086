using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Coffre.Adapters.Postgres;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Coffre.Grains.Rollout;
using Coffre.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Options;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// Issue 7, item 4: every kind of refused activation does the same durable work. The real activation grain class runs
/// in process on the real PostgreSQL rollout store and audit log (a fresh database); every statement Npgsql sends to
/// that database is recorded through its ActivitySource, and audit appends are counted as rows in audit_event.
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed partial class RefusalWorkTests(ITestOutputHelper output)
{
    private const int Size = 40;

    [Fact]
    public async Task Every_refusal_kind_runs_the_same_statements_and_appends_one_audit_event()
    {
        var connectionString = await TestServices.NewMigratedDatabaseAsync();
        var database = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;
        var container = new BlobServiceClient(TestServices.Blob).GetBlobContainerClient(E2e.NewContainerName());
        await container.CreateIfNotExistsAsync();
        await using var db = new RolloutDatabase(connectionString, container.Name);
        await using var audit = new PostgresAuditLog(db.Data, Convert.FromBase64String(E2e.AuditHeadKey));
        var directory = E2e.TempDirectory("refusal-work");
        try
        {
            await E2e.ImportAndIssueAsync(db, directory, "work", Size, "Refusal work");

            var store = db.Store;
            var registry = new RolloutRegistry(store, Options.Create(new ActivationOptions()), TimeProvider.System);
            IActivationGrain grain = new ActivationGrain(registry, E2e.NirHasher, E2e.Verifier, audit, Options.Create(new ActivationOptions()), TimeProvider.System);

            var people = new Population(Size);
            PersonRecord Next() => people.People[people.TakeAdults(1)[0]];
            var now = DateTimeOffset.UtcNow;
            const string WrongSerial = "000000000000001";

            // One request per kind, each on a person no attempt has touched yet (the state set up by SQL or the store).
            var attempts = new Dictionary<string, ActivationRequest>();
            var unknown = Population.Unknown(900);
            attempts["unknown person"] = Request(unknown, ActivationCodes.Generate());
            var w = Next();
            attempts["known, wrong secrets"] = Request(w, RolloutDatabase.WrongCode(await db.CodeOfAsync(w)), w.BirthDate.AddDays(1), WrongSerial);
            var r = Next();
            attempts["known, right secrets, wrong code"] = Request(r, RolloutDatabase.WrongCode(await db.CodeOfAsync(r)));
            var e = Next();
            var expiredCode = await db.CodeOfAsync(e);
            Assert.Equal(1, await db.ExecuteAsync("UPDATE activation_code SET expires_at = now() - interval '1 hour' WHERE nir_hash = $1 AND status = 0", E2e.NirHash(e.Nir)));
            attempts["expired"] = Request(e, expiredCode);
            var v = Next();
            var revokedCode = await db.CodeOfAsync(v);
            Assert.Equal(1, await store.RevokeCodesAsync(E2e.NirHash(v.Nir), now));
            attempts["revoked"] = Request(v, revokedCode);
            var u = Next();
            var usedCode = await db.CodeOfAsync(u);
            Assert.True(await store.ConsumeCodeAsync((await store.FindValidCodeAsync(E2e.NirHash(u.Nir)))!.CodeId, now));
            attempts["used"] = Request(u, usedCode);
            var l = Next();
            var lockedCode = await db.CodeOfAsync(l);
            Assert.True((await store.RecordFailedAttemptAsync((await store.FindValidCodeAsync(E2e.NirHash(l.Nir)))!.CodeId, 1, now)).Locked);
            attempts["locked"] = Request(l, lockedCode);

            // Warm-up (pool, prepared statements, JIT) on other unknown people.
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(ActivationOutcome.Refused, (await grain.ActivateAsync(Request(Population.Unknown(950 + i), ActivationCodes.Generate()))).Outcome);
            }

            using var statements = new StatementRecorder(database);
            var work = new Dictionary<string, List<(IReadOnlyList<string> Statements, long Appends, long Tally)>>();
            var day = DateOnly.FromDateTime(DateTime.UtcNow);
            // Twice per kind: the first attempt on a person (their audit chain head not cached yet), then a second one.
            for (var round = 0; round < 2; round++)
            {
                foreach (var (kind, request) in attempts)
                {
                    var eventsBefore = await db.ScalarAsync<long>("SELECT count(*) FROM audit_event");
                    var tallyBefore = await store.CountRefusalsAsync(day);
                    statements.Clear();
                    var result = await grain.ActivateAsync(request);
                    var sent = statements.Take();
                    Assert.Equal(ActivationOutcome.Refused, result.Outcome);
                    var appended = await db.ScalarAsync<long>("SELECT count(*) FROM audit_event") - eventsBefore;
                    var tallied = await store.CountRefusalsAsync(day) - tallyBefore;
                    (work.TryGetValue(kind, out var list) ? list : work[kind] = []).Add((sent, appended, tallied));
                    Assert.Equal(1L, await db.ScalarAsync<long>(
                        "SELECT count(*) FROM audit_event WHERE vault_id = $1 AND operation = 'vault.activate' AND NOT allowed", E2e.VaultId(request.Nir)) - round);
                }
            }

            foreach (var (kind, list) in work)
            {
                for (var round = 0; round < list.Count; round++)
                {
                    var (sent, appends, tally) = list[round];
                    output.WriteLine($"{kind,-34} attempt {round + 1}: {sent.Count} statements, {appends} audit append(s), {tally} refusal tallied");
                    foreach (var statement in sent)
                    {
                        output.WriteLine("    " + statement);
                    }
                }
            }
            var reference = work["unknown person"];
            foreach (var (kind, list) in work)
            {
                for (var round = 0; round < 2; round++)
                {
                    Assert.True(reference[round].Statements.SequenceEqual(list[round].Statements),
                        $"{kind}, attempt {round + 1}: [{string.Join(" | ", list[round].Statements)}] differs from the unknown person's [{string.Join(" | ", reference[round].Statements)}]");
                    Assert.Equal(1L, list[round].Appends);
                    Assert.Equal(1L, list[round].Tally);
                }
            }
            Report.Line($"refusal work: {work.Count} kinds x 2 attempts, each {reference[0].Statements.Count} PostgreSQL statements " +
                $"(first attempt on a chain) / {reference[1].Statements.Count} (later), 1 audit append, 1 refusal row write — equal for every kind");

            // Nothing counted against the person whose secrets were wrong; the right-secrets one counted twice.
            Assert.Equal(((short)CodeStatus.Valid, (short)0), ((await db.LatestCodeAsync(w)).Status, (await db.LatestCodeAsync(w)).Attempts));
            Assert.Equal(((short)CodeStatus.Valid, (short)2), ((await db.LatestCodeAsync(r)).Status, (await db.LatestCodeAsync(r)).Attempts));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            await container.DeleteIfExistsAsync();
        }
    }

    private static ActivationRequest Request(PersonRecord person, string code, DateOnly? birthDate = null, string? vitaleSerial = null) =>
        new(code, person.Nir, birthDate ?? person.BirthDate, vitaleSerial ?? person.VitaleSerial ?? "");

    /// <summary>Every command or batch Npgsql sends to one database, in order (its text, with whitespace collapsed).</summary>
    private sealed partial class StatementRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<(long Started, string Text)> _sent = new();

        public StatementRecorder(string database)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.GetTagItem("db.namespace") as string == database)
                    {
                        var text = activity.GetTagItem("db.query.text") as string ?? activity.DisplayName;
                        _sent.Enqueue((activity.StartTimeUtc.Ticks, Spaces().Replace(text, " ").Trim()));
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public void Clear() => _sent.Clear();

        public IReadOnlyList<string> Take()
        {
            var list = new List<(long, string)>();
            while (_sent.TryDequeue(out var item))
            {
                list.Add(item);
            }
            return [.. list.OrderBy(i => i.Item1).Select(i => i.Item2)];
        }

        public void Dispose() => _listener.Dispose();

        [GeneratedRegex(@"\s+")]
        private static partial Regex Spaces();
    }
}

/// <summary>Measurements for ./test.sh's closing report (the file named by COFFRE_TEST_REPORT), appended line by line.</summary>
internal static class Report
{
    private static readonly Lock Gate = new();

    public static void Line(string line)
    {
        if (Environment.GetEnvironmentVariable("COFFRE_TEST_REPORT") is { Length: > 0 } path)
        {
            lock (Gate)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }
}
