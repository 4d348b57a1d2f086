using System.Globalization;
using Coffre.Domain.Rollout;
using Coffre.IntegrationTests.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// Issue 7, item 4: refusal times per kind over real HTTP on a real silo process (PostgreSQL + Azurite), interleaved
/// round-robin, compared with the unknown-person kind (Mann–Whitney U and Welch's t, normal approximations). The
/// figures go to the test output and COFFRE_TEST_REPORT; nothing is asserted about time (a shared 2-core machine is no
/// place for timed assertions), only that every sample was collected and was the same refusal.
/// </summary>
[Collection(RolloutEndToEndCollection.Name)]
public sealed class RefusalTimingTests(ITestOutputHelper output)
{
    private const int Samples = 200;
    private const int TargetsPerKind = 8;

    [Fact]
    public async Task Refusal_times_per_kind_are_measured_and_reported()
    {
        // Codes never lock here (the right-secrets kinds are counted on every sample), and no limit gets in the way.
        const int Size = 80;
        await using var silo = await CampaignSilo.StartAsync("timing", "Refusal timing", Size, E2e.SiloSettings(maxAttempts: 30_000));
        var cluster = silo.Cluster;
        var db = silo.Db;
        var people = new Population(Size);
        using var http = new RawGraphQL(cluster.Silos[0].BaseAddress);
        PersonRecord Next() => people.People[people.TakeAdults(1)[0]];
        const string WrongSerial = "000000000000001";

        var kinds = new Dictionary<string, List<Func<object>>>();
        void Add(string kind, Func<object> variables) => (kinds.TryGetValue(kind, out var l) ? l : kinds[kind] = []).Add(variables);
        for (var t = 0; t < TargetsPerKind; t++)
        {
            var unknown = Population.Unknown(1000 + t);
            Add("unknown person", () => RawGraphQL.ActivationInput(unknown, ActivationCodes.Generate()));

            var w = Next();
            var wCode = await db.CodeOfAsync(w);
            Add("known, wrong secrets", () => RawGraphQL.ActivationInput(w, RolloutDatabase.WrongCode(wCode), WrongSerial, w.BirthDate.AddDays(1)));

            var r = Next();
            var rCode = await db.CodeOfAsync(r);
            Add("known, right secrets, wrong code", () => RawGraphQL.ActivationInput(r, RolloutDatabase.WrongCode(rCode)));

            var e = Next();
            var eCode = await db.CodeOfAsync(e);
            Assert.Equal(1, await db.ExecuteAsync($"UPDATE activation_code SET expires_at = now() - interval '1 hour' WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(e.Nir)));
            Add("expired", () => RawGraphQL.ActivationInput(e, eCode));

            var v = Next();
            var vCode = await db.CodeOfAsync(v);
            Assert.Equal(1, await db.Store.RevokeCodesAsync(E2e.NirHash(v.Nir), DateTimeOffset.UtcNow));
            Add("revoked", () => RawGraphQL.ActivationInput(v, vCode));

            var u = Next();
            var uCode = await db.CodeOfAsync(u);
            var activated = await http.ActivateAsync(u, uCode);
            Assert.True(activated.Field("activateVault")?["session"] is not null, activated.ToString());
            Add("used", () => RawGraphQL.ActivationInput(u, uCode));

            var l = Next();
            var lCode = await db.CodeOfAsync(l);
            Assert.Equal(1, await db.ExecuteAsync($"UPDATE activation_code SET status = 3, attempts = 5, closed_at = now() WHERE person_no = {E2e.PersonOf} AND status = 0", E2e.NirHash(l.Nir)));
            Add("locked", () => RawGraphQL.ActivationInput(l, lCode));
        }

        // Warm-up, not measured: one attempt on every target (JIT, pools, and every audit chain head read once).
        var body = "";
        foreach (var (_, targets) in kinds)
        {
            foreach (var variables in targets)
            {
                body = (await http.PostAsync(RawGraphQL.Activate, variables())).Body;
            }
        }

        var times = kinds.Keys.ToDictionary(k => k, _ => new List<double>(Samples));
        var names = kinds.Keys.ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < Samples; i++)
        {
            // Round-robin over the kinds, starting from a different kind each round.
            for (var j = 0; j < names.Count; j++)
            {
                var kind = names[(i + j) % names.Count];
                var response = await http.PostAsync(RawGraphQL.Activate, kinds[kind][i % TargetsPerKind]());
                Assert.True(response.Status == 200 && response.Body == body, $"{kind}: {response}");
                times[kind].Add(response.Elapsed.TotalMilliseconds);
            }
        }
        clock.Stop();

        Assert.All(times.Values, t => Assert.Equal(Samples, t.Count));
        Assert.Contains("ACTIVATION_REFUSED", body, StringComparison.Ordinal);
        var lines = new List<string>
        {
            $"refusal timing over HTTP, 1 silo on PostgreSQL: {Samples} interleaved samples per kind, {names.Count} kinds, {TargetsPerKind} targets each, {clock.Elapsed.TotalSeconds:F1} s; p-values against 'unknown person' (normal approximations)",
        };
        var reference = times["unknown person"];
        foreach (var kind in names)
        {
            var t = times[kind];
            var (u, uz, up) = Stats.MannWhitney(t, reference);
            var (wt, wp) = Stats.Welch(t, reference);
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  {kind,-34} mean {t.Average(),6:F2} ms  median {Stats.Median(t),6:F2} ms  p90 {Stats.Quantile(t, 0.9),6:F2} ms  Mann-Whitney U {u,8:F0} z {uz,6:F2} p {up:F3}  Welch t {wt,6:F2} p {wp:F3}"));
        }
        foreach (var line in lines)
        {
            output.WriteLine(line);
            Report.Line(line);
        }
    }
}

/// <summary>Two-sample statistics with normal approximations (fine at n = 200 per sample).</summary>
internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Quantile(values, 0.5);

    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        var sorted = values.Order().ToList();
        var position = q * (sorted.Count - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }

    /// <summary>Mann–Whitney U of <paramref name="a"/> against <paramref name="b"/>, its z (tie-corrected) and two-sided p.</summary>
    public static (double U, double Z, double P) MannWhitney(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var all = a.Select(x => (Value: x, First: true)).Concat(b.Select(x => (Value: x, First: false))).OrderBy(x => x.Value).ToList();
        var ranks = new double[all.Count];
        double tieTerm = 0;
        for (var i = 0; i < all.Count;)
        {
            var j = i;
            while (j + 1 < all.Count && all[j + 1].Value == all[i].Value)
            {
                j++;
            }
            var rank = (i + j + 2) / 2.0;
            for (var k = i; k <= j; k++)
            {
                ranks[k] = rank;
            }
            double t = j - i + 1;
            tieTerm += (t * t * t) - t;
            i = j + 1;
        }
        double n1 = a.Count, n2 = b.Count, n = n1 + n2;
        var r1 = all.Select((x, i) => x.First ? ranks[i] : 0).Sum();
        var u = r1 - (n1 * (n1 + 1) / 2);
        var sigma = Math.Sqrt(n1 * n2 / 12 * ((n + 1) - (tieTerm / (n * (n - 1)))));
        var z = sigma == 0 ? 0 : (u - (n1 * n2 / 2)) / sigma;
        return (u, z, TwoSided(z));
    }

    /// <summary>Welch's t of <paramref name="a"/> against <paramref name="b"/> and its two-sided p (normal approximation of t).</summary>
    public static (double T, double P) Welch(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double Variance(IReadOnlyList<double> x)
        {
            var mean = x.Average();
            return x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1);
        }
        var se = Math.Sqrt((Variance(a) / a.Count) + (Variance(b) / b.Count));
        var t = se == 0 ? 0 : (a.Average() - b.Average()) / se;
        return (t, TwoSided(t));
    }

    private static double TwoSided(double z) => Math.Min(1, Erfc(Math.Abs(z) / Math.Sqrt(2)));

    /// <summary>The complementary error function (Chebyshev fit, relative error below 1.2e-7).</summary>
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        double[] c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851973, -0.82215223, 0.17087277];
        var poly = 0.0;
        for (var k = c.Length - 1; k >= 0; k--)
        {
            poly = c[k] + (t * poly);
        }
        var r = t * Math.Exp(-(z * z) + poly);
        return x >= 0 ? r : 2 - r;
    }
}
