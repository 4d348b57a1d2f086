using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Documents;
using Xunit;

namespace Coffre.UnitTests.Agenda;

public sealed class AgendaRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static Appointment Confirmed(string id, DateTimeOffset start, DateTimeOffset scheduledAt, params int[] offsets) => new()
    {
        Id = id,
        Title = "t",
        StartsAt = start,
        EndsAt = start.AddMinutes(30),
        Status = AppointmentStatus.Confirmed,
        ReminderOffsetsMinutes = offsets,
        ScheduledAt = scheduledAt,
        CreatedAt = scheduledAt,
        CreatedBy = "v-x",
    };

    [Theory]
    [InlineData(new[] { 1, 60 }, "reminderOffsetsMinutes must each be between 5 and 43200 minutes")]
    [InlineData(new[] { 60, 60 }, "reminderOffsetsMinutes must not repeat an offset")]
    [InlineData(new[] { 10, 20, 30, 40, 50, 60 }, "reminderOffsetsMinutes must hold at most 5 offsets")]
    public void Offsets_are_bounded_and_named(int[] offsets, string message) =>
        Assert.Equal(message, Assert.Throws<ValidationFailedException>(() => AgendaRules.Offsets(offsets)).Message);

    [Fact]
    public void Offsets_default_to_a_day_and_two_hours_and_sort_largest_first()
    {
        Assert.Equal([1440, 120], AgendaRules.Offsets(null));
        Assert.Equal([60, 15], AgendaRules.Offsets([15, 60]));
    }

    [Fact]
    public void Times_title_and_range_name_their_field()
    {
        Assert.Equal("startsAt", Assert.Throws<ValidationFailedException>(() => AgendaRules.Times(Now.AddHours(-1), Now, Now)).Field);
        Assert.Equal("endsAt", Assert.Throws<ValidationFailedException>(() => AgendaRules.Times(Now.AddHours(1), Now.AddHours(1), Now)).Field);
        Assert.Equal("endsAt", Assert.Throws<ValidationFailedException>(() => AgendaRules.Times(Now.AddHours(1), Now.AddHours(26), Now)).Field);
        Assert.Equal("title", Assert.Throws<ValidationFailedException>(() => AgendaRules.Title(new string('x', 201))).Field);
        Assert.Equal("title", Assert.Throws<ValidationFailedException>(() => AgendaRules.Title("  ")).Field);
        Assert.Equal("to", Assert.Throws<ValidationFailedException>(() => AgendaRules.Range(Now, Now.AddDays(800), 10)).Field);
        Assert.Equal("first", Assert.Throws<ValidationFailedException>(() => AgendaRules.Range(Now, Now.AddDays(8), 101)).Field);
    }

    [Fact]
    public void A_reminder_is_due_once_and_never_for_a_time_before_the_appointment_was_made()
    {
        // Made at 09:00 for 12:00 with 1 day and 2 hours: only the 2-hour reminder (10:00) exists.
        var a = Confirmed("a-1", Now.AddHours(3), Now, 1440, 120);
        var fired = new HashSet<string>();
        Assert.Empty(AgendaRules.Due([a], fired, Now));
        Assert.Equal(Now.AddHours(1), AgendaRules.NextDue([a], fired, Now));
        var due = Assert.Single(AgendaRules.Due([a], fired, Now.AddHours(1)));
        Assert.Equal(120, due.OffsetMinutes);
        fired.Add(due.Key);
        Assert.Empty(AgendaRules.Due([a], fired, Now.AddHours(2)));
        Assert.Null(AgendaRules.NextDue([a], fired, Now.AddHours(2)));
    }

    [Fact]
    public void Rescheduling_makes_new_reminder_keys_and_ids_are_stable()
    {
        var a = Confirmed("a-1", Now.AddDays(3), Now, 1440);
        var moved = a with { StartsAt = a.StartsAt.AddDays(1) };
        Assert.NotEqual(AgendaRules.ReminderKey(a, 1440), AgendaRules.ReminderKey(moved, 1440));
        Assert.Equal(AgendaRules.ReminderMessageId("v-1", "k"), AgendaRules.ReminderMessageId("v-1", "k"));
        Assert.NotEqual(AgendaRules.ReminderMessageId("v-1", "k"), AgendaRules.ReminderMessageId("v-2", "k"));
    }

    [Fact]
    public void Proposed_and_cancelled_appointments_have_no_reminders()
    {
        var a = Confirmed("a-1", Now.AddDays(3), Now, 1440);
        Assert.Empty(AgendaRules.Due([a with { Status = AppointmentStatus.Proposed }, a with { Id = "a-2", Status = AppointmentStatus.Cancelled }], new HashSet<string>(), Now.AddDays(2.5)));
    }

    [Fact]
    public void Only_open_appointments_count_and_cancelled_or_declined_ones_are_forgotten_first()
    {
        var upcoming = Confirmed("upcoming", Now.AddDays(1), Now);
        var cancelled = Confirmed("cancelled", Now.AddDays(2), Now) with { Status = AppointmentStatus.Cancelled };
        var declined = Confirmed("declined", Now.AddDays(3), Now) with { Status = AppointmentStatus.Declined };
        var proposed = Confirmed("proposed", Now.AddDays(4), Now) with { Status = AppointmentStatus.Proposed };
        var ended = Confirmed("ended", Now.AddDays(-10), Now.AddDays(-20));
        Assert.True(AgendaRules.IsOpen(upcoming, Now));
        Assert.True(AgendaRules.IsOpen(proposed, Now));
        Assert.False(AgendaRules.IsOpen(cancelled, Now));
        Assert.False(AgendaRules.IsOpen(declined, Now));
        Assert.False(AgendaRules.IsOpen(ended, Now));

        Appointment[] all = [upcoming, cancelled, declined, proposed, ended];
        Assert.Empty(AgendaRules.ToForget(all, Now, max: 5));
        Assert.Equal(["cancelled", "declined"], AgendaRules.ToForget(all, Now, max: 3).Order(StringComparer.Ordinal));
        Assert.Equal(["cancelled", "declined", "ended"], AgendaRules.ToForget(all, Now, max: 1).Order(StringComparer.Ordinal));
        // Open ones are never forgotten, whatever the cap.
        Assert.Equal(3, AgendaRules.ToForget(all, Now, max: 0).Count);
    }
}

public sealed class PreventionRulesTests
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    [Fact]
    public void The_embedded_file_has_a_version_and_unique_rules() =>
        Assert.False(string.IsNullOrEmpty(PreventionRules.Default.Version));

    [Fact]
    public void A_woman_of_52_is_due_breast_and_colorectal_screening_and_cervical_hpv()
    {
        var items = PreventionRules.Default.ItemsFor(new DateOnly(1974, 5, 10), Sex.Female, new DateOnly(2026, 6, 1), None);
        Assert.Contains(items, i => i.RuleId == "breast-screening" && i.DueFrom == new DateOnly(2026, 5, 10) && i.DueBy == new DateOnly(2028, 5, 10));
        Assert.Contains(items, i => i.RuleId == "colorectal-screening");
        Assert.Contains(items, i => i.RuleId == "cervical-screening-hpv");
        Assert.DoesNotContain(items, i => i.RuleId.StartsWith("influenza", StringComparison.Ordinal));
    }

    [Fact]
    public void A_man_gets_no_breast_or_cervical_screening_and_at_65_gets_the_boosters_and_flu()
    {
        var items = PreventionRules.Default.ItemsFor(new DateOnly(1961, 2, 1), Sex.Male, new DateOnly(2026, 10, 15), None);
        Assert.DoesNotContain(items, i => i.RuleId is "breast-screening" or "cervical-screening-hpv");
        Assert.Contains(items, i => i.RuleId == "dtp-adult-boosters" && i.DueFrom == new DateOnly(2026, 2, 1));
        Assert.Contains(items, i => i.RuleId == "influenza-seasonal" && i.DueFrom == new DateOnly(2026, 10, 1));
    }

    [Fact]
    public void A_dismissal_is_kept_by_rule_id_and_year_across_versions()
    {
        var birth = new DateOnly(1974, 5, 10);
        var today = new DateOnly(2026, 6, 1);
        var item = PreventionRules.Default.ItemsFor(birth, Sex.Female, today, None).First(i => i.RuleId == "breast-screening");
        var dismissed = new HashSet<string> { PreventionRules.DismissalKey(item.RuleId, item.DueFrom) };
        var newer = PreventionRules.Parse("""
            { "version": "2027.1", "rules": [
              { "id": "breast-screening", "title": "Breast screening (reworded)", "category": "SCREENING", "sex": "FEMALE", "fromAge": 50, "toAge": 74, "everyYears": 2 } ] }
            """);
        var again = Assert.Single(newer.ItemsFor(birth, Sex.Female, today, dismissed));
        Assert.True(again.Dismissed);
        Assert.Equal("2027.1", again.RulesVersion);
    }

    [Fact]
    public void A_malformed_rules_file_is_refused() =>
        Assert.Throws<FormatException>(() => PreventionRules.Parse("""{ "version": "x", "rules": [ { "id": "a", "title": "t", "category": "C", "sex": "ANY", "fromAge": 1 } ] }"""));
}
