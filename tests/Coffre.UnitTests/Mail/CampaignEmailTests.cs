using System.ComponentModel.DataAnnotations;
using Coffre.Adapters.Smtp;
using Coffre.Application.Mail;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Coffre.UnitTests.Mail;

/// <summary>The pure parts of campaign emails: the message, the SMTP outcome rule, when not to send, the settings.</summary>
public sealed class CampaignEmailTests
{
    private static readonly ActivationEmail Composer = new(new ActivationEmailOptions { ActivationUrl = new Uri("https://coffre.example.fr/connect/activate") });

    [Fact]
    public void The_message_carries_the_code_in_display_form_its_expiry_and_where_to_activate_and_nothing_else_of_the_person()
    {
        var code = ActivationCodes.Generate();
        var id = Guid.NewGuid();
        // 2027-01-14 09:30 UTC is 10:30 in Paris (winter time).
        var message = Composer.Compose(id, "marie.dupont@example.test", "Marie Claire", code, new DateTimeOffset(2027, 1, 14, 9, 30, 0, TimeSpan.Zero));

        Assert.Equal(id, message.Id);
        Assert.Equal("marie.dupont@example.test", message.To);
        Assert.Equal(ActivationEmail.Subject, message.Subject);
        Assert.StartsWith("Bonjour Marie,\n", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("    " + ActivationCodes.Display(code) + "\n", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("jusqu'au 14/01/2027 à 10:30 (heure de Paris)", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("https://coffre.example.fr/connect/activate\n", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("Claire", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", message.TextBody, StringComparison.Ordinal);
        // The code reads back from the text as a person would type it.
        var line = message.TextBody.Split('\n').Single(l => l.StartsWith("    ", StringComparison.Ordinal) && !l.Contains("://", StringComparison.Ordinal));
        Assert.True(ActivationCodes.TryNormalise(line.Trim(), out var canonical));
        Assert.Equal(code, canonical);
    }

    [Fact]
    public void A_minors_message_is_for_their_representatives_names_the_child_and_asks_for_the_parents_own_vitale()
    {
        var code = ActivationCodes.Generate();
        var message = Composer.ComposeForRepresentatives(Guid.NewGuid(), "parent@example.test", "Léa Marie", code, new DateTimeOffset(2027, 1, 14, 9, 30, 0, TimeSpan.Zero));

        Assert.Equal(("parent@example.test", ActivationEmail.RepresentativesSubject), (message.To, message.Subject));
        Assert.StartsWith("Aux représentants légaux de Léa,\n", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("Le coffre-fort numérique de santé Coffre de Léa est prêt", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("VOTRE propre carte Vitale", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("    " + ActivationCodes.Display(code) + "\n", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("Marie", message.TextBody, StringComparison.Ordinal);
        // A given name that is not a plain name is never echoed.
        var odd = Composer.ComposeForRepresentatives(Guid.NewGuid(), "parent@example.test", "<b>x</b>", code, DateTimeOffset.UtcNow);
        Assert.StartsWith("Aux représentants légaux de votre enfant,\n", odd.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", odd.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public void A_minor_is_under_18_at_issuance_and_an_unknown_birth_date_is_an_adult()
    {
        var now = new DateTimeOffset(2026, 12, 3, 23, 0, 0, TimeSpan.Zero);
        Assert.True(RolloutRules.IsMinorAt(new DateOnly(2008, 12, 4), now));
        Assert.False(RolloutRules.IsMinorAt(new DateOnly(2008, 12, 3), now));
        Assert.False(RolloutRules.IsMinorAt(null, now));
    }

    [Theory]
    [InlineData(null, "Bonjour,")]
    [InlineData("", "Bonjour,")]
    [InlineData("Jean-Luc Marc", "Bonjour Jean-Luc,")]
    [InlineData("N'Golo", "Bonjour N'Golo,")]
    [InlineData("<script>", "Bonjour,")]
    [InlineData("Anne\r\nBcc: x@example.test", "Bonjour,")]
    public void The_greeting_uses_a_plain_first_given_name_or_none(string? givenNames, string greeting)
    {
        var message = Composer.Compose(Guid.NewGuid(), "a@example.test", givenNames, ActivationCodes.Generate(), DateTimeOffset.UtcNow.AddDays(42));
        Assert.Equal(greeting, message.TextBody.Split('\n')[0]);
    }

    [Fact]
    public void A_summer_expiry_is_shown_in_Paris_summer_time_and_a_bad_code_or_url_is_refused()
    {
        var message = Composer.Compose(Guid.NewGuid(), "a@example.test", "Anne", ActivationCodes.Generate(), new DateTimeOffset(2027, 7, 1, 21, 59, 0, TimeSpan.Zero));
        Assert.Contains("jusqu'au 01/07/2027 à 23:59 (heure de Paris)", message.TextBody, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Composer.Compose(Guid.NewGuid(), "a@example.test", null, "NOT-A-CODE", DateTimeOffset.UtcNow));
        Assert.Throws<ArgumentException>(() => new ActivationEmail(new ActivationEmailOptions { ActivationUrl = new Uri("https://coffre.example.fr/activate?who=me") }));
        Assert.Throws<ArgumentException>(() => new ActivationEmail(new ActivationEmailOptions { ActivationUrl = new Uri("ftp://coffre.example.fr/") }));
    }

    [Theory]
    [InlineData(SmtpStage.Recipient, 550, MailOutcomeKind.Refused)]
    [InlineData(SmtpStage.Recipient, 553, MailOutcomeKind.Refused)]
    [InlineData(SmtpStage.Message, 554, MailOutcomeKind.Refused)]
    [InlineData(SmtpStage.Recipient, 450, MailOutcomeKind.Transient)]
    [InlineData(SmtpStage.Recipient, 452, MailOutcomeKind.Transient)]
    [InlineData(SmtpStage.Message, 451, MailOutcomeKind.Transient)]
    [InlineData(SmtpStage.Sender, 550, MailOutcomeKind.Transient)]
    [InlineData(SmtpStage.Connect, 535, MailOutcomeKind.Transient)]
    [InlineData(SmtpStage.Connect, 421, MailOutcomeKind.Transient)]
    public void Only_a_5xx_to_the_recipient_or_the_message_is_a_bounce(SmtpStage stage, int status, MailOutcomeKind expected)
    {
        var outcome = SmtpOutcomes.Classify(stage, status);
        Assert.Equal(expected, outcome.Kind);
        Assert.Equal($"SMTP {status} at {stage.ToString().ToLowerInvariant()}", outcome.Detail);
        Assert.Equal(MailOutcomeKind.Transient, SmtpOutcomes.Unreplied(new IOException("reset")).Kind);
    }

    [Fact]
    public void A_message_goes_out_only_to_a_registered_person_with_an_email_and_a_valid_email_code_of_its_campaign()
    {
        var payload = new DeliveryPayload("idf-2027", 1, "n", "c", DateTimeOffset.UtcNow.AddDays(42));
        var ok = new EmailRecipient("v-1", "a@example.test", "Anne", PersonStatus.Registered, "idf-2027");
        Assert.Null(EmailDeliveryChannel.Skip(ok, payload));
        Assert.Equal("the recipient is not in the registry", EmailDeliveryChannel.Skip(null, payload));
        Assert.Equal("the person is opposed", EmailDeliveryChannel.Skip(ok with { Status = PersonStatus.Opposed, Email = null }, payload));
        Assert.Equal("the person is activated", EmailDeliveryChannel.Skip(ok with { Status = PersonStatus.Activated }, payload));
        Assert.Equal("the person has no email address any more", EmailDeliveryChannel.Skip(ok with { Email = null }, payload));
        Assert.StartsWith("the code is no longer valid", EmailDeliveryChannel.Skip(ok with { ValidEmailCodeCampaign = null }, payload), StringComparison.Ordinal);
        Assert.StartsWith("the code is no longer valid", EmailDeliveryChannel.Skip(ok with { ValidEmailCodeCampaign = "other" }, payload), StringComparison.Ordinal);
    }

    [Fact]
    public void Smtp_settings_are_checked_field_by_field()
    {
        static IReadOnlyList<string> Errors(SmtpOptions o)
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(o, new ValidationContext(o), results, validateAllProperties: true);
            return [.. results.Select(r => r.ErrorMessage!)];
        }
        SmtpOptions Good() => new() { Host = "smtp.example.fr", Port = 587, SenderAddress = "ne-pas-repondre@coffre.example.fr", ActivationUrl = "https://coffre.example.fr/connect/activate" };

        Assert.Empty(Errors(Good()));
        Assert.Contains(Errors(Good().With(o => o.Host = "")), e => e.Contains("Host", StringComparison.Ordinal));
        Assert.Contains(Errors(Good().With(o => o.Port = 0)), e => e.Contains("Port", StringComparison.Ordinal));
        Assert.Contains(Errors(Good().With(o => o.SenderAddress = "not an address")), e => e.Contains("SenderAddress", StringComparison.Ordinal));
        Assert.Contains(Errors(Good().With(o => o.UserName = "coffre")), e => e.Contains("UserName and Password go together", StringComparison.Ordinal));
        Assert.Contains(Errors(Good().With(o => { o.UserName = "coffre"; o.Password = "secret"; o.Security = SmtpSecurity.None; })),
            e => e.Contains("never sent in clear", StringComparison.Ordinal));
        Assert.Contains(Errors(Good().With(o => o.ActivationUrl = "/connect/activate")), e => e.Contains("ActivationUrl", StringComparison.Ordinal));
        Assert.Contains(Errors(Good().With(o => o.Connections = 0)), e => e.Contains("Connections", StringComparison.Ordinal));
    }

    [Fact]
    public void The_mime_message_is_plain_text_from_the_sender_with_the_outbox_id_as_message_id()
    {
        var options = Options.Create(new SmtpOptions { Host = "127.0.0.1", SenderAddress = "ne-pas-repondre@coffre.example.fr", SenderName = "Coffre", ActivationUrl = "https://coffre.example.fr/a" });
        var transport = new SmtpMailTransport(options, NullLogger<SmtpMailTransport>.Instance);
        var id = Guid.NewGuid();
        var mime = transport.Compose(Composer.Compose(id, "anne@example.test", "Anne", ActivationCodes.Generate(), DateTimeOffset.UtcNow.AddDays(42)));
        Assert.Equal($"{id:N}@coffre.example.fr", mime.MessageId);
        Assert.Equal("ne-pas-repondre@coffre.example.fr", mime.From.Mailboxes.Single().Address);
        Assert.Equal("anne@example.test", mime.To.Mailboxes.Single().Address);
        Assert.StartsWith("Bonjour Anne,", mime.TextBody, StringComparison.Ordinal);
        Assert.Throws<MimeKit.ParseException>(() => transport.Compose(new MailMessage(id, "not an address", null, "s", "b")));
    }
}

internal static class SmtpOptionsTestExtensions
{
    public static SmtpOptions With(this SmtpOptions options, Action<SmtpOptions> change)
    {
        change(options);
        return options;
    }
}
