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

    public int ImportChunk { get; private set; } = 100_000;
    public int IssueChunk { get; private set; } = 250_000;
    public int IssueWriters { get; private set; } = 2;
    public int IssueQueued { get; private set; } = 1;
    public bool CountFirst { get; private set; } = true;

    /// <summary>Also COPY outbox-shaped rows (the full write set of issuance: codes + email outbox rows) in a second raw run.</summary>
    public bool RawWithOutbox { get; private set; } = true;

    public int NaiveSample { get; private set; } = 20_000;
    public int NaiveLoops { get; private set; } = 64;

    /// <summary>Activations of the closed model (fixed concurrency).</summary>
    public int Activations { get; private set; } = 20_000;
    public int WarmupActivations { get; private set; } = 2_000;
    public int Concurrency { get; private set; } = 64;

    /// <summary>Arrival rate of the open model (per second) and its duration.</summary>
    public double Rate { get; private set; } = 5_000;
    public double OpenSeconds { get; private set; } = 10;
    public int OpenConnections { get; private set; } = 256;

    /// <summary>Second open run at this fraction of the closed-model throughput when that is below <see cref="Rate"/> (0 = off).</summary>
    public double SustainableFraction { get; private set; } = 0.5;

    public int VerifySample { get; private set; } = 10_000;
    public bool SkipActivation { get; private set; }
    public bool SkipNaive { get; private set; }

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
                case "--import-chunk": o.ImportChunk = Int(Value()); break;
                case "--issue-chunk": o.IssueChunk = Int(Value()); break;
                case "--writers": o.IssueWriters = Int(Value()); break;
                case "--queued-chunks": o.IssueQueued = Int(Value()); break;
                case "--no-count-first": o.CountFirst = false; break;
                case "--no-raw-outbox": o.RawWithOutbox = false; break;
                case "--naive-sample": o.NaiveSample = Int(Value()); break;
                case "--naive-loops": o.NaiveLoops = Int(Value()); break;
                case "--activations": o.Activations = Int(Value()); break;
                case "--warmup": o.WarmupActivations = Int(Value()); break;
                case "--concurrency": o.Concurrency = Int(Value()); break;
                case "--rate": o.Rate = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--open-seconds": o.OpenSeconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--open-connections": o.OpenConnections = Int(Value()); break;
                case "--sustainable-fraction": o.SustainableFraction = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--verify-sample": o.VerifySample = Int(Value()); break;
                case "--skip-activation": o.SkipActivation = true; break;
                case "--skip-naive": o.SkipNaive = true; break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (o.Postgres.Length == 0 || o.Blob.Length == 0)
        {
            throw new ArgumentException("--postgres and --blob (or COFFRE_BENCH_POSTGRES and COFFRE_BENCH_BLOB) are required");
        }
        if (o.People < 1 || o.ImportChunk < 1 || o.IssueChunk < 1 || o.IssueWriters < 1 || o.IssueQueued < 1 || o.NaiveLoops < 1
            || o.Concurrency < 1 || o.OpenConnections < 1 || o.Rate <= 0 || o.OpenSeconds <= 0 || o.Activations < 0 || o.WarmupActivations < 0
            || o.NaiveSample < 0 || o.VerifySample < 0 || o.SustainableFraction < 0)
        {
            throw new ArgumentException("counts, sizes, rates and durations must be positive");
        }
        return o;
    }

    private static int Int(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
