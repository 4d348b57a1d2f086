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
/// Issue 7, item 4, with group commit (issue 10): every kind of refused activation does the same durable work. The real
/// settler runs in process on the real PostgreSQL rollout store and audit log (a fresh database); every statement Npgsql
/// sends to that database is recorded through its ActivitySource, and audit appends are counted as rows in audit_event.
/// A group's registry work is one read and one transaction, the same two statements whatever the mix of outcomes in it
/// (all unknown people, one of every refusal kind with a success, all successes); each refusal adds one audit event
/// (appended in the audit log's own batch) and one to the day's refusal tally, whatever its kind; each activation's event
/// is appended by the settlement's own transaction.
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed partial class RefusalWorkTests(ITestOutputHelper output)
{
    private const int Size = 40;
    private const int Group = 8;

    [Fact]
    public async Task Every_group_runs_the_same_statements_whatever_its_mix_and_every_attempt_appends_one_audit_event()
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
            var store = db.StoreWith(audit);
            // Groups of exactly Group attempts: the window is long enough for a burst to fill the group.
            await using var settler = SettlerKit.Settler(store, audit, maxGroupSize: Group);

            var people = new Population(Size);
            PersonRecord Next() => people.People[people.TakeAdults(1)[0]];
            var now = DateTimeOffset.UtcNow;
            const string WrongSerial = "000000000000001";

            // One request per kind, each on a person no attempt has touched yet (the state set up by SQL or the store).
            var kinds = new Dictionary<string, ActivationRequest>();
            kinds["unknown person"] = Request(Population.Unknown(900), ActivationCodes.Generate());
            var w = Next();
            kinds["known, wrong secrets"] = Request(w, RolloutDatabase.WrongCode(await db.CodeOfAsync(w)), w.BirthDate.AddDays(1), WrongSerial);
            var r = Next();
            kinds["known, right secrets, wrong code"] = Request(r, RolloutDatabase.WrongCode(await db.CodeOfAsync(r)));
            var e = Next();
            var expiredCode = await db.CodeOfAsync(e);
            Assert.Equal(1, await db.ExecuteAsync($"UPDATE activation_code SET expires_at = now() - interval '1 hour' WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(e.Nir)));
            kinds["expired"] = Request(e, expiredCode);
            var v = Next();
            var revokedCode = await db.CodeOfAsync(v);
            Assert.Equal(1, await store.RevokeCodesAsync(E2e.NirHash(v.Nir), now));
            kinds["revoked"] = Request(v, revokedCode);
            var u = Next();
            var usedCode = await db.CodeOfAsync(u);
            Assert.True(await store.ConsumeCodeAsync(E2e.NirHash(u.Nir), (await store.FindValidCodeAsync(E2e.NirHash(u.Nir)))!.CodeId, now));
            kinds["used"] = Request(u, usedCode);
            var l = Next();
            var lockedCode = await db.CodeOfAsync(l);
            Assert.True((await store.RecordFailedAttemptAsync(E2e.NirHash(l.Nir), (await store.FindValidCodeAsync(E2e.NirHash(l.Nir)))!.CodeId, 1, now)).Locked);
            kinds["locked"] = Request(l, lockedCode);
            var s = Next();
            var mixed = kinds.Values.Append(Request(s, await db.CodeOfAsync(s))).ToList();
            Assert.Equal(Group, mixed.Count);

            var unknown = Enumerable.Range(0, Group).Select(i => Request(Population.Unknown(910 + i), ActivationCodes.Generate())).ToList();
            var successes = new List<ActivationRequest>();
            for (var i = 0; i < Group; i++)
            {
                var p = Next();
                successes.Add(Request(p, await db.CodeOfAsync(p)));
            }

            // Warm-up (pool, prepared statements, JIT) on other unknown people.
            await SettlerKit.SettleAllAsync(settler, [.. Enumerable.Range(0, Group).Select(i => Request(Population.Unknown(950 + i), ActivationCodes.Generate()))]);

            using var statements = new StatementRecorder(database);
            var day = DateOnly.FromDateTime(DateTime.UtcNow);
            var groups = new[] { ("all unknown", unknown), ("every refusal kind and a success", mixed), ("all successes", successes) };
            var work = new List<(string Name, IReadOnlyList<string> Registry, IReadOnlyList<string> Audit, long Appends, long Tally, bool[] Outcomes)>();
            foreach (var (name, requests) in groups)
            {
                var eventsBefore = await db.ScalarAsync<long>("SELECT count(*) FROM audit_event");
                var tallyBefore = await store.CountRefusalsAsync(day);
                statements.Clear();
                var (groupsBefore, _) = settler.Settled;
                var outcomes = await SettlerKit.SettleAllAsync(settler, requests);
                var sent = statements.Take();
                Assert.Equal(groupsBefore + 1, settler.Settled.Groups);
                var appended = await db.ScalarAsync<long>("SELECT count(*) FROM audit_event") - eventsBefore;
                var tallied = await store.CountRefusalsAsync(day) - tallyBefore;
                // The registry's read and settlement (which also appends the activations' audit events); the audit log's own.
                var registry = sent.Where(t => t.Contains("activation_code", StringComparison.Ordinal)).ToList();
                work.Add((name, registry, [.. sent.Except(registry)], appended, tallied, outcomes));
            }

            foreach (var (name, registry, audits, appends, tally, outcomes) in work)
            {
                output.WriteLine($"{name,-34}: {outcomes.Count(o => o)} activated, {outcomes.Count(o => !o)} refused; {registry.Count} registry statements, " +
                    $"{audits.Count} audit statements, {appends} audit events, {tally} refusals tallied");
                foreach (var statement in registry.Concat(audits))
                {
                    output.WriteLine("    " + statement);
                }
            }
            var reference = work[0].Registry;
            Assert.Equal(2, reference.Count);
            foreach (var (name, registry, _, appends, tally, outcomes) in work)
            {
                Assert.True(reference.SequenceEqual(registry), $"{name}: [{string.Join(" | ", registry)}] differs from [{string.Join(" | ", reference)}]");
                // One audit event per attempt: each refusal's through the log, each activation's in the settlement.
                var refused = outcomes.Count(o => !o);
                Assert.Equal(outcomes.Length, appends);
                Assert.Equal(refused, tally);
            }
            Assert.Equal(new[] { false, false, false, false, false, false, false, true }, work[1].Outcomes);
            Assert.All(work[0].Outcomes, Assert.False);
            Assert.All(work[2].Outcomes, Assert.True);
            // Each refusal kind's audit event on its own chain (the person's vault or a chain of the same kind).
            foreach (var request in kinds.Values)
            {
                Assert.Equal(1L, await db.ScalarAsync<long>(
                    "SELECT count(*) FROM audit_event WHERE vault_id = $1 AND operation = 'vault.activate' AND NOT allowed", E2e.VaultId(request.Nir)));
            }
            Report.Line($"refusal work: groups of {Group} (all unknown / every refusal kind + a success / all successes) each send the same " +
                $"{reference.Count} registry statements; every refusal 1 audit append and 1 tally, whatever its kind; every activation's event in the settlement");

            // Nothing counted against the person whose secrets were wrong; the right-secrets one counted once.
            Assert.Equal(((short)CodeStatus.Valid, (short)0), ((await db.LatestCodeAsync(w)).Status, (await db.LatestCodeAsync(w)).Attempts));
            Assert.Equal(((short)CodeStatus.Valid, (short)1), ((await db.LatestCodeAsync(r)).Status, (await db.LatestCodeAsync(r)).Attempts));
            Assert.Equal((short)CodeStatus.Used, (await db.LatestCodeAsync(s)).Status);
            Assert.Equal((short)PersonStatus.Activated, await db.PersonStatusAsync(s));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            await container.DeleteIfExistsAsync();
        }
    }

    internal static ActivationRequest Request(PersonRecord person, string code, DateOnly? birthDate = null, string? vitaleSerial = null) =>
        new(code, person.Nir, birthDate ?? person.BirthDate, vitaleSerial ?? person.VitaleSerial ?? "");

    /// <summary>Every command or batch Npgsql sends to one database, in order (its text, with whitespace collapsed).</summary>
    internal sealed partial class StatementRecorder : IDisposable
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
