using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace Coffre.Silo.Oidc;

/// <summary>
/// The provider's own pages: plain server-rendered HTML (no script), labelled fields, errors announced
/// (<c>role="alert"</c>) and linked to the fields, French first with English beside, an antiforgery field in every
/// form; never framed, never cached.
/// </summary>
public static class OidcPages
{
    public const string SignInRefused = "Ces informations n’ouvrent aucun coffre. / These details do not open a vault.";
    public const string ActivationRefused = "Ce code ne correspond pas à ces informations. / This code does not match these details.";
    public const string PassphrasesDiffer = "Les deux phrases secrètes diffèrent. / The two passphrases differ.";

    public static string PassphraseRule(string problem) => problem switch
    {
        "is required" => "La phrase secrète est obligatoire. / The passphrase is required.",
        _ when problem.StartsWith("must be at least", StringComparison.Ordinal) => "Au moins 12 caractères (quelques mots). / At least 12 characters (a few words).",
        _ => "Au plus 200 caractères. / At most 200 characters.",
    };

    public static IResult Login(HttpContext http, IAntiforgery csrf, string returnUrl, string? nir, string? error) => Page(http, csrf,
        "Se connecter à mon coffre / Sign in", error, error is null ? 200 : 400, returnUrl, "/connect/login",
        Field("nir", "Numéro de sécurité sociale (NIR) / Social security number", "text", "off", nir, "inputmode=\"numeric\" maxlength=\"21\" required")
        + Field("birthDate", "Date de naissance / Birth date", "date", "bday", null, "required")
        + Field("passphrase", "Phrase secrète / Passphrase", "password", "current-password", null, "required"),
        "Se connecter / Sign in",
        $"<p><a href=\"/connect/activate?returnUrl={Uri.EscapeDataString(returnUrl)}\">J’ai reçu un code d’activation / I received an activation code</a></p>");

    public static IResult Activate(HttpContext http, IAntiforgery csrf, string returnUrl, string? error) => Page(http, csrf,
        "Activer mon coffre / Activate my vault", error, error is null ? 200 : 400, returnUrl, "/connect/activate",
        Field("code", "Code d’activation (courrier ou courriel) / Activation code (letter or email)", "text", "one-time-code", null, "required autocapitalize=\"characters\"")
        + Field("nir", "Numéro de sécurité sociale (NIR) / Social security number", "text", "off", null, "inputmode=\"numeric\" maxlength=\"21\" required")
        + Field("birthDate", "Date de naissance / Birth date", "date", "bday", null, "required")
        + Field("vitaleSerial", "Numéro de série de la carte Vitale / Vitale card serial number", "text", "off", null, "required"),
        "Activer / Activate",
        $"<p><a href=\"/connect/login?returnUrl={Uri.EscapeDataString(returnUrl)}\">J’ai déjà une phrase secrète / I already have a passphrase</a></p>");

    public static IResult Passphrase(HttpContext http, IAntiforgery csrf, string returnUrl, string? error) => Page(http, csrf,
        "Choisir ma phrase secrète / Choose my passphrase", error, error is null ? 200 : 400, returnUrl, "/connect/passphrase",
        "<p id=\"rule\">Au moins 12 caractères : quelques mots faciles à retenir. / At least 12 characters: a few words easy to remember.</p>"
        + Field("passphrase", "Phrase secrète / Passphrase", "password", "new-password", null, "required minlength=\"12\" maxlength=\"200\" aria-describedby=\"rule\"")
        + Field("confirmation", "La même, une seconde fois / The same, once more", "password", "new-password", null, "required minlength=\"12\" maxlength=\"200\""),
        "Enregistrer / Save", "");

    public static IResult RateLimited(HttpContext http, IAntiforgery csrf, string returnUrl) => Page(http, csrf,
        "Se connecter à mon coffre / Sign in", "Trop d’essais : attendez une minute. / Too many attempts: wait a minute.", 429, returnUrl, "/connect/login",
        Field("nir", "Numéro de sécurité sociale (NIR) / Social security number", "text", "off", null, "inputmode=\"numeric\" maxlength=\"21\" required")
        + Field("birthDate", "Date de naissance / Birth date", "date", "bday", null, "required")
        + Field("passphrase", "Phrase secrète / Passphrase", "password", "current-password", null, "required"),
        "Se connecter / Sign in", "");

    public static IResult Expired(HttpContext http, IAntiforgery csrf) => Page(http, csrf,
        "Se connecter à mon coffre / Sign in", "Le formulaire a expiré : recommencez. / The form expired: please try again.", 400, "/connect/authorize", "/connect/login",
        Field("nir", "Numéro de sécurité sociale (NIR) / Social security number", "text", "off", null, "inputmode=\"numeric\" maxlength=\"21\" required")
        + Field("birthDate", "Date de naissance / Birth date", "date", "bday", null, "required")
        + Field("passphrase", "Phrase secrète / Passphrase", "password", "current-password", null, "required"),
        "Se connecter / Sign in", "");

    private static string Field(string name, string label, string type, string autocomplete, string? value, string extra) =>
        $"<p><label for=\"{name}\">{E(label)}</label><br><input id=\"{name}\" name=\"{name}\" type=\"{type}\" autocomplete=\"{autocomplete}\" {extra} aria-describedby=\"error\"{(value is null ? "" : $" value=\"{E(value)}\"")}></p>\n";

    /// <summary>
    /// The consent screen of a connected app: its name, publisher and certification reference, then exactly the scopes it
    /// asks for in the person's words (<paramref name="scopes"/>, French first), and two buttons posting <c>decision</c>.
    /// </summary>
    public static IResult Consent(HttpContext http, IAntiforgery csrf, string returnUrl, string appName, string publisher, string certificationReference,
        IReadOnlyList<string> scopes, bool staysConnected) => Page(http, csrf,
        "Autoriser une application / Allow an app", null, 200, returnUrl, "/connect/consent",
        $"<p><strong id=\"app-name\">{E(appName)}</strong><br>Éditeur / Publisher : <span id=\"app-publisher\">{E(publisher)}</span><br>"
        + $"Référence de certification / Certification reference : <span id=\"app-certification\">{E(certificationReference)}</span></p>\n"
        + "<p id=\"asks\">Cette application demande à / This app asks to:</p>\n<ul id=\"scopes\" aria-describedby=\"asks\">\n"
        + string.Concat(scopes.Select(s => $"<li class=\"scope\">{E(s)}</li>\n"))
        + "</ul>\n"
        + (staysConnected ? "<p id=\"offline\">Elle restera connectée jusqu’à ce que vous la déconnectiez. / It stays connected until you disconnect it.</p>\n" : "")
        + "<p>Elle ne verra jamais ce que vous avez masqué ou gardé privé, ni votre historique d’accès. Vous pouvez la déconnecter à tout moment. / "
        + "It never sees what you masked or kept private, nor your access history. You can disconnect it at any time.</p>\n"
        + "<p id=\"summary\">De votre coffre, elle voit aussi son résumé (état, nombre de documents, espace utilisé), jamais votre identité. / "
        + "Of your vault it also sees the summary (status, document count, space used), never your identity.</p>\n",
        "", "", buttons: "<button type=\"submit\" name=\"decision\" value=\"allow\">Autoriser / Allow</button>\n"
        + "<button type=\"submit\" name=\"decision\" value=\"deny\">Refuser / Deny</button>\n");

    private static IResult Page(HttpContext http, IAntiforgery csrf, string title, string? error, int status, string returnUrl, string action, string fields, string submit, string after,
        string? buttons = null)
    {
        var tokens = csrf.GetAndStoreTokens(http);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Frame-Options"] = "DENY";
        // No form-action: browsers apply it to the redirects after the post, and the last one goes to the app's redirect URI.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        var html = new StringBuilder()
            .Append("<!doctype html>\n<html lang=\"fr\">\n<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(title)).Append(" — Coffre</title>")
            .Append("<style>body{font:1.15rem/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}input,button{font:inherit;padding:.5rem;width:100%;box-sizing:border-box}button{margin-top:1rem;cursor:pointer}[role=alert]{border:2px solid #b00020;padding:.5rem;color:#b00020}a{color:#0645ad}:focus{outline:3px solid #1a73e8}</style>")
            .Append("</head>\n<body>\n<main>\n<h1>").Append(E(title)).Append("</h1>\n")
            .Append(error is null ? "<div id=\"error\"></div>\n" : $"<div id=\"error\" role=\"alert\" tabindex=\"-1\">{E(error)}</div>\n")
            .Append("<form method=\"post\" action=\"").Append(action).Append("\" novalidate>\n")
            .Append("<input type=\"hidden\" name=\"").Append(tokens.FormFieldName).Append("\" value=\"").Append(E(tokens.RequestToken!)).Append("\">\n")
            .Append("<input type=\"hidden\" name=\"returnUrl\" value=\"").Append(E(returnUrl)).Append("\">\n")
            .Append(fields)
            .Append(buttons ?? $"<button type=\"submit\">{E(submit)}</button>\n").Append("</form>\n")
            .Append(after)
            .Append("\n</main>\n</body>\n</html>\n");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string E(string value) => HtmlEncoder.Default.Encode(value);
}
