using Coffre.Harness;
using Xunit;

namespace Coffre.IntegrationTests.Benchmarks;

/// <summary>The settler's group lines and the email router's page lines read from the silo's JSON log, summed per run and per timeline slot.</summary>
public sealed class SiloLogTimingsTests
{
    private static readonly DateTime Start = new(2026, 12, 6, 15, 0, 0, DateTimeKind.Utc);

    private static string Line(int count, double waited, double read, double transaction)
    {
        static string N(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = $"activation group of {count} settled: first attempt waited {N(waited)} ms, read {N(read)} ms, transaction {N(transaction)} ms";
        return "{\"EventId\":2203,\"LogLevel\":\"Debug\",\"Category\":\"Coffre.Grains.Rollout.ActivationSettler\",\"Message\":\"" + message
            + "\",\"State\":{\"Count\":" + count + "}}";
    }

    private static string PageLine(int lines, double sendMs, double advanceMs) =>
        "{\"EventId\":4,\"LogLevel\":\"Debug\",\"Category\":\"Coffre.Application.Mail.EmailBatchChannel\",\"Message\":\"email page of " + lines
        + " lines: read and sent in " + sendMs.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ms, advanced in "
        + advanceMs.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ms\"}";

    [Fact]
    public void Only_a_settled_groups_line_or_an_email_pages_line_is_recorded()
    {
        var groups = new SiloLogTimings();

        Assert.True(groups.TryRecord(Line(12, 3.25, 0.8125, 2.5), Start));
        Assert.True(groups.TryRecord(Line(1, 1E-05, 0.5, 1), Start));
        Assert.False(groups.TryRecord("""{"EventId":2201,"LogLevel":"Warning","Message":"an activation group of 3 attempts failed to settle: each answered unavailable"}""", Start));
        Assert.False(groups.TryRecord("silo started", Start));
        Assert.True(groups.TryRecord(PageLine(200, 21.5, 3.25), Start));
        Assert.False(groups.TryRecord("email page of many lines", Start));

        var summary = groups.Summary(Start, Start.AddSeconds(1));
        Assert.Equal(2, (int)summary["groups"]!);
        Assert.Equal(13, (int)summary["attempts"]!);
        Assert.Equal(1, (int)summary["emailPages"]!);
        Assert.Equal(200, (int)summary["emailLines"]!);
    }

    [Fact]
    public void Groups_and_pages_are_placed_in_the_slot_where_they_ended_and_summed_over_the_run()
    {
        var groups = new SiloLogTimings();
        groups.TryRecord(Line(10, 2, 1, 3), Start.AddSeconds(0.1));
        groups.TryRecord(Line(30, 4, 2, 9), Start.AddSeconds(0.2));
        groups.TryRecord(Line(20, 6, 5, 40), Start.AddSeconds(0.6));
        groups.TryRecord(Line(99, 1, 1, 1), Start.AddSeconds(2)); // after the run
        groups.TryRecord(PageLine(200, 20, 2), Start.AddSeconds(0.3));
        groups.TryRecord(PageLine(150, 20, 2), Start.AddSeconds(0.4));

        var slots = groups.Describe(Start, Start.AddSeconds(0.75), 0.25);

        Assert.Equal(3, slots.Count);
        Assert.Equal(2, (int)slots[0]!["groups"]!);
        Assert.Equal(40, (int)slots[0]!["attempts"]!);
        Assert.Equal(30, (int)slots[0]!["largest"]!);
        Assert.Equal(9, (double)slots[0]!["transactionMs"]!["max"]!);
        Assert.Equal(9, (double)slots[0]!["transactionMs"]!["p50"]!); // the upper median of two
        Assert.Equal(0, (int)slots[1]!["groups"]!);
        Assert.Equal(350, (int)slots[1]!["emailLines"]!);
        Assert.Equal(0, (int)slots[0]!["emailLines"]!);
        Assert.False(slots[1]!.AsObject().ContainsKey("attempts"));
        Assert.Equal(0.5, (double)slots[2]!["at"]!);
        Assert.Equal(40, (double)slots[2]!["transactionMs"]!["max"]!);

        var summary = groups.Summary(Start, Start.AddSeconds(0.75));
        Assert.Equal(3, (int)summary["groups"]!);
        Assert.Equal(20, (double)summary["meanSize"]!);
        Assert.Equal(4, (double)summary["waitedMs"]!["p50"]!);
        Assert.Equal(40, (double)summary["transactionMs"]!["p99"]!);
        Assert.Equal(5, (double)summary["readMs"]!["max"]!);
        Assert.Equal(2, (int)summary["emailPages"]!);
        Assert.Equal(0, (int)groups.Summary(Start.AddSeconds(3), Start.AddSeconds(4))["groups"]!);
    }
}
