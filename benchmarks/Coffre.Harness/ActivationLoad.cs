using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coffre.Harness;

/// <summary>
/// Activation requests over HTTP/1.1 to <c>/graphql</c>: a closed model (fixed concurrency, bounded count) for peak
/// throughput, and an open model (fixed arrival rate, bounded duration) whose latency is measured from each request's
/// SCHEDULED send time, so a stalled server cannot hide its queue (no coordinated omission). Each request activates a
/// distinct person; success = <c>session.vaultId</c> equal to the person's vault. Requests go through the
/// <see cref="LoadClient"/> named by <paramref name="client"/> (<c>--load-client</c>).
/// </summary>
public sealed class ActivationLoad(Uri graphql, string client)
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The generator's garbage-collection pauses, recorded from the first load run on.</summary>
    private static readonly GcPauses Pauses = new();

    public enum Outcome : byte
    {
        None,
        Success,
        Refused,
        GraphQLError,
        HttpError,
        Timeout,
        Exception,
    }

    public sealed class Run(string model, ActivationPerson[] people)
    {
        public string Model { get; } = model;
        public ActivationPerson[] People { get; } = people;
        public double[] LatencyMs { get; } = Enumerable.Repeat(double.NaN, people.Length).ToArray();

        /// <summary>
        /// An open run's lag of each request behind its due time when the send loop handed it to the client (NaN: not
        /// sent), so a stall of the generator's own loop shows as one. A wait for a free connection, which a slow server
        /// causes, comes after and is not in it.
        /// </summary>
        public double[] SendLagMs { get; } = Enumerable.Repeat(double.NaN, people.Length).ToArray();
        public Outcome[] Outcomes { get; } = new Outcome[people.Length];
        public double Seconds { get; set; }
        public double SendSeconds { get; set; }

        /// <summary>Requests sent (a closed run that reaches its time bound leaves the rest of its people unused).</summary>
        public int Sent { get; set; }
        public double? TargetRate { get; set; }
        public int Connections { get; set; }
        public int MaxInFlight { get; set; }
        public string? FirstError { get; set; }

        /// <summary>When the run began and ended (UTC), to set its timeline beside other processes' records.</summary>
        public DateTime StartedAt { get; set; }
        public DateTime EndedAt { get; set; }

        public int Count(Outcome o) => Outcomes.Count(x => x == o);

        /// <summary>Width of an open run's latency timeline slots (<see cref="Latency.Timeline"/>).</summary>
        public const double TimelineSlotSeconds = 0.25;

        /// <summary>Requests whose effect is unknown (timed out, connection lost, or never answered): the server may have activated them.</summary>
        public int UnknownOutcomes => Count(Outcome.Timeout) + Count(Outcome.Exception) + (Sent - Outcomes.Count(x => x != Outcome.None));

        public JsonObject Describe()
        {
            var successes = Count(Outcome.Success);
            var completed = Outcomes.Count(x => x != Outcome.None);
            var o = new JsonObject
            {
                ["model"] = Model,
                ["requests"] = Sent,
                ["completed"] = completed,
                ["successes"] = successes,
                ["errors"] = Sent - successes,
                ["refused"] = Count(Outcome.Refused),
                ["graphqlErrors"] = Count(Outcome.GraphQLError),
                ["httpErrors"] = Count(Outcome.HttpError),
                ["timeouts"] = Count(Outcome.Timeout),
                ["exceptions"] = Count(Outcome.Exception),
                ["notCompleted"] = Sent - completed,
                ["unknownOutcome"] = UnknownOutcomes,
                ["connections"] = Connections,
                ["seconds"] = ResourceProbe.Round(Seconds, 3),
                ["throughputPerSecond"] = ResourceProbe.Round(successes / Math.Max(Seconds, 1e-6), 1),
                ["latencyMs"] = Latency.Summarise(LatencyMs),
                ["latencySuccessMs"] = Latency.Summarise(LatencyMs.Where((_, i) => Outcomes[i] == Outcome.Success)),
                ["firstError"] = FirstError,
                ["startedAtUtc"] = StartedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["generatorGcPauses"] = Pauses.Describe(StartedAt, EndedAt),
                ["generatorAllocationSamples"] = Pauses.DescribeAllocations(StartedAt, EndedAt),
            };
            if (TargetRate is { } rate)
            {
                o["targetRatePerSecond"] = rate;
                o["achievedSendRatePerSecond"] = ResourceProbe.Round(Sent / Math.Max(SendSeconds, 1e-6), 1);
                o["sendSeconds"] = ResourceProbe.Round(SendSeconds, 3);
                o["maxInFlight"] = MaxInFlight;
                o["sendLagMs"] = Latency.Summarise(SendLagMs);
                o["latencyByDueTimeMs"] = Latency.Timeline(LatencyMs, rate, TimelineSlotSeconds, SendLagMs);
            }
            return o;
        }
    }

    /// <summary>The harness's <see cref="HttpClient"/> (setup traffic; the <c>httpclient</c> load client): <paramref name="connections"/> pooled keep-alive HTTP/1.1 connections to the silo.</summary>
    internal static HttpClient Client(int connections, TimeSpan? timeout = null) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        Timeout = timeout ?? RequestTimeout,
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    /// <summary>
    /// A run's people with each one's request encoded and the client of <see cref="Connections"/> connections (which
    /// connect on first use): built before the run's clock, resource window and quiet collector start, so that neither
    /// the encoding's CPU nor its allocations are the run's.
    /// </summary>
    public sealed class Prepared : IAsyncDisposable
    {
        internal Prepared(ActivationPerson[] people, int connections, LoadClient http, LoadRequest[] requests)
        {
            People = people;
            Connections = connections;
            Http = http;
            Requests = requests;
        }

        public ActivationPerson[] People { get; }
        public int Connections { get; }
        internal LoadClient Http { get; }
        internal LoadRequest[] Requests { get; }

        public ValueTask DisposeAsync() => Http.DisposeAsync();
    }

    public Prepared Prepare(ActivationPerson[] people, int connections)
    {
        var http = LoadClient.Create(client, graphql, connections, RequestTimeout);
        return new Prepared(people, connections, http, [.. people.Select(p => http.Post(graphql.AbsolutePath, p.RequestBody()))]);
    }

    /// <summary>
    /// Fixed concurrency: one loop per connection of <paramref name="prepared"/>, until every person is used or
    /// <paramref name="maxDuration"/> has passed (then the loops stop sending; answers are awaited).
    /// </summary>
    public static async Task<Run> ClosedAsync(string model, Prepared prepared, TimeSpan maxDuration)
    {
        var (people, concurrency, http, bodies) = (prepared.People, prepared.Connections, prepared.Http, prepared.Requests);
        var run = new Run(model, people) { Connections = concurrency };
        var next = -1;
        run.StartedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                if (clock.Elapsed >= maxDuration)
                {
                    return;
                }
                var i = Interlocked.Increment(ref next);
                if (i >= people.Length)
                {
                    return;
                }
                var start = Stopwatch.GetTimestamp();
                var outcome = await SendAsync(http, bodies[i], people[i].VaultId, run);
                run.LatencyMs[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                run.Outcomes[i] = outcome;
            }
        })));
        run.Seconds = clock.Elapsed.TotalSeconds;
        run.EndedAt = DateTime.UtcNow;
        run.Sent = Math.Min(people.Length, next + 1);
        return run;
    }

    /// <summary>
    /// Fixed arrival rate: request i is due at start + i / rate; a 1 ms tick sends every due request without waiting for
    /// answers (at most <paramref name="maxInFlight"/> outstanding: beyond, sending waits, and the wait is in the latency,
    /// which always counts from the scheduled time), over the connections of <paramref name="prepared"/>, from a thread
    /// of its own. Answers are awaited at most the request timeout after the last send.
    /// </summary>
    public static async Task<Run> OpenAsync(string model, Prepared prepared, double rate, int maxInFlight = 20_000)
    {
        var (people, http, bodies) = (prepared.People, prepared.Http, prepared.Requests);
        var run = new Run(model, people) { TargetRate = rate, Connections = prepared.Connections };
        var inFlight = 0;
        var peak = 0;
        var done = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var frequency = (double)Stopwatch.Frequency;
        run.StartedAt = DateTime.UtcNow;
        var start = Stopwatch.GetTimestamp();

        async Task FireAsync(int i, long scheduled)
        {
            run.SendLagMs[i] = (Stopwatch.GetTimestamp() - scheduled) * 1000.0 / frequency;
            var outcome = await SendAsync(http, bodies[i], people[i].VaultId, run);
            run.LatencyMs[i] = (Stopwatch.GetTimestamp() - scheduled) * 1000.0 / frequency;
            run.Outcomes[i] = outcome;
            Interlocked.Decrement(ref inFlight);
            if (Interlocked.Increment(ref done) == people.Length)
            {
                allDone.TrySetResult();
            }
        }

        // The send loop has a thread of its own: on the thread pool its 1 ms tick queued behind the answers' completions
        // whenever the cores were busy, and every request it sent late counted the lag as the server's latency.
        var sent = 0;
        var sendingDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sender = new Thread(() =>
        {
            while (sent < people.Length)
            {
                var due = (int)Math.Min(people.Length, Math.Floor((Stopwatch.GetTimestamp() - start) / frequency * rate) + 1);
                while (sent < due && Volatile.Read(ref inFlight) < maxInFlight)
                {
                    var i = sent++;
                    var scheduled = start + (long)(i / rate * frequency);
                    var now = Interlocked.Increment(ref inFlight);
                    peak = Math.Max(peak, now);
                    _ = FireAsync(i, scheduled);
                }
                if (sent < people.Length)
                {
                    Thread.Sleep(1);
                }
            }
            sendingDone.SetResult();
        })
        { IsBackground = true, Name = "open-model sender" };
        sender.Start();
        await sendingDone.Task;
        run.SendSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        run.Sent = sent;
        await Task.WhenAny(allDone.Task, Task.Delay(RequestTimeout + TimeSpan.FromSeconds(5)));
        run.Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        run.EndedAt = DateTime.UtcNow;
        run.MaxInFlight = peak;
        return run;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<Outcome> SendAsync(LoadClient http, LoadRequest request, string vaultId, Run run)
    {
        try
        {
            var (status, bytes) = await http.SendAsync(request);
            if (status != (int)HttpStatusCode.OK)
            {
                Note(run, $"HTTP {status}: {System.Text.Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 300)))}");
                return Outcome.HttpError;
            }
            using var json = JsonDocument.Parse(bytes);
            var root = json.RootElement;
            if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                && data.TryGetProperty("activateVault", out var payload) && payload.ValueKind == JsonValueKind.Object)
            {
                if (payload.TryGetProperty("session", out var session) && session.ValueKind == JsonValueKind.Object
                    && session.TryGetProperty("vaultId", out var id) && id.ValueKind == JsonValueKind.String && id.ValueEquals(vaultId))
                {
                    return Outcome.Success;
                }
                if (payload.TryGetProperty("userErrors", out var errors) && errors.GetArrayLength() > 0)
                {
                    Note(run, "userErrors: " + errors.GetRawText());
                    return Outcome.Refused;
                }
            }
            Note(run, "response: " + System.Text.Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 300))));
            return Outcome.GraphQLError;
        }
        catch (TimeoutException)
        {
            Note(run, "timeout");
            return Outcome.Timeout;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or JsonException)
        {
            Note(run, $"{e.GetType().Name}: {e.Message}");
            return Outcome.Exception;
        }
    }

    private static void Note(Run run, string error)
    {
        if (run.FirstError is null)
        {
            lock (run)
            {
                run.FirstError ??= error;
            }
        }
    }
}
