using System.ComponentModel.DataAnnotations;

namespace Coffre.Grains.Vaults;

/// <summary>Vault limits (configuration section <c>Coffre:Vaults</c>).</summary>
public sealed class VaultOptions
{
    public const string Section = "Coffre:Vaults";

    /// <summary>Storage quota per vault (Reconnect's is 600 MB).</summary>
    [Range(1, long.MaxValue)]
    public long QuotaBytes { get; set; } = 600L * 1024 * 1024;

    /// <summary>Largest single document.</summary>
    [Range(1, long.MaxValue)]
    public long MaxDocumentBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>Content types a document may have (PDF, images from a phone scanner, CDA XML, plain text).</summary>
    [MinLength(1)]
    public string[] AllowedContentTypes { get; set; } =
        ["application/pdf", "image/jpeg", "image/png", "image/tiff", "image/heic", "application/xml", "text/xml", "text/plain"];

    /// <summary>Longest break-glass session (the matrix may set a shorter one).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan BreakGlassDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Shortest reason a professional must give for break-glass.</summary>
    [Range(0, 500)]
    public int BreakGlassMinReasonLength { get; set; } = 15;

    /// <summary>Denials of one caller on one vault within <see cref="DenialWindow"/> after which the caller is refused (RATE_LIMITED) without evaluation.</summary>
    [Range(1, int.MaxValue)]
    public int DenialsPerWindow { get; set; } = 50;

    /// <summary>The window of <see cref="DenialsPerWindow"/>; repeated identical denials in it are appended as one aggregated event.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DenialWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a hand-over sheet's code stays valid.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "366.00:00:00")]
    public TimeSpan HandOverValidity { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Wrong codes (after a right birth date) that lock a hand-over sheet (a new sheet is then needed).</summary>
    [Range(1, 100)]
    public int HandOverMaxAttempts { get; set; } = 5;

    /// <summary>Tolerated clock skew on a hand-over sheet's expiry.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan HandOverClockSkew { get; set; } = TimeSpan.FromMinutes(5);
}
