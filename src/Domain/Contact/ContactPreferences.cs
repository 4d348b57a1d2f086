namespace Coffre.Domain.Contact;

/// <summary>The channels a person may accept alerts on, beyond the app (the in-app notification is always there).</summary>
[GenerateSerializer, Alias("coffre.alert-channel")]
public enum AlertChannel
{
    Email = 0,
    Sms = 1,
    Post = 2,
}

/// <summary>
/// Hours (local wall-clock time, <see cref="ContactRules.TimeZoneId"/>) during which no email or SMS alert is sent: an alert
/// due then waits for <see cref="End"/>. <see cref="Start"/> after <see cref="End"/> spans midnight (21:00–08:00).
/// </summary>
[GenerateSerializer, Alias("coffre.quiet-hours")]
public sealed record QuietHours([property: Id(0)] TimeOnly Start, [property: Id(1)] TimeOnly End);

/// <summary>
/// A person's contact points and alert preferences: an email, a mobile number (E.164), the channels they accept in
/// order of preference, and quiet hours. Set by the person or a representative; read by delivery at dispatch time.
/// </summary>
[GenerateSerializer, Alias("coffre.contact-preferences")]
public sealed record ContactPreferences(
    [property: Id(0)] string? Email,
    [property: Id(1)] string? Mobile,
    [property: Id(2)] IReadOnlyList<AlertChannel> Channels,
    [property: Id(3)] QuietHours? QuietHours)
{
    public static ContactPreferences None { get; } = new(null, null, [], null);

    /// <summary>Whether the person has what <paramref name="channel"/> needs (post: the print house resolves the postal address).</summary>
    public bool Reachable(AlertChannel channel) => channel switch
    {
        AlertChannel.Email => !string.IsNullOrEmpty(Email),
        AlertChannel.Sms => !string.IsNullOrEmpty(Mobile),
        _ => true,
    };
}

/// <summary>One rule a field broke (the API's userErrors: field, rule code and a sentence without the value).</summary>
public sealed record ContactFieldError(string Field, string Rule, string Message);
