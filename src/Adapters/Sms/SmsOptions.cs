using System.ComponentModel.DataAnnotations;

namespace Coffre.Adapters.Sms;

/// <summary>
/// The HTTP SMS provider (section <c>Coffre:Sms</c>). Configuring <see cref="Url"/> switches the SMS channel's alerts
/// from the file sink to the provider.
/// </summary>
public sealed class SmsOptions : IValidatableObject
{
    public const string Section = "Coffre:Sms";

    /// <summary>Where each message is POSTed as JSON <c>{to, text, reference}</c> (absolute http(s) URL).</summary>
    [Required(AllowEmptyStrings = false)]
    public string Url { get; set; } = "";

    /// <summary>The provider's API key, sent in <see cref="ApiKeyHeader"/>; never logged.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ApiKey { get; set; } = "";

    [Required(AllowEmptyStrings = false), RegularExpression("^[A-Za-z0-9-]{1,64}$")]
    public string ApiKeyHeader { get; set; } = "X-Api-Key";

    /// <summary>Longest one request may take (a timeout is retried later).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:02:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests in flight at once for a batch.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 4;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult("Url must be an absolute http(s) URL", [nameof(Url)]);
        }
    }
}
