using System.Globalization;
using System.Text;

namespace Coffre.Domain.Agenda;

/// <summary>
/// A person's agenda as an iCalendar object (RFC 5545), written here: one VCALENDAR, one VEVENT per appointment
/// (UID, DTSTAMP, DTSTART/DTEND as UTC date-times, SUMMARY, LOCATION, STATUS, one VALARM per reminder offset),
/// TEXT values escaped (§3.3.11), lines folded at 75 octets without splitting a UTF-8 sequence (§3.1), CRLF endings.
/// The person's time zone is named by X-WR-TIMEZONE for calendar clients; every time is UTC ("Z").
/// </summary>
public static class ICalendar
{
    private const string Crlf = "\r\n";

    public static string Write(IEnumerable<Appointment> appointments, DateTimeOffset stamp, string calendarName)
    {
        var text = new StringBuilder();
        Line(text, "BEGIN:VCALENDAR");
        Line(text, "VERSION:2.0");
        Line(text, "PRODID:-//Coffre//Agenda//EN");
        Line(text, "CALSCALE:GREGORIAN");
        Line(text, "METHOD:PUBLISH");
        Line(text, "X-WR-CALNAME:" + EscapeText(calendarName));
        Line(text, "X-WR-TIMEZONE:" + AgendaRules.PersonTimeZone);
        foreach (var a in appointments)
        {
            Line(text, "BEGIN:VEVENT");
            Line(text, $"UID:{a.Id}@coffre");
            Line(text, "DTSTAMP:" + UtcDateTime(stamp));
            Line(text, "DTSTART:" + UtcDateTime(a.StartsAt));
            Line(text, "DTEND:" + UtcDateTime(a.EndsAt));
            Line(text, "SEQUENCE:" + a.Revision.ToString(CultureInfo.InvariantCulture));
            Line(text, "SUMMARY:" + EscapeText(a.Title));
            if (a.Place is { } place)
            {
                Line(text, "LOCATION:" + EscapeText(place));
            }
            Line(text, "STATUS:" + a.Status switch
            {
                AppointmentStatus.Confirmed => "CONFIRMED",
                AppointmentStatus.Cancelled or AppointmentStatus.Declined => "CANCELLED",
                _ => "TENTATIVE",
            });
            if (a.Status == AppointmentStatus.Confirmed)
            {
                foreach (var offset in a.ReminderOffsetsMinutes)
                {
                    Line(text, "BEGIN:VALARM");
                    Line(text, "ACTION:DISPLAY");
                    Line(text, "DESCRIPTION:" + EscapeText(a.Title));
                    Line(text, "TRIGGER:-PT" + offset.ToString(CultureInfo.InvariantCulture) + "M");
                    Line(text, "END:VALARM");
                }
            }
            Line(text, "END:VEVENT");
        }
        Line(text, "END:VCALENDAR");
        return text.ToString();
    }

    /// <summary>A UTC date-time (RFC 5545 §3.3.5, form 2): <c>19980119T070000Z</c>.</summary>
    public static string UtcDateTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A TEXT value (§3.3.11): backslash, semicolon and comma escaped with a backslash, a line break as <c>\n</c>; other
    /// control characters dropped (TEXT allows none).
    /// </summary>
    public static string EscapeText(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case ';': text.Append(@"\;"); break;
                case ',': text.Append(@"\,"); break;
                case '\r' when i + 1 < value.Length && value[i + 1] == '\n': break;
                case '\r' or '\n': text.Append(@"\n"); break;
                default:
                    if (!char.IsControl(c))
                    {
                        text.Append(c);
                    }
                    break;
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Folds a content line (§3.1): at most 75 octets per physical line, continuation lines starting with one space
    /// (which counts toward their 75), never inside a UTF-8 sequence; CRLF after each.
    /// </summary>
    public static string Fold(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        if (bytes.Length <= 75)
        {
            return line + Crlf;
        }
        var folded = new StringBuilder(line.Length + line.Length / 70 * 3 + 2);
        var start = 0;
        var limit = 75;
        while (start < bytes.Length)
        {
            var end = Math.Min(start + limit, bytes.Length);
            // Back off continuation bytes (10xxxxxx) so a character is never split.
            while (end < bytes.Length && end > start && (bytes[end] & 0xC0) == 0x80)
            {
                end--;
            }
            if (start > 0)
            {
                folded.Append(' ');
            }
            folded.Append(Encoding.UTF8.GetString(bytes, start, end - start)).Append(Crlf);
            start = end;
            limit = 74;
        }
        return folded.ToString();
    }

    private static void Line(StringBuilder text, string line) => text.Append(Fold(line));
}
