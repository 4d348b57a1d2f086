using System.Net;
using Coffre.Adapters.Sms;
using Coffre.Application.Alerts;
using Coffre.Application.Outbox;
using Coffre.Domain.Contact;
using Xunit;

namespace Coffre.UnitTests.Delivery;

public sealed class ContactRulesTests
{
    private static readonly QuietHours Night = new(new TimeOnly(21, 0), new TimeOnly(8, 0));

    [Theory]
    [InlineData("06 12 34 56 78", "+33612345678")]
    [InlineData("07.12.34.56.78", "+33712345678")]
    [InlineData("+33 6 12 34 56 78", "+33612345678")]
    [InlineData("0033612345678", "+33612345678")]
    [InlineData("+44 7700 900123", "+447700900123")]
    public void Mobiles_are_normalised_to_E164(string raw, string expected) => Assert.Equal(expected, ContactRules.NormaliseMobile(raw));

    [Theory]
    [InlineData("01 23 45 67 89")] // a French landline
    [InlineData("+33 1 23 45 67 89")]
    [InlineData("0612")]
    [InlineData("06 12 34 56 78 9")]
    [InlineData("+0612345678")]
    [InlineData("06-12-34-56-7x")]
    [InlineData("+1234567")]
    public void Non_mobiles_are_refused(string raw) => Assert.Null(ContactRules.NormaliseMobile(raw));

    [Fact]
    public void Each_broken_rule_names_its_field_without_the_value()
    {
        var (value, errors) = ContactRules.Normalise(new ContactPreferences("not an email", "01 23 45 67 89",
            [AlertChannel.Email, AlertChannel.Sms, AlertChannel.Email], new QuietHours(new TimeOnly(8, 0), new TimeOnly(8, 0))));
        Assert.Null(value);
        Assert.Contains(errors, e => e is { Field: "email", Rule: "INVALID_EMAIL" });
        Assert.Contains(errors, e => e is { Field: "mobile", Rule: "INVALID_MOBILE" });
        Assert.Contains(errors, e => e is { Field: "channels", Rule: "DUPLICATE_CHANNEL" });
        Assert.Contains(errors, e => e is { Field: "quietHours", Rule: "EMPTY_RANGE" });
        Assert.DoesNotContain(errors, e => e.Message.Contains("not an email", StringComparison.Ordinal) || e.Message.Contains("01 23", StringComparison.Ordinal));
    }

    [Fact]
    public void A_channel_needs_its_address()
    {
        var (_, errors) = ContactRules.Normalise(new ContactPreferences(null, null, [AlertChannel.Sms, AlertChannel.Email], null));
        Assert.Contains(errors, e => e is { Field: "channels", Rule: "MOBILE_REQUIRED" });
        Assert.Contains(errors, e => e is { Field: "channels", Rule: "EMAIL_REQUIRED" });
    }

    [Fact]
    public void Valid_preferences_come_back_normalised()
    {
        var (value, errors) = ContactRules.Normalise(new ContactPreferences(" ana@example.fr ", "06 12 34 56 78", [AlertChannel.Sms, AlertChannel.Post], Night));
        Assert.Empty(errors);
        Assert.Equal(new ContactPreferences("ana@example.fr", "+33612345678", value!.Channels, Night), value);
        Assert.Equal([AlertChannel.Sms, AlertChannel.Post], value.Channels);
    }

    [Fact]
    public void The_first_channel_is_the_first_preferred_with_an_address_and_a_bounce_falls_to_the_next()
    {
        var prefs = new ContactPreferences(null, "+33612345678", [AlertChannel.Email, AlertChannel.Sms, AlertChannel.Post], null);
        Assert.Equal(AlertChannel.Sms, ContactRules.FirstChannel(prefs));
        var all = prefs with { Email = "a@example.fr" };
        Assert.Equal(AlertChannel.Email, ContactRules.FirstChannel(all));
        Assert.Equal(AlertChannel.Sms, ContactRules.NextChannel(all, AlertChannel.Email));
        Assert.Equal(AlertChannel.Post, ContactRules.NextChannel(all, AlertChannel.Sms));
        Assert.Null(ContactRules.NextChannel(all, AlertChannel.Post));
        Assert.Equal(AlertChannel.Post, ContactRules.NextChannel(all with { Mobile = null }, AlertChannel.Email));
        Assert.Null(ContactRules.FirstChannel(ContactPreferences.None));
    }

    [Theory]
    // Winter (UTC+1): 22:30 local → deferred to 08:00 local the next day.
    [InlineData("2026-01-14T21:30:00Z", "2026-01-15T07:00:00Z")]
    // 03:00 local, after midnight → 08:00 the same day.
    [InlineData("2026-01-15T02:00:00Z", "2026-01-15T07:00:00Z")]
    // 21:00 local exactly: quiet (start included).
    [InlineData("2026-01-14T20:00:00Z", "2026-01-15T07:00:00Z")]
    // Summer (UTC+2): 23:00 local → 08:00 local = 06:00Z.
    [InlineData("2026-07-01T21:00:00Z", "2026-07-02T06:00:00Z")]
    // The spring-forward night (29 March 2026, 02:00 → 03:00): 22:00 CET → 08:00 CEST = 06:00Z.
    [InlineData("2026-03-28T21:00:00Z", "2026-03-29T06:00:00Z")]
    // The autumn night (25 October 2026): 23:00 CEST → 08:00 CET = 07:00Z.
    [InlineData("2026-10-24T21:00:00Z", "2026-10-25T07:00:00Z")]
    public void Quiet_hours_defer_to_their_local_end(string now, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            ContactRules.QuietUntil(Night, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("2026-01-15T07:00:00Z")] // 08:00 local: end excluded
    [InlineData("2026-01-15T12:00:00Z")]
    [InlineData("2026-07-01T18:59:00Z")] // 20:59 CEST
    public void Outside_quiet_hours_nothing_waits(string now) =>
        Assert.Null(ContactRules.QuietUntil(Night, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void A_daytime_range_and_a_wall_time_in_the_DST_gap()
    {
        var siesta = new QuietHours(new TimeOnly(13, 0), new TimeOnly(14, 0));
        Assert.Equal(DateTimeOffset.Parse("2026-01-15T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            ContactRules.QuietUntil(siesta, DateTimeOffset.Parse("2026-01-15T12:30:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Null(ContactRules.QuietUntil(siesta, DateTimeOffset.Parse("2026-01-15T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        // 02:30 does not exist on 29 March 2026 in Paris: the end is the first minute after the gap, 03:00 CEST = 01:00Z.
        var early = new QuietHours(new TimeOnly(1, 0), new TimeOnly(2, 30));
        Assert.Equal(DateTimeOffset.Parse("2026-03-29T01:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            ContactRules.QuietUntil(early, DateTimeOffset.Parse("2026-03-29T00:15:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        // 02:30 happens twice on 25 October 2026: its first occurrence (CEST) = 00:30Z.
        Assert.Equal(DateTimeOffset.Parse("2026-10-25T00:30:00Z", System.Globalization.CultureInfo.InvariantCulture),
            ContactRules.QuietUntil(early, DateTimeOffset.Parse("2026-10-24T23:30:00Z", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Fallback_ids_are_derived_so_a_replay_enqueues_the_same_message()
    {
        var bounced = Guid.NewGuid();
        Assert.Equal(AlertNotices.FallbackId(bounced, OutboxChannel.Sms), AlertNotices.FallbackId(bounced, OutboxChannel.Sms));
        Assert.NotEqual(AlertNotices.FallbackId(bounced, OutboxChannel.Sms), AlertNotices.FallbackId(bounced, OutboxChannel.Post));
        Assert.NotEqual(bounced, AlertNotices.FallbackId(bounced, OutboxChannel.Sms));
    }

    [Fact]
    public void Alert_texts_are_generic()
    {
        Assert.True(AlertNotices.Warrants("first-access"));
        Assert.True(AlertNotices.Warrants("break-glass"));
        Assert.False(AlertNotices.Warrants("new-document"));
        Assert.Equal("You have a new message in Coffre. Sign in to read it.", AlertNotices.Text("message-received")!.Body);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK, AlertSendKind.Sent)]
    [InlineData(HttpStatusCode.Accepted, AlertSendKind.Sent)]
    [InlineData(HttpStatusCode.BadRequest, AlertSendKind.Refused)]
    [InlineData(HttpStatusCode.UnprocessableEntity, AlertSendKind.Refused)]
    [InlineData(HttpStatusCode.Gone, AlertSendKind.Refused)]
    [InlineData(HttpStatusCode.Unauthorized, AlertSendKind.Transient)]
    [InlineData(HttpStatusCode.Forbidden, AlertSendKind.Transient)]
    [InlineData(HttpStatusCode.NotFound, AlertSendKind.Transient)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, AlertSendKind.Transient)]
    [InlineData(HttpStatusCode.UnsupportedMediaType, AlertSendKind.Transient)]
    [InlineData(HttpStatusCode.RequestTimeout, AlertSendKind.Transient)]
    [InlineData(HttpStatusCode.TooManyRequests, AlertSendKind.Transient)]
    [InlineData(HttpStatusCode.ServiceUnavailable, AlertSendKind.Transient)]
    [InlineData(HttpStatusCode.InternalServerError, AlertSendKind.Transient)]
    public void Sms_provider_statuses(HttpStatusCode status, AlertSendKind kind) => Assert.Equal(kind, HttpSmsProvider.Classify(status).Kind);

    [Fact]
    public void Delivery_states_and_cursors()
    {
        var m = new OutboxMessage(Guid.NewGuid(), OutboxChannel.Sms, "v", "alert", "{}", DateTimeOffset.UnixEpoch);
        Assert.Equal(DeliveryState.Pending, m.State);
        Assert.Equal(DeliveryState.Sent, (m with { DeliveredAt = DateTimeOffset.UnixEpoch }).State);
        Assert.Equal(DeliveryState.Failed, (m with { DeliveredAt = DateTimeOffset.UnixEpoch, Outcome = DeliveryOutcome.Failed }).State);
        Assert.Equal(DeliveryState.Bounced, (m with { DeliveredAt = DateTimeOffset.UnixEpoch, Outcome = DeliveryOutcome.Bounced }).State);
        var cursor = new DeliveryCursor(DateTimeOffset.UtcNow, Guid.NewGuid());
        Assert.Equal(cursor, DeliveryCursor.Parse(cursor.ToString()));
        Assert.Null(DeliveryCursor.Parse("x:y"));
        Assert.Null(DeliveryCursor.Parse(null));
    }
}
