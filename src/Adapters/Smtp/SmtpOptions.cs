using System.ComponentModel.DataAnnotations;

namespace Coffre.Adapters.Smtp;

/// <summary>How the connection to the mail server is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain SMTP (a relay on the same host or a test server only).</summary>
    None = 0,

    /// <summary>STARTTLS, required: refuses a server that does not offer it (port 587).</summary>
    StartTls = 1,

    /// <summary>TLS from the first byte (port 465).</summary>
    Tls = 2,
}

/// <summary>
/// The SMTP relay campaign emails leave through (section <c>Coffre:Smtp</c>). Configuring <see cref="Host"/> switches
/// the email channel from the file sink to SMTP.
/// </summary>
public sealed class SmtpOptions : IValidatableObject
{
    public const string Section = "Coffre:Smtp";

    /// <summary>The mail server (a host name or an IP address).</summary>
    [Required(AllowEmptyStrings = false)]
    public string Host { get; set; } = "";

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>The From address of every campaign email.</summary>
    [Required(AllowEmptyStrings = false), EmailAddress]
    public string SenderAddress { get; set; } = "";

    [StringLength(100)]
    public string SenderName { get; set; } = "Coffre";

    /// <summary>Optional credentials (both or neither); sent only over a secured connection.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>SMTP connections a batch is spread over (each sends its share one message after another).</summary>
    [Range(1, 64)]
    public int Connections { get; set; } = 2;

    /// <summary>Longest wait for one server reply.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The page where people activate, shown in every activation email (absolute http(s) URL, no query).</summary>
    [Required(AllowEmptyStrings = false)]
    public string ActivationUrl { get; set; } = "";

    /// <summary>The time zone expiry dates are shown in (IANA id).</summary>
    [Required(AllowEmptyStrings = false)]
    public string TimeZone { get; set; } = "Europe/Paris";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(UserName) != string.IsNullOrEmpty(Password))
        {
            yield return new ValidationResult("UserName and Password go together: set both or neither", [nameof(UserName), nameof(Password)]);
        }
        if (!string.IsNullOrEmpty(UserName) && Security == SmtpSecurity.None)
        {
            yield return new ValidationResult("credentials are never sent in clear: Security must be StartTls or Tls when UserName is set", [nameof(Security)]);
        }
        if (!Enum.IsDefined(Security))
        {
            yield return new ValidationResult("Security must be None, StartTls or Tls", [nameof(Security)]);
        }
        if (!Uri.TryCreate(ActivationUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            yield return new ValidationResult("ActivationUrl must be an absolute http(s) URL without query or fragment", [nameof(ActivationUrl)]);
        }
        if (Host.Contains(' ', StringComparison.Ordinal) || Host.Contains('/', StringComparison.Ordinal))
        {
            yield return new ValidationResult("Host must be a host name or an IP address", [nameof(Host)]);
        }
    }
}
