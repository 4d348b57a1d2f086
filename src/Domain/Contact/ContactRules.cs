using System.Net.Mail;

namespace Coffre.Domain.Contact;

/// <summary>
/// Pure rules of contact preferences: checking and normalising what a person sets (email, French or E.164 mobile,
/// channels, quiet hours), the channel an alert takes and the one it falls back to, and when quiet hours end.
/// </summary>
public static class ContactRules
{
    /// <summary>Quiet hours are read in this zone (mainland France).</summary>
    public const string TimeZoneId = "Europe/Paris";

    public const int MaxEmailLength = 254;

    /// <summary>The zone of <see cref="TimeZoneId"/>.</summary>
    public static TimeZoneInfo TimeZone { get; } = TimeZoneInfo.FindSystemTimeZoneById(TimeZoneId);

    /// <summary>
    /// Checks <paramref name="input"/> and returns it normalised (email trimmed, mobile in E.164, channels without
    /// repeats), or the rules it breaks, each naming its field (<c>email</c>, <c>mobile</c>, <c>channels</c>, <c>quietHours</c>).
    /// Error messages never repeat the value.
    /// </summary>
    public static (ContactPreferences? Value, IReadOnlyList<ContactFieldError> Errors) Normalise(ContactPreferences input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new List<ContactFieldError>();
        string? email = null;
        if (!string.IsNullOrWhiteSpace(input.Email))
        {
            email = input.Email.Trim();
            if (email.Length > MaxEmailLength)
            {
                errors.Add(new("email", "TOO_LONG", $"email is at most {MaxEmailLength} characters"));
            }
            else if (!IsEmail(email))
            {
                errors.Add(new("email", "INVALID_EMAIL", "email must be one address such as name@example.fr"));
            }
        }
        string? mobile = null;
        if (!string.IsNullOrWhiteSpace(input.Mobile))
        {
            mobile = NormaliseMobile(input.Mobile);
            if (mobile is null)
            {
                errors.Add(new("mobile", "INVALID_MOBILE", "mobile must be a French mobile number (06 or 07, 10 digits) or an E.164 number (+ then 8 to 15 digits; +33 6 or +33 7 for France)"));
            }
        }
        var channels = new List<AlertChannel>();
        foreach (var channel in input.Channels ?? [])
        {
            if (!Enum.IsDefined(channel))
            {
                errors.Add(new("channels", "UNKNOWN_CHANNEL", "channels holds an unknown channel"));
            }
            else if (channels.Contains(channel))
            {
                errors.Add(new("channels", "DUPLICATE_CHANNEL", $"channels names {channel.ToString().ToUpperInvariant()} twice"));
            }
            else
            {
                channels.Add(channel);
            }
        }
        if (channels.Contains(AlertChannel.Email) && email is null)
        {
            errors.Add(new("channels", "EMAIL_REQUIRED", "the email channel needs an email"));
        }
        if (channels.Contains(AlertChannel.Sms) && mobile is null)
        {
            errors.Add(new("channels", "MOBILE_REQUIRED", "the SMS channel needs a mobile number"));
        }
        if (input.QuietHours is { } quiet && quiet.Start == quiet.End)
        {
            errors.Add(new("quietHours", "EMPTY_RANGE", "quiet hours must start and end at different times"));
        }
        return errors.Count > 0 ? (null, errors) : (new ContactPreferences(email, mobile, channels, input.QuietHours), errors);
    }

    /// <summary>A mobile number in E.164 (<c>+33612345678</c>), or null when it is not one: French 06/07 national numbers and +33 6/7, or any other E.164 number.</summary>
    public static string? NormaliseMobile(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var digits = new System.Text.StringBuilder(raw.Length);
        var plus = false;
        foreach (var c in raw.Trim())
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
            else if (c == '+' && digits.Length == 0 && !plus)
            {
                plus = true;
            }
            else if (c is not (' ' or '.' or '-'))
            {
                return null;
            }
        }
        var d = digits.ToString();
        if (!plus)
        {
            if (d.StartsWith("00", StringComparison.Ordinal))
            {
                d = d[2..];
            }
            else
            {
                return d.Length == 10 && (d.StartsWith("06", StringComparison.Ordinal) || d.StartsWith("07", StringComparison.Ordinal)) ? "+33" + d[1..] : null;
            }
        }
        if (d.Length is < 8 or > 15 || d[0] == '0')
        {
            return null;
        }
        if (d.StartsWith("33", StringComparison.Ordinal))
        {
            // France: mobile numbers only (+33 6 / +33 7 and eight more digits).
            return d.Length == 11 && (d[2] == '6' || d[2] == '7') ? "+" + d : null;
        }
        return "+" + d;
    }

    /// <summary>The channel an alert takes: the first the person accepts and has an address for; null for none.</summary>
    public static AlertChannel? FirstChannel(ContactPreferences preferences) =>
        preferences.Channels.Cast<AlertChannel?>().FirstOrDefault(c => preferences.Reachable(c!.Value));

    /// <summary>
    /// Where an alert that bounced on <paramref name="bounced"/> goes next: the next channel after it in the person's order
    /// that they have an address for; null when there is none.
    /// </summary>
    public static AlertChannel? NextChannel(ContactPreferences preferences, AlertChannel bounced)
    {
        var index = preferences.Channels.ToList().IndexOf(bounced);
        for (var i = index + 1; i < preferences.Channels.Count && index >= 0; i++)
        {
            if (preferences.Reachable(preferences.Channels[i]))
            {
                return preferences.Channels[i];
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="time"/> of day falls within the quiet hours (start included, end excluded; across midnight when start &gt; end).</summary>
    public static bool IsQuiet(QuietHours quiet, TimeOnly time) =>
        quiet.Start < quiet.End
            ? time >= quiet.Start && time < quiet.End
            : time >= quiet.Start || time < quiet.End;

    /// <summary>
    /// When an alert due at <paramref name="now"/> may go: null when now is outside the quiet hours, else the instant their
    /// end is reached on the local wall clock of <paramref name="zone"/>. A wall time skipped by a daylight-saving change
    /// (02:30 on the spring-forward night) becomes the first instant after the gap; a repeated one (autumn) its first occurrence.
    /// </summary>
    public static DateTimeOffset? QuietUntil(QuietHours? quiet, DateTimeOffset now, TimeZoneInfo? zone = null)
    {
        if (quiet is null || quiet.Start == quiet.End)
        {
            return null;
        }
        zone ??= TimeZone;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        if (!IsQuiet(quiet, time))
        {
            return null;
        }
        var endDate = DateOnly.FromDateTime(local.DateTime);
        if (quiet.Start > quiet.End && time >= quiet.Start)
        {
            endDate = endDate.AddDays(1);
        }
        return FromLocal(endDate.ToDateTime(quiet.End), zone);
    }

    /// <summary>The instant a local wall time names in <paramref name="zone"/> (see <see cref="QuietUntil"/> for gaps and repeats).</summary>
    public static DateTimeOffset FromLocal(DateTime wall, TimeZoneInfo zone)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(wall))
        {
            // In the spring-forward gap: the clocks jump past it; the next whole minute that exists.
            wall = wall.AddMinutes(1);
        }
        if (zone.IsAmbiguousTime(wall))
        {
            var offset = zone.GetAmbiguousTimeOffsets(wall).Max();
            return new DateTimeOffset(wall, offset);
        }
        return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
    }

    private static bool IsEmail(string email)
    {
        if (email.Contains(' ', StringComparison.Ordinal) || email.Count(c => c == '@') != 1)
        {
            return false;
        }
        var at = email.IndexOf('@', StringComparison.Ordinal);
        var domain = email[(at + 1)..];
        if (at == 0 || !domain.Contains('.', StringComparison.Ordinal) || domain.StartsWith('.') || domain.EndsWith('.'))
        {
            return false;
        }
        return MailAddress.TryCreate(email, out var parsed) && parsed.Address == email;
    }
}
