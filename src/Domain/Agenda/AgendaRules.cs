using Coffre.Domain.Access;
using Coffre.Domain.Text;

namespace Coffre.Domain.Agenda;

/// <summary>
/// The agenda's input rules and reminder arithmetic, pure (time comes as <c>now</c>). A rule broken throws
/// <see cref="ValidationFailedException"/> naming the field and the rule.
/// </summary>
public static class AgendaRules
{
    public const int MaxTitleLength = 200;
    public const int MaxPlaceLength = 300;
    public const int MaxOffsets = 5;
    public const int MinOffsetMinutes = 5;
    public const int MaxOffsetMinutes = 30 * 24 * 60;
    /// <summary>Open appointments (<see cref="IsOpen"/>) an agenda holds at most.</summary>
    public const int MaxAppointments = 2000;
    /// <summary>Proposals still awaiting an answer from one professional (or one establishment's system) at a time.</summary>
    public const int MaxOpenProposalsPerProposer = 20;
    public const int MaxHistoryPerAppointment = 50;
    public const int MaxPageSize = 100;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);
    /// <summary>An appointment starts at most this far ahead, and a listed range spans at most this much.</summary>
    public static readonly TimeSpan MaxHorizon = TimeSpan.FromDays(2 * 366);

    /// <summary>Offsets when none are given: one day and two hours before.</summary>
    public static readonly IReadOnlyList<int> DefaultOffsetsMinutes = [24 * 60, 120];

    /// <summary>The person's time zone (display, calendar export): Coffre serves people in metropolitan France.</summary>
    public const string PersonTimeZone = "Europe/Paris";

    /// <summary>Proposed or confirmed and not yet ended: what counts toward <see cref="MaxAppointments"/> (cancelled and declined ones never do).</summary>
    public static bool IsOpen(Appointment appointment, DateTimeOffset now) =>
        appointment.Status is AppointmentStatus.Proposed or AppointmentStatus.Confirmed && appointment.EndsAt > now;

    /// <summary>
    /// The appointments to forget so that at most <paramref name="max"/> are kept: never an open one; cancelled and declined
    /// ones first (oldest end first), then ended ones (oldest end first).
    /// </summary>
    public static IReadOnlySet<string> ToForget(IReadOnlyCollection<Appointment> appointments, DateTimeOffset now, int max = MaxAppointments)
    {
        var excess = appointments.Count - max;
        return excess <= 0
            ? new HashSet<string>()
            : appointments.Where(a => !IsOpen(a, now))
                .OrderBy(a => a.Status is AppointmentStatus.Cancelled or AppointmentStatus.Declined ? 0 : 1)
                .ThenBy(a => a.EndsAt)
                .Take(excess)
                .Select(a => a.Id)
                .ToHashSet(StringComparer.Ordinal);
    }

    public static string Title(string? title, string field = "title")
    {
        var value = title?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            throw new ValidationFailedException(field, "is required");
        }
        if (value.Length > MaxTitleLength)
        {
            throw new ValidationFailedException(field, $"must be at most {MaxTitleLength} characters");
        }
        return TextRules.Validate(value) is { } bad ? throw new ValidationFailedException(field, bad) : value;
    }

    public static string? Place(string? place, string field = "place")
    {
        var value = place?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (value.Length > MaxPlaceLength)
        {
            throw new ValidationFailedException(field, $"must be at most {MaxPlaceLength} characters");
        }
        return TextRules.Validate(value) is { } bad ? throw new ValidationFailedException(field, bad) : value;
    }

    /// <summary>Start and end: start in the future (within the horizon), end after start, at most 24 hours long.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Times(DateTimeOffset start, DateTimeOffset end, DateTimeOffset now,
        string startField = "startsAt", string endField = "endsAt")
    {
        if (start <= now)
        {
            throw new ValidationFailedException(startField, "must be in the future");
        }
        if (start > now + MaxHorizon)
        {
            throw new ValidationFailedException(startField, $"must be at most {MaxHorizon.Days} days ahead");
        }
        if (end <= start)
        {
            throw new ValidationFailedException(endField, "must be after startsAt");
        }
        if (end - start > MaxDuration)
        {
            throw new ValidationFailedException(endField, "must be at most 24 hours after startsAt");
        }
        return (start.ToUniversalTime(), end.ToUniversalTime());
    }

    /// <summary>Reminder offsets: none given → the defaults; else at most 5, each 5 minutes to 30 days, distinct; sorted largest first.</summary>
    public static IReadOnlyList<int> Offsets(IReadOnlyList<int>? offsetsMinutes, string field = "reminderOffsetsMinutes")
    {
        if (offsetsMinutes is null)
        {
            return DefaultOffsetsMinutes;
        }
        if (offsetsMinutes.Count > MaxOffsets)
        {
            throw new ValidationFailedException(field, $"must hold at most {MaxOffsets} offsets");
        }
        foreach (var offset in offsetsMinutes)
        {
            if (offset is < MinOffsetMinutes or > MaxOffsetMinutes)
            {
                throw new ValidationFailedException(field, $"must each be between {MinOffsetMinutes} and {MaxOffsetMinutes} minutes");
            }
        }
        if (offsetsMinutes.Distinct().Count() != offsetsMinutes.Count)
        {
            throw new ValidationFailedException(field, "must not repeat an offset");
        }
        return [.. offsetsMinutes.OrderDescending()];
    }

    /// <summary>A listed range: from before to, spanning at most the horizon; page size 1–100.</summary>
    public static void Range(DateTimeOffset from, DateTimeOffset to, int first)
    {
        if (to <= from)
        {
            throw new ValidationFailedException("to", "must be after from");
        }
        if (to - from > MaxHorizon)
        {
            throw new ValidationFailedException("to", $"must be at most {MaxHorizon.Days} days after from");
        }
        if (first is < 1 or > MaxPageSize)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {MaxPageSize}");
        }
    }

    /// <summary>One reminder: an appointment, one of its offsets, for its current times. Its key is stable across re-deliveries.</summary>
    public sealed record Reminder(Appointment Appointment, int OffsetMinutes, DateTimeOffset DueAt)
    {
        public string Key => ReminderKey(Appointment, OffsetMinutes);
    }

    /// <summary>The key of (appointment, offset, current start): a reschedule makes new reminders, a re-delivery the same ones.</summary>
    public static string ReminderKey(Appointment appointment, int offsetMinutes) =>
        $"{appointment.Id}/{offsetMinutes}/{appointment.StartsAt.UtcTicks}";

    /// <summary>
    /// Reminders still to send: confirmed appointments not yet started, each offset whose due time is not before the
    /// times were set (<see cref="Appointment.ScheduledAt"/>) and whose key is not in <paramref name="fired"/>. Earliest first.
    /// </summary>
    public static IEnumerable<Reminder> Pending(IEnumerable<Appointment> appointments, IReadOnlySet<string> fired, DateTimeOffset now) =>
        appointments
            .Where(a => a.Status == AppointmentStatus.Confirmed && a.StartsAt > now)
            .SelectMany(a => a.ReminderOffsetsMinutes.Select(o => new Reminder(a, o, a.StartsAt - TimeSpan.FromMinutes(o))))
            .Where(r => r.DueAt >= r.Appointment.ScheduledAt && !fired.Contains(r.Key))
            .OrderBy(r => r.DueAt);

    /// <summary>The pending reminders due at <paramref name="now"/>.</summary>
    public static IReadOnlyList<Reminder> Due(IEnumerable<Appointment> appointments, IReadOnlySet<string> fired, DateTimeOffset now) =>
        [.. Pending(appointments, fired, now).TakeWhile(r => r.DueAt <= now)];

    /// <summary>When the next reminder is due (null when none is pending).</summary>
    public static DateTimeOffset? NextDue(IEnumerable<Appointment> appointments, IReadOnlySet<string> fired, DateTimeOffset now) =>
        Pending(appointments, fired, now).Select(r => (DateTimeOffset?)r.DueAt).FirstOrDefault();

    /// <summary>
    /// A deterministic message id for a reminder's notification (a name-based UUID of the vault and the reminder key): a
    /// re-delivered reminder enqueues the same id, which the outbox ignores — the notice is sent once.
    /// </summary>
    public static Guid ReminderMessageId(string vaultId, string reminderKey) =>
        Identifiers.Ids.NameBasedGuid("coffre-reminder/" + vaultId + "/" + reminderKey);
}
