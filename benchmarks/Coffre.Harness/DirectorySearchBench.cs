using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffre.Adapters.Postgres;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Npgsql;

namespace Coffre.Harness;

/// <summary>
/// Directory search latency over a large directory (issue 11): a fresh database migrated with Coffre's schema, filled
/// through the index port's batch upsert (<see cref="PostgresDirectoryIndex.UpsertAsync"/>) from a small deterministic
/// generator (46 000 establishments, the rest professionals with 0 to 2 memberships, one in ten of them ended), then
/// ANALYZE, then each query shape run sequentially by one client through the port (the search grain's call), with a
/// same-run baseline: a primary-key lookup of one entry on the same table through the same pool.
/// <code>Coffre.Harness directory-search --postgres ADMIN_CS [--entries 1000000] [--queries 1000] [--out FILE.json] [--keep | --reuse DATABASE]</code>
/// (<c>--queries 0 --keep</c> fills and keeps the database; <c>--reuse</c> queries a kept one, so each run stays short.)
/// </summary>
public static class DirectorySearchBench
{
    private const int Establishments = 46_000;
    private const int BatchSize = 5_000;

    private static readonly string[] FirstNames =
    [
        "Hélène", "Camille", "Léa", "Chloé", "Inès", "Manon", "Zoé", "Anaïs", "Élodie", "Noémie", "Sophie", "Claire", "Agnès", "Céline",
        "Jean", "Pierre", "François", "Jérôme", "Benoît", "Loïc", "Gaël", "Mathéo", "Noé", "Raphaël", "Thibault", "Étienne", "Hugo", "Lucas",
        "Mohamed", "Yasmine", "Fatoumata", "Aïcha", "Karim", "Nadia", "Mehdi", "Sofiane", "Ibrahim", "Amadou", "Mariam", "Youssef",
    ];

    private static readonly string[] Syllables =
    [
        "mar", "tin", "ber", "nard", "du", "pont", "le", "roy", "fau", "re", "gi", "rard", "mo", "rel", "lam", "bert", "bou", "chet",
        "ché", "val", "mer", "cier", "gar", "nier", "fon", "taine", "ro", "ux", "lé", "vê", "que", "bar", "bier", "co", "lin", "dé", "sir",
        "pé", "rez", "ha", "mel", "tra", "oré", "ga", "bri", "ël",
    ];

    private static readonly string[] Professions = ["10", "10", "10", "60", "60", "60", "60", "21", "40", "50", "70", "80", "SOC-AS", "SOC-ES"];

    private static readonly string[] Departements = Enumerable.Range(1, 95).Where(d => d != 20).Select(d => d.ToString("00", CultureInfo.InvariantCulture))
        .Concat(["2A", "2B", "971", "972", "973", "974", "976"]).ToArray();

    private static readonly string[] EstablishmentKinds = ["Centre Hospitalier", "Clinique", "EHPAD", "Maison de Santé", "CCAS", "Foyer d'Accueil", "SSIAD", "Centre Médico-Social"];

    public static async Task<int> RunAsync(string[] args)
    {
        string? admin = null, outFile = null;
        var entries = 1_000_000;
        var queries = 1_000;
        var keep = false;
        string? reuse = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--postgres": admin = args[++i]; break;
                case "--entries": entries = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--queries": queries = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": outFile = args[++i]; break;
                case "--keep": keep = true; break;
                case "--reuse": reuse = args[++i]; keep = true; break;
                default:
                    Console.Error.WriteLine($"directory-search: unknown argument {args[i]}");
                    return 2;
            }
        }
        if (admin is null || entries <= Establishments)
        {
            Console.Error.WriteLine($"usage: Coffre.Harness directory-search --postgres ADMIN_CS [--entries N > {Establishments}] [--queries Q] [--out FILE.json] [--keep | --reuse DATABASE]");
            return 2;
        }

        var database = reuse ?? "coffre_dirbench_" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        if (reuse is null)
        {
            await using var adminSource = NpgsqlDataSource.Create(admin);
            await using var create = adminSource.CreateCommand($"CREATE DATABASE {database}");
            await create.ExecuteNonQueryAsync();
        }
        Console.Error.WriteLine($"directory-search: database {database}");
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
        var report = new JsonObject
        {
            ["benchmark"] = "directory-search",
            ["startedAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["source"] = MachineFacts.Commit(),
            ["machine"] = MachineFacts.Machine(),
            ["entries"] = entries,
            ["queriesPerShape"] = queries,
        };
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            report["postgres"] = await MachineFacts.PostgresAsync(dataSource);
            await new SchemaMigrator(dataSource).MigrateAsync();
            var index = new PostgresDirectoryIndex(dataSource);
            var now = DateTimeOffset.UtcNow;

            var generator = new Generator(entries, now);
            if (reuse is null)
            {
                Console.Error.WriteLine($"directory-search: filling {entries:N0} entries through the port's batch upsert…");
                var fill = Stopwatch.StartNew();
                foreach (var batch in generator.Records().Chunk(BatchSize))
                {
                    await index.UpsertAsync(batch);
                }
                fill.Stop();
                await Execute(dataSource, "VACUUM ANALYZE directory_entry");
                await Execute(dataSource, "VACUUM ANALYZE directory_prefix");
                await Execute(dataSource, "VACUUM ANALYZE directory_membership");
                report["fill"] = new JsonObject
                {
                    ["seconds"] = ResourceProbe.Round(fill.Elapsed.TotalSeconds, 1),
                    ["entriesPerSecond"] = ResourceProbe.Round(entries / fill.Elapsed.TotalSeconds, 0),
                    ["batchSize"] = BatchSize,
                };
                Console.Error.WriteLine($"directory-search: filled in {fill.Elapsed.TotalSeconds:F1} s");
            }
            else
            {
                // A directory filled by an earlier run (--keep): the same generator, so the same entries; only the
                // memberships' start and end were set relative to that run's clock.
                report["reusedDatabase"] = reuse;
            }
            report["rows"] = await CountsAsync(dataSource);
            report["sizes"] = await SizesAsync(dataSource);
            if (queries == 0)
            {
                report["finishedAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
                return await WriteAsync(report, outFile);
            }
            Console.Error.WriteLine("directory-search: querying…");

            var random = new Random(42);
            var shapes = new (string Name, Func<DirectoryFilter> Filter)[]
            {
                ("name prefix, 3 letters", () => new DirectoryFilter(Name: generator.NamePrefix(random, 3))),
                ("name prefix, 2 letters", () => new DirectoryFilter(Name: generator.NamePrefix(random, 2))),
                ("name prefix + département", () => new DirectoryFilter(Name: generator.NamePrefix(random, 3), Departement: generator.Departement(random))),
                ("profession + département", () => new DirectoryFilter(Profession: Professions[random.Next(Professions.Length)], Departement: generator.Departement(random))),
                ("establishment", () => new DirectoryFilter(Establishment: generator.Finess(random.Next(Establishments)))),
            };
            var results = new JsonObject();
            var plans = new JsonObject();
            var baseline = await MeasureAsync(queries, async () =>
            {
                await using var command = dataSource.CreateCommand("SELECT display_name, name_key, profession_code, sector, suspended FROM directory_entry WHERE kind = 0 AND identifier = $1");
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = generator.ProfessionalId(random.Next(entries - Establishments)) });
                await using var reader = await command.ExecuteReaderAsync();
                var rows = 0;
                while (await reader.ReadAsync())
                {
                    rows++;
                }
                return rows;
            });
            results["baseline: primary-key lookup"] = baseline.Summary;
            foreach (var (name, filter) in shapes)
            {
                var measured = await MeasureAsync(queries, async () =>
                    (await index.SearchAsync(DirectorySearchRules.Validate(filter(), 20, null, includeSuspended: false, now))).Items.Count);
                measured.Summary["meanRowsReturned"] = ResourceProbe.Round(measured.MeanRows, 1);
                measured.Summary["p99OverBaselineP99"] = ResourceProbe.Round(measured.P99 / baseline.P99, 1);
                results[name] = measured.Summary;
                plans[name] = await ExplainAsync(dataSource, DirectorySearchRules.Validate(filter(), 20, null, includeSuspended: false, now));
                Console.Error.WriteLine($"directory-search: {name}: {measured.Summary.ToJsonString()}");
            }
            report["latencyMs"] = results;
            report["samplePlans"] = plans;
            report["finishedAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        }
        finally
        {
            if (!keep)
            {
                NpgsqlConnection.ClearAllPools();
                await using var adminSource = NpgsqlDataSource.Create(admin);
                await using var drop = adminSource.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
                await drop.ExecuteNonQueryAsync();
            }
        }
        return await WriteAsync(report, outFile);
    }

    private static async Task<int> WriteAsync(JsonObject report, string? outFile)
    {
        var json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (outFile is not null)
        {
            await File.WriteAllTextAsync(outFile, json);
        }
        Console.WriteLine(json);
        return 0;
    }

    private static async Task<JsonObject> SizesAsync(NpgsqlDataSource dataSource)
    {
        var sizes = new JsonObject();
        foreach (var table in new[] { "directory_entry", "directory_prefix", "directory_membership" })
        {
            await using var command = dataSource.CreateCommand($"SELECT pg_total_relation_size('{table}')");
            sizes[table + "Bytes"] = (long)(await command.ExecuteScalarAsync())!;
        }
        return sizes;
    }

    private sealed record Measured(JsonObject Summary, double P99, double MeanRows);

    /// <summary>A 10% warm-up (not recorded), then <paramref name="count"/> sequential calls, each timed.</summary>
    private static async Task<Measured> MeasureAsync(int count, Func<Task<int>> call)
    {
        for (var i = 0; i < Math.Max(10, count / 10); i++)
        {
            await call();
        }
        var times = new double[count];
        long rows = 0;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            rows += await call();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        var summary = Latency.Summarise(times);
        return new Measured(summary, (double)summary["p99"]!, (double)rows / count);
    }

    private static async Task<JsonArray> ExplainAsync(NpgsqlDataSource dataSource, DirectoryQuery query)
    {
        await using var command = dataSource.CreateCommand();
        command.CommandText = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + PostgresDirectoryIndex.SearchSql(query, command.Parameters);
        var lines = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }
        return lines;
    }

    private static async Task<JsonObject> CountsAsync(NpgsqlDataSource dataSource)
    {
        var counts = new JsonObject();
        foreach (var table in new[] { "directory_entry", "directory_prefix", "directory_membership" })
        {
            await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {table}");
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }
        return counts;
    }

    private static async Task Execute(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Deterministic directory: entry i is the same in every run (its own seeded draws).</summary>
    private sealed class Generator(int entries, DateTimeOffset now)
    {
        public string Finess(int i)
        {
            var body = Departements[i % Departements.Length] switch
            {
                { Length: 3 } overseas => overseas + (i / Departements.Length).ToString("00000", CultureInfo.InvariantCulture),
                var dep => dep + (i / Departements.Length).ToString("000000", CultureInfo.InvariantCulture),
            };
            return body + Luhn(body.Replace('A', '0').Replace('B', '0'));
        }

        public string ProfessionalId(int i)
        {
            var body = "1" + i.ToString("000000000", CultureInfo.InvariantCulture);
            return body + Luhn(body);
        }

        public string Departement(Random random) => Departements[random.Next(Departements.Length)];

        /// <summary>The first <paramref name="letters"/> letters of a family name the generator uses (what a user types).</summary>
        public string NamePrefix(Random random, int letters)
        {
            var name = FamilyName(new Random(random.Next()));
            return name.Length <= letters ? name : name[..letters];
        }

        public IEnumerable<DirectoryRecord> Records()
        {
            for (var i = 0; i < Establishments; i++)
            {
                var random = new Random(1_000_000_000 + i);
                var departement = Departements[i % Departements.Length];
                var town = FamilyName(random) + "-sur-" + FamilyName(random);
                var kind = EstablishmentKinds[random.Next(EstablishmentKinds.Length)];
                yield return new DirectoryRecord(DirectoryEntryKind.Establishment, Finess(i), $"{kind} {FamilyName(random)}", null,
                    kind is "CCAS" or "Foyer d'Accueil" ? ProfessionSector.Social : kind is "EHPAD" or "SSIAD" ? ProfessionSector.MedicoSocial : ProfessionSector.Health,
                    false, town, departement, []);
            }
            for (var i = 0; i < entries - Establishments; i++)
            {
                var random = new Random(i);
                var profession = Professions[random.Next(Professions.Length)];
                var name = random.Next(4) == 0
                    ? $"{FamilyName(random).ToUpperInvariant()} {FirstNames[random.Next(FirstNames.Length)]}"
                    : $"{(profession == "10" && random.Next(2) == 0 ? "Dr " : "")}{FirstNames[random.Next(FirstNames.Length)]} {FamilyName(random)}";
                var memberships = new List<DirectoryMembership>();
                // A professional works near home: memberships cluster by département (establishment i ≡ département i mod 101).
                var home = random.Next(Departements.Length);
                for (var m = random.Next(10) switch { 0 => 0, 9 => 2, _ => 1 }; m > 0; m--)
                {
                    var establishment = home + Departements.Length * random.Next(Establishments / Departements.Length);
                    memberships.Add(new DirectoryMembership(Finess(establishment), now.AddYears(-3), random.Next(10) == 0 ? now.AddDays(-30) : null));
                }
                var sector = profession.StartsWith("SOC", StringComparison.Ordinal) ? ProfessionSector.Social : ProfessionSector.Health;
                yield return new DirectoryRecord(DirectoryEntryKind.Professional, ProfessionalId(i), name, profession, sector,
                    random.Next(200) == 0, null, null, memberships);
            }
        }

        private static string FamilyName(Random random)
        {
            var parts = 2 + random.Next(2);
            var name = string.Concat(Enumerable.Range(0, parts).Select(_ => Syllables[random.Next(Syllables.Length)]));
            return char.ToUpperInvariant(name[0]) + name[1..];
        }

        private static char Luhn(string body)
        {
            for (var c = '0'; c <= '9'; c++)
            {
                var sum = 0;
                var digits = body + c;
                for (var k = 0; k < digits.Length; k++)
                {
                    var d = digits[digits.Length - 1 - k] - '0';
                    if (k % 2 == 1)
                    {
                        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
                    }
                    sum += d;
                }
                if (sum % 10 == 0)
                {
                    return c;
                }
            }
            throw new InvalidOperationException("unreachable");
        }
    }
}
