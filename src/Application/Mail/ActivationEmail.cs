using System.Globalization;
using System.Text;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Mail;

/// <summary>What every activation email says besides the person's own details.</summary>
public sealed class ActivationEmailOptions
{
    /// <summary>The page where a person activates their vault (shown in full in the message; no parameters).</summary>
    public required Uri ActivationUrl { get; init; }

    /// <summary>The time zone the expiry is shown in (IANA id); UTC when the machine does not know it.</summary>
    public string TimeZone { get; init; } = "Europe/Paris";
}

/// <summary>
/// Composes the plain-text activation email: a greeting with the person's first given name, the code in its display
/// form, its expiry (date and time in the configured time zone), where to activate and what to have at hand. Pure: no
/// I/O. It never carries the NIR, the vault id or anything else from the registry.
/// </summary>
public sealed class ActivationEmail
{
    public const string Subject = "Votre code d'activation Coffre";

    private readonly ActivationEmailOptions _options;
    private readonly TimeZoneInfo _zone;
    private readonly string _zoneLabel;

    public ActivationEmail(ActivationEmailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.ActivationUrl.IsAbsoluteUri || options.ActivationUrl.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException("the activation URL must be an absolute http(s) URL", nameof(options));
        }
        if (options.ActivationUrl.Query.Length > 0 || options.ActivationUrl.Fragment.Length > 0)
        {
            throw new ArgumentException("the activation URL must carry no query or fragment", nameof(options));
        }
        _options = options;
        (_zone, _zoneLabel) = TimeZoneInfo.TryFindSystemTimeZoneById(options.TimeZone, out var zone)
            ? (zone, options.TimeZone == "Europe/Paris" ? "heure de Paris" : options.TimeZone)
            : (TimeZoneInfo.Utc, "UTC");
    }

    /// <summary>The message for one person. <paramref name="canonicalCode"/> is the 11-symbol code as issued.</summary>
    public MailMessage Compose(Guid id, string to, string? givenNames, string canonicalCode, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(to);
        if (!ActivationCodes.TryNormalise(canonicalCode, out var code))
        {
            throw new ArgumentException("not an activation code", nameof(canonicalCode));
        }
        var local = TimeZoneInfo.ConvertTime(expiresAt, _zone);
        var first = FirstName(givenNames);
        var text = new StringBuilder(800);
        text.Append(first is null ? "Bonjour," : $"Bonjour {first},").Append('\n').Append('\n');
        text.Append("Votre coffre-fort numérique de santé Coffre est prêt. Pour l'ouvrir, utilisez ce code d'activation :\n\n");
        text.Append("    ").Append(ActivationCodes.Display(code)).Append("\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Ce code est valable jusqu'au {local:dd/MM/yyyy} à {local:HH:mm} ({_zoneLabel}). Il ne sert qu'une fois.\n\n");
        text.Append("Pour activer votre coffre, rendez-vous sur :\n    ").Append(_options.ActivationUrl.AbsoluteUri).Append("\n\n");
        text.Append("Munissez-vous de votre numéro de sécurité sociale, de votre date de naissance et de votre carte Vitale.\n\n");
        text.Append("Personne ne vous demandera ce code par téléphone ou par courriel : ne le communiquez à personne.\n");
        text.Append("Si vous ne souhaitez pas de coffre, vous pouvez vous y opposer en ligne ou par téléphone.\n\n");
        text.Append("Ce message est envoyé automatiquement, merci de ne pas y répondre.\n");
        return new MailMessage(id, to, null, Subject, text.ToString());
    }

    /// <summary>The first of the given names, only when it is a plain name (letters, hyphens, apostrophes).</summary>
    public static string? FirstName(string? givenNames)
    {
        var first = givenNames?.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is { Length: > 0 and <= 60 } && first.All(c => char.IsLetter(c) || c is '-' or '\'') ? first : null;
    }
}
