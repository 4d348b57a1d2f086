using System.Globalization;

namespace Coffre.Harness;

/// <summary>
/// Command line of the harness (<c>--name value</c>); the two services may also come from the environment
/// (<c>COFFRE_BENCH_POSTGRES</c>, <c>COFFRE_BENCH_BLOB</c>). Every option has a default except the two services.
/// </summary>
public sealed class HarnessOptions
{
    public long People { get; private set; } = 1_000_000;
    public int Seed { get; private set; } = 42;
    public string Postgres { get; private set; } = "";
    public string Blob { get; private set; } = "";
    public string Container { get; private set; } = "bench-" + Guid.NewGuid().ToString("N")[..8];
    public string Output { get; private set; } = "macro.json";
    public string WorkDirectory { get; private set; } = Path.Combine(Path.GetTempPath(), "coffre-harness-" + Guid.NewGuid().ToString("N")[..8]);
    public string? SiloDll { get; private set; }
    public string? PostgresNotes { get; private set; }
    public int? AzuritePid { get; private set; }

    public int ImportChunk { get; private set; } = 100_000;
    public int IssueChunk { get; private set; } = 250_000;
    public int IssueWriters { get; private set; } = 2;
    public int IssueQueued { get; private set; } = 1;
    /// <summary>Issuance counts the eligible people exactly first (<c>--count-first</c>; the product's default is not to).</summary>
    public bool CountFirst { get; private set; }

    /// <summary>Also COPY outbox-shaped rows (the write set of issuance before email batches: codes + one outbox row per email) in a second raw run, kept as a comparison.</summary>
    public bool RawWithOutbox { get; private set; } = true;

    /// <summary>
    /// Also COPY the code rows with person numbers random across the run, each chunk sorted (how the valid-code index was
    /// entered before migration 0024); --no-raw-sorted skips it.
    /// </summary>
    public bool RawSortedPerChunk { get; private set; } = true;

    /// <summary>After the import, the PostgreSQL floor of the registry (RegistryCopyBaseline): the same rows COPYed, indexed and analysed.</summary>
    public bool RegistryFloor { get; private set; } = true;

    /// <summary>Measure the parts of the issuance floor (<see cref="IssuanceFloor"/>): the registry read both ways and the codes minted.</summary>
    public bool IssuanceFloor { get; private set; } = true;

    /// <summary>Also COPY the code rows into a table without any index or constraint (what the indexes cost).</summary>
    public bool RawWithoutIndexes { get; private set; }

    public int NaiveSample { get; private set; } = 20_000;
    public int NaiveLoops { get; private set; } = 64;

    /// <summary>Activations of the closed model (fixed concurrency).</summary>
    public int Activations { get; private set; } = 20_000;

    /// <summary>
    /// Activations before the closed model, not measured (at most a quarter of the people collected, and stopped at a
    /// quarter of the closed model's time limit): long enough for the silo's tiered JIT to reach its optimised code. With
    /// 2 000, the closed model's silo CPU per activation was 1.5 × that of the same code warmed by 25 000; with 10 000 at
    /// N = 1 M, 480 µs against 280 µs after a 28 489 warm-up (a perf sample of the closed model at 10 M found the silo's
    /// JIT thread on 11 % of the machine).
    /// </summary>
    public int WarmupActivations { get; private set; } = 40_000;
    public int Concurrency { get; private set; } = 64;

    /// <summary>Time bound of the closed model (it stops sending after this even if activations are left); warm-up gets a quarter.</summary>
    public double ClosedSeconds { get; private set; } = 60;

    /// <summary>Arrival rate of the open model (per second) and its duration.</summary>
    public double Rate { get; private set; } = 5_000;
    public double OpenSeconds { get; private set; } = 10;
    public int OpenConnections { get; private set; } = 256;

    /// <summary>The measured phases' HTTP client (<see cref="Harness.LoadClient"/>): <c>raw</c> or <c>httpclient</c>.</summary>
    public string LoadClient { get; private set; } = Harness.LoadClient.Raw;

    /// <summary>Second open run at this fraction of the closed-model throughput when that is below <see cref="Rate"/> (0 = off).</summary>
    public double SustainableFraction { get; private set; } = 0.5;

    public int VerifySample { get; private set; } = 10_000;

    /// <summary>
    /// Before the activation models, wait at most this long for the silo's outbox dispatcher to deliver every activation
    /// email (0 = do not wait): with it idle, the models measure activation alone.
    /// </summary>
    public double DrainOutboxSeconds { get; private set; }

    /// <summary>
    /// Before the silo starts, read the activation path's tables and indexes once (<c>pg_prewarm</c>, into the operating
    /// system's cache), as a registry that serves activations all day has them: the bulk phases before it leave it cold.
    /// </summary>
    public bool Prewarm { get; private set; }

    /// <summary>
    /// Bring the database to rest between the bulk phases, as the days between a rollout's steps do (on by default; off
    /// with <c>--no-settle</c>): after the import a <c>VACUUM (ANALYZE)</c> of the registry (what autovacuum otherwise runs
    /// during the next phase, and the hint bits the first read of each row would otherwise write; after the registry floor,
    /// which runs right after the import so that the two compare like with like), then before each later bulk phase
    /// (issuance, limit, each raw COPY, issuance floor) a <c>CHECKPOINT</c>:
    /// the previous phase's dirty pages are written before the next starts, and its WAL segments are recycled instead of
    /// each new one being created and zero-filled. Each is its own reported step (<c>settle</c>), outside the phases.
    /// </summary>
    public bool Settle { get; private set; } = true;

    /// <summary>
    /// Before the silo starts (after <see cref="Prewarm"/>), a <c>CHECKPOINT</c>: the bulk phases' dirty pages are written
    /// and synced before the activation models, as in a rollout that opens activations days after its import. Without
    /// it the checkpoint their WAL started spreads its writes and its final syncs through the activation phases.
    /// </summary>
    public bool Checkpoint { get; private set; }

    /// <summary>
    /// During each open run, a <see cref="FlushProbe"/> in the work directory (PostgreSQL's file system): every 10 ms an
    /// 8 KiB write made durable with <c>fdatasync</c>, timed, reported per slot of <c>resourcesByTime</c> and for the run.
    /// </summary>
    public bool FlushProbe { get; private set; }

    /// <summary>
    /// After each activation run, where its WAL went (<see cref="WalBreakdown"/>: full-page images per relation, bytes
    /// per record type), read from the log with <c>pg_walinspect</c>.
    /// </summary>
    public bool WalBreakdown { get; private set; }

    /// <summary>
    /// Each activation run's settlement groups and campaign email pages as the silo logs them (<see cref="SiloLogTimings"/>:
    /// a group's size, wait before it, read and transaction; the router's lines), per run and per slot of an open run's timeline.
    /// </summary>
    public bool GroupTimings { get; private set; }

    /// <summary>
    /// The silo's niceness (<c>--silo-nice N</c>, -20 to 19; 0 by default): on these two shared cores a positive value
    /// lets PostgreSQL finish the settlements already under way before the silo reads more requests.
    /// </summary>
    public int SiloNice { get; private set; }
    public bool SkipActivation { get; private set; }

    /// <summary>Extra settings for the silo process (<c>--silo-env KEY=VALUE</c>, repeatable), e.g. a tuning under test.</summary>
    public Dictionary<string, string> SiloEnvironment { get; } = new(StringComparer.Ordinal);
    public bool SkipNaive { get; private set; }

    /// <summary>Issue 10's read path (<see cref="ReadPathPhase"/>) on the activation phase's silo, after the activation models.</summary>
    public bool SkipReadPath { get; private set; }
    public int ReadVaults { get; private set; } = 32;
    public int ReadDocuments { get; private set; } = 20;
    public int ReadConnections { get; private set; } = 32;
    public double ReadSeconds { get; private set; } = 15;

    /// <summary>Vault grains activated in one in-process silo to measure memory per idle vault (0 = skip the phase); capped at N.</summary>
    public int MemoryVaults { get; private set; } = 1_000_000;

    public static HarnessOptions Parse(string[] args)
    {
        var o = new HarnessOptions
        {
            Postgres = Environment.GetEnvironmentVariable("COFFRE_BENCH_POSTGRES") ?? "",
            Blob = Environment.GetEnvironmentVariable("COFFRE_BENCH_BLOB") ?? "",
        };
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--people": o.People = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": o.Seed = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--postgres": o.Postgres = Value(); break;
                case "--blob": o.Blob = Value(); break;
                case "--container": o.Container = Value(); break;
                case "--out": o.Output = Value(); break;
                case "--work-dir": o.WorkDirectory = Value(); break;
                case "--silo-dll": o.SiloDll = Value(); break;
                case "--postgres-notes": o.PostgresNotes = Value(); break;
                case "--azurite-pid": o.AzuritePid = Int(Value()); break;
                case "--import-chunk": o.ImportChunk = Int(Value()); break;
                case "--issue-chunk": o.IssueChunk = Int(Value()); break;
                case "--writers": o.IssueWriters = Int(Value()); break;
                case "--queued-chunks": o.IssueQueued = Int(Value()); break;
                case "--count-first": o.CountFirst = true; break;
                case "--no-count-first": o.CountFirst = false; break;
                case "--no-raw-outbox": o.RawWithOutbox = false; break;
                case "--no-raw-sorted": o.RawSortedPerChunk = false; break;
                case "--no-registry-floor": o.RegistryFloor = false; break;
                case "--no-issuance-floor": o.IssuanceFloor = false; break;
                case "--raw-without-indexes": o.RawWithoutIndexes = true; break;
                case "--naive-sample": o.NaiveSample = Int(Value()); break;
                case "--naive-loops": o.NaiveLoops = Int(Value()); break;
                case "--memory-vaults": o.MemoryVaults = Int(Value()); break;
                case "--activations": o.Activations = Int(Value()); break;
                case "--warmup": o.WarmupActivations = Int(Value()); break;
                case "--concurrency": o.Concurrency = Int(Value()); break;
                case "--closed-seconds": o.ClosedSeconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--rate": o.Rate = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--open-seconds": o.OpenSeconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--open-connections": o.OpenConnections = Int(Value()); break;
                case "--load-client":
                    var client = Value();
                    o.LoadClient = client is Harness.LoadClient.Raw or Harness.LoadClient.Http ? client : throw new ArgumentException($"--load-client is {Harness.LoadClient.Raw} or {Harness.LoadClient.Http}");
                    break;
                case "--sustainable-fraction": o.SustainableFraction = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--verify-sample": o.VerifySample = Int(Value()); break;
                case "--drain-outbox-seconds": o.DrainOutboxSeconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--skip-activation": o.SkipActivation = true; break;
                case "--prewarm": o.Prewarm = true; break;
                case "--no-settle": o.Settle = false; break;
                case "--checkpoint": o.Checkpoint = true; break;
                case "--flush-probe": o.FlushProbe = true; break;
                case "--wal-breakdown": o.WalBreakdown = true; break;
                case "--group-timings": o.GroupTimings = true; break;
                case "--silo-nice":
                    o.SiloNice = Int(Value());
                    if (o.SiloNice is < -20 or > 19)
                    {
                        throw new ArgumentException("--silo-nice is between -20 and 19");
                    }
                    break;
                case "--silo-env":
                    var pair = Value();
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    o.SiloEnvironment[eq > 0 ? pair[..eq] : throw new ArgumentException("--silo-env takes KEY=VALUE")] = pair[(eq + 1)..];
                    break;
                case "--skip-naive": o.SkipNaive = true; break;
                case "--skip-read-path": o.SkipReadPath = true; break;
                case "--read-vaults": o.ReadVaults = Int(Value()); break;
                case "--read-documents": o.ReadDocuments = Int(Value()); break;
                case "--read-connections": o.ReadConnections = Int(Value()); break;
                case "--read-seconds": o.ReadSeconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (o.Postgres.Length == 0 || o.Blob.Length == 0)
        {
            throw new ArgumentException("--postgres and --blob (or COFFRE_BENCH_POSTGRES and COFFRE_BENCH_BLOB) are required");
        }
        if (o.People < 1 || o.ImportChunk < 1 || o.IssueChunk < 1 || o.IssueWriters < 1 || o.IssueQueued < 1 || o.NaiveLoops < 1
            || o.Concurrency < 1 || o.OpenConnections < 1 || o.Rate <= 0 || o.OpenSeconds <= 0 || o.ClosedSeconds <= 0 || o.Activations < 0 || o.WarmupActivations < 0
            || o.NaiveSample < 0 || o.VerifySample < 0 || o.SustainableFraction < 0 || o.DrainOutboxSeconds < 0
            || o.ReadVaults < 1 || o.ReadDocuments is < 1 or > 100 || o.ReadConnections < 1 || o.ReadSeconds <= 0)
        {
            throw new ArgumentException("counts, sizes, rates and durations must be positive");
        }
        return o;
    }

    private static int Int(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
