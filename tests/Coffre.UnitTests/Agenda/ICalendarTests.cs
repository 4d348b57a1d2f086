using System.Text;
using Coffre.Domain.Agenda;
using Xunit;

namespace Coffre.UnitTests.Agenda;

public sealed class ICalendarTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData(@"a\b", @"a\\b")]
    [InlineData("a;b,c", @"a\;b\,c")]
    [InlineData("line1\nline2", @"line1\nline2")]
    [InlineData("line1\r\nline2", @"line1\nline2")]
    [InlineData("tab\there", "tabhere")]
    [InlineData("Dr Dupont: 3, rue de l'Église; 2e étage", @"Dr Dupont: 3\, rue de l'Église\; 2e étage")]
    public void Text_values_are_escaped_per_rfc5545_3_3_11(string value, string expected) =>
        Assert.Equal(expected, ICalendar.EscapeText(value));

    [Fact]
    public void Short_lines_are_not_folded()
    {
        Assert.Equal("SUMMARY:x\r\n", ICalendar.Fold("SUMMARY:x"));
        var exactly75 = "SUMMARY:" + new string('a', 67);
        Assert.Equal(exactly75 + "\r\n", ICalendar.Fold(exactly75));
    }

    [Fact]
    public void Long_lines_fold_at_75_octets_without_splitting_a_character()
    {
        var line = "SUMMARY:" + string.Concat(Enumerable.Repeat("é€😀a", 40));
        var folded = ICalendar.Fold(line);
        Assert.EndsWith("\r\n", folded, StringComparison.Ordinal);
        var physical = folded[..^2].Split("\r\n");
        Assert.True(physical.Length > 1);
        foreach (var p in physical)
        {
            Assert.True(Encoding.UTF8.GetByteCount(p) <= 75, $"{Encoding.UTF8.GetByteCount(p)} octets: {p}");
            Assert.DoesNotContain('\uFFFD', p);
        }
        Assert.All(physical.Skip(1), p => Assert.StartsWith(" ", p, StringComparison.Ordinal));
        // Unfolding (remove CRLF + one space) gives the line back.
        Assert.Equal(line, folded[..^2].Replace("\r\n ", "", StringComparison.Ordinal));
    }

    [Fact]
    public void A_calendar_has_events_in_utc_with_alarms_and_crlf_endings()
    {
        var appointment = new Appointment
        {
            Id = "a-000001-abcdefgh",
            Title = "Consultation; Dr X, cardiologie",
            StartsAt = new DateTimeOffset(2026, 3, 10, 15, 0, 0, TimeSpan.FromHours(1)),
            EndsAt = new DateTimeOffset(2026, 3, 10, 15, 30, 0, TimeSpan.FromHours(1)),
            Place = "Hôpital, bât. B",
            Status = AppointmentStatus.Confirmed,
            ReminderOffsetsMinutes = [1440, 120],
            ScheduledAt = At,
            CreatedAt = At,
            CreatedBy = "v-x",
            Revision = 2,
        };
        var text = ICalendar.Write([appointment], At, "Coffre");
        Assert.StartsWith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("END:VCALENDAR\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", text.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("UID:a-000001-abcdefgh@coffre\r\n", text, StringComparison.Ordinal);
        Assert.Contains("DTSTAMP:20260302T093000Z\r\n", text, StringComparison.Ordinal);
        Assert.Contains("DTSTART:20260310T140000Z\r\n", text, StringComparison.Ordinal);
        Assert.Contains("DTEND:20260310T143000Z\r\n", text, StringComparison.Ordinal);
        Assert.Contains(@"SUMMARY:Consultation\; Dr X\, cardiologie", text, StringComparison.Ordinal);
        Assert.Contains(@"LOCATION:Hôpital\, bât. B", text, StringComparison.Ordinal);
        Assert.Contains("STATUS:CONFIRMED\r\n", text, StringComparison.Ordinal);
        Assert.Contains("TRIGGER:-PT1440M\r\n", text, StringComparison.Ordinal);
        Assert.Contains("TRIGGER:-PT120M\r\n", text, StringComparison.Ordinal);
        Assert.Equal(2, text.Split("BEGIN:VALARM").Length - 1);
    }
}
