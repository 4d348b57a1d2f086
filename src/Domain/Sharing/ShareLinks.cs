using System.Security.Cryptography;
using Coffre.Domain.Access;
using Coffre.Domain.Rollout;
using Coffre.Domain.Text;

namespace Coffre.Domain.Sharing;

/// <summary>
/// Share links: the person (or a parent or tutor) lets someone outside Coffre open chosen documents for a limited time,
/// with a link (<c>/share/{linkId}</c>, 128 random bits) and a separate short code given through another channel.
/// Pure rules: identifiers, codes, bounds and a link's status.
/// </summary>
public static class ShareLinks
{
    /// <summary>Documents one link may carry.</summary>
    public const int MaxDocuments = 20;

    /// <summary>Openings (code entered right) one link may allow.</summary>
    public const int MaxOpenings = 20;

    public const int DefaultOpenings = 1;

    /// <summary>Links of one vault that are still usable (ACTIVE) at once.</summary>
    public const int MaxLiveLinks = 50;

    /// <summary>Links a vault remembers (live and ended): the oldest ended ones are forgotten beyond this.</summary>
    public const int MaxRememberedLinks = 200;

    /// <summary>Wrong codes that lock a link for good.</summary>
    public const int MaxFailedCodes = 5;

    public const int MaxLabelLength = 100;

    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinValidity = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxValidity = TimeSpan.FromDays(30);

    /// <summary>How long the token an opening gives stays good for downloads.</summary>
    public static readonly TimeSpan OpeningTokenLifetime = TimeSpan.FromMinutes(15);

    /// <summary>Downloads one opening token allows per document of its link (then the same refusal as a dead token).</summary>
    public const int DownloadsPerDocument = 3;

    /// <summary>Symbols of a link id: 128 random bits in Crockford base32 (lower case), 26 symbols.</summary>
    public const int LinkIdLength = 26;

    /// <summary>Data symbols of a code (40 bits), plus one check symbol.</summary>
    public const int CodeSymbols = 8;

    /// <summary>The code's canonical form: 8 data symbols and the check symbol.</summary>
    public const int CodeLength = CodeSymbols + 1;

    public static string NewLinkId()
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        return CrockfordBase32.Encode(random).ToLowerInvariant();
    }

    /// <summary>26 lower-case Crockford symbols: anything else is refused before any grain is asked.</summary>
    public static bool IsLinkId(string? value) =>
        value is { Length: LinkIdLength } && value.All(c => c is >= '0' and <= '9' || (c is >= 'a' and <= 'z' && c is not ('i' or 'l' or 'o' or 'u')));

    /// <summary>A new code, canonical (9 symbols: 8 from a CSPRNG and the Crockford check symbol).</summary>
    public static string NewCode()
    {
        Span<byte> random = stackalloc byte[5];
        RandomNumberGenerator.Fill(random);
        Span<char> code = stackalloc char[CodeLength];
        CrockfordBase32.Encode(random, code);
        code[CodeSymbols] = ActivationCodes.CheckSymbol(code[..CodeSymbols]);
        CryptographicOperations.ZeroMemory(random);
        return new string(code);
    }

    /// <summary>For the person to pass on: <c>XXXX-XXXX-C</c>.</summary>
    public static string DisplayCode(string canonical) => $"{canonical[..4]}-{canonical[4..8]}-{canonical[8]}";

    /// <summary>
    /// Normalises what the recipient typed (case, '-' and spaces ignored, I/L read as 1, O as 0); false when it is not
    /// 9 symbols or its check symbol is wrong.
    /// </summary>
    public static bool TryNormaliseCode(string? input, out string canonical)
    {
        canonical = "";
        if (input is null || input.Length > 32)
        {
            return false;
        }
        Span<char> symbols = stackalloc char[CodeLength];
        var count = 0;
        foreach (var raw in input)
        {
            if (raw is '-' or ' ')
            {
                continue;
            }
            if (count == CodeLength)
            {
                return false;
            }
            if (count < CodeSymbols)
            {
                var digit = CrockfordBase32.DecodeSymbol(raw);
                if (digit < 0)
                {
                    return false;
                }
                symbols[count++] = CrockfordBase32.Alphabet[digit];
            }
            else
            {
                symbols[count++] = char.ToUpperInvariant(raw);
            }
        }
        if (count != CodeLength || ActivationCodes.CheckSymbol(symbols[..CodeSymbols]) != symbols[CodeSymbols])
        {
            return false;
        }
        canonical = new string(symbols);
        return true;
    }

    /// <summary>What is hashed (HMAC under the activation code keys): the canonical code behind its own prefix, so it never collides with another kind of code.</summary>
    public static string HashInput(string canonical) => "share:" + canonical;

    /// <summary>What a wrong-format code is hashed as, so every attempt costs one HMAC.</summary>
    public const string DummyCode = "000000000";

    /// <summary>
    /// Checks a new link's request; returns its expiry. <paramref name="validForHours"/> and <paramref name="expiresAt"/>:
    /// at most one (neither: <see cref="DefaultValidity"/>), between <see cref="MinValidity"/> and <see cref="MaxValidity"/> from now.
    /// </summary>
    public static DateTimeOffset Validate(IReadOnlyList<string>? documentIds, DateTimeOffset? expiresAt, int? validForHours, int maxOpenings, string? label,
        DateTimeOffset now)
    {
        if (documentIds is null || documentIds.Count is < 1 or > MaxDocuments)
        {
            throw new ValidationFailedException("documentIds", $"must name 1 to {MaxDocuments} documents");
        }
        if (documentIds.Distinct(StringComparer.Ordinal).Count() != documentIds.Count)
        {
            throw new ValidationFailedException("documentIds", "must not name a document twice");
        }
        if (maxOpenings is < 1 or > MaxOpenings)
        {
            throw new ValidationFailedException("maxOpenings", $"must be between 1 and {MaxOpenings}");
        }
        if (label is not null && (label.Trim().Length is 0 || label.Length > MaxLabelLength))
        {
            throw new ValidationFailedException("label", $"must be 1 to {MaxLabelLength} characters");
        }
        if (TextRules.Validate(label) is { } rule)
        {
            throw new ValidationFailedException("label", rule);
        }
        if (expiresAt is not null && validForHours is not null)
        {
            throw new ValidationFailedException("validForHours", "give expiresAt or validForHours, not both");
        }
        var expiry = validForHours is { } hours
            ? hours is >= 1 and <= 30 * 24 ? now.AddHours(hours) : throw new ValidationFailedException("validForHours", $"must be between 1 and {30 * 24} (30 days)")
            : expiresAt ?? now + DefaultValidity;
        if (expiry < now + MinValidity || expiry > now + MaxValidity)
        {
            throw new ValidationFailedException("expiresAt", "must be between 1 hour and 30 days from now");
        }
        return expiry;
    }

    /// <summary>A link's status at <paramref name="now"/>: revoked, then locked, then used up, then expired, else active.</summary>
    public static ShareLinkStatus StatusOf(DateTimeOffset? revokedAt, DateTimeOffset? lockedAt, int openings, int maxOpenings, DateTimeOffset expiresAt, DateTimeOffset now) =>
        revokedAt is not null ? ShareLinkStatus.Revoked
        : lockedAt is not null ? ShareLinkStatus.Locked
        : openings >= maxOpenings ? ShareLinkStatus.UsedUp
        : now >= expiresAt ? ShareLinkStatus.Expired
        : ShareLinkStatus.Active;
}

/// <summary>Where a share link stands; only ACTIVE opens.</summary>
[GenerateSerializer, Alias("coffre.share-link-status")]
public enum ShareLinkStatus
{
    Active = 0,
    Expired = 1,
    UsedUp = 2,
    Revoked = 3,
    /// <summary>Too many wrong codes: locked for good.</summary>
    Locked = 4,
}
