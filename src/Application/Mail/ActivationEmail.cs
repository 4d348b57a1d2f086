using System.Globalization;
using System.Text;
using Coffre.Application.Rollout;
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
        var first = FirstName(givenNames);
        return Compose(id, to, Subject, canonicalCode, expiresAt,
            greeting: first is null ? "Bonjour," : $"Bonjour {first},",
            intro: "Votre coffre-fort numérique de santé Coffre est prêt. Pour l'ouvrir, utilisez ce code d'activation :",
            activate: "Pour activer votre coffre, rendez-vous sur :",
            bring: "Munissez-vous de votre numéro de sécurité sociale, de votre date de naissance et de votre carte Vitale.",
            oppose: "Si vous ne souhaitez pas de coffre, vous pouvez vous y opposer en ligne ou par téléphone.");
    }

    /// <summary>
    /// The message for a minor's legal representatives (sent to a representative's address): it names the child by their
    /// first given name only and says that a representative's own Carte Vitale activates the child's vault.
    /// </summary>
    public MailMessage ComposeForRepresentatives(Guid id, string to, string? childGivenNames, string canonicalCode, DateTimeOffset expiresAt)
    {
        var child = FirstName(childGivenNames);
        var of = child ?? "votre enfant";
        return Compose(id, to, RepresentativesSubject, canonicalCode, expiresAt,
            greeting: $"{RolloutRules.RepresentativesAddressee(childGivenNames)},",
            intro: $"Le coffre-fort numérique de santé Coffre de {of} est prêt. Ce code d'activation est celui de {of} ; " +
                   "en tant que représentant légal, c'est vous qui l'utilisez :",
            activate: $"Pour activer le coffre de {of}, rendez-vous sur :",
            bring: $"Munissez-vous du numéro de sécurité sociale et de la date de naissance de {of}, et de VOTRE propre carte Vitale " +
                   $"(celle d'un représentant légal) : {of} n'en a pas besoin.",
            oppose: $"Si vous ne souhaitez pas de coffre pour {of}, vous pouvez vous y opposer en ligne ou par téléphone.");
    }

    public const string RepresentativesSubject = "Le code d'activation Coffre de votre enfant";

    private MailMessage Compose(Guid id, string to, string subject, string canonicalCode, DateTimeOffset expiresAt,
        string greeting, string intro, string activate, string bring, string oppose)
    {
        ArgumentException.ThrowIfNullOrEmpty(to);
        if (!ActivationCodes.TryNormalise(canonicalCode, out var code))
        {
            throw new ArgumentException("not an activation code", nameof(canonicalCode));
        }
        var local = TimeZoneInfo.ConvertTime(expiresAt, _zone);
        var text = new StringBuilder(900);
        text.Append(greeting).Append('\n').Append('\n');
        text.Append(intro).Append("\n\n");
        text.Append("    ").Append(ActivationCodes.Display(code)).Append("\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Ce code est valable jusqu'au {local:dd/MM/yyyy} à {local:HH:mm} ({_zoneLabel}). Il ne sert qu'une fois.\n\n");
        text.Append(activate).Append("\n    ").Append(_options.ActivationUrl.AbsoluteUri).Append("\n\n");
        text.Append(bring).Append("\n\n");
        text.Append("Personne ne vous demandera ce code par téléphone ou par courriel : ne le communiquez à personne.\n");
        text.Append(oppose).Append("\n\n");
        text.Append("Ce message est envoyé automatiquement, merci de ne pas y répondre.\n");
        return new MailMessage(id, to, null, subject, text.ToString());
    }

    /// <summary>The first of the given names, only when it is a plain name (letters, hyphens, apostrophes).</summary>
    public static string? FirstName(string? givenNames) => RolloutRules.FirstGivenName(givenNames);
}
