using System.Diagnostics.Metrics;
using Coffre.Adapters.Local;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Xunit;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>The rollout's meter counts committed rows by outcome as a real import commits its chunks.</summary>
public sealed class RolloutMetricsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("coffre-rollout-metrics-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Accepted_and_rejected_rows_are_counted_when_their_chunk_commits()
    {
        var accepted = 0L;
        var rejected = 0L;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RolloutMetrics.MeterName && instrument.Name == "coffre.rollout.import.rows")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome" && Equals(tag.Value, "accepted"))
                {
                    Interlocked.Add(ref accepted, value);
                }
                else if (tag.Key == "outcome" && Equals(tag.Value, "rejected"))
                {
                    Interlocked.Add(ref rejected, value);
                }
            }
        });
        listener.Start();
        var people = Enumerable.Range(0, 40).Select(i => RolloutKit.Person(i)).ToList();
        var lines = people.Select(Coffre.Domain.Rollout.PopulationCsv.Format).Append("not;a;valid;row");
        var file = RolloutKit.WriteFile(_folder, lines);
        var before = (Interlocked.Read(ref accepted), Interlocked.Read(ref rejected));

        var result = await RolloutKit.Importer(new InMemoryRolloutStore(new InMemoryOutbox()), chunkSize: 16)
            .ImportAsync("imp-metrics", file, Path.Combine(_folder, "report.csv"));

        Assert.Equal(result.Accepted, Interlocked.Read(ref accepted) - before.Item1);
        Assert.Equal(result.Rejected, Interlocked.Read(ref rejected) - before.Item2);
        Assert.True(result.Accepted == 40 && result.Rejected == 1, $"{result.Accepted} accepted, {result.Rejected} rejected");
    }
}
