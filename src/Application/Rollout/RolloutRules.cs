using Coffre.Domain.Identifiers;

namespace Coffre.Application.Rollout;

/// <summary>Checks and normalisations both rollout stores apply the same way.</summary>
public static class RolloutRules
{
    /// <summary>The day (UTC) an activation refusal is counted under.</summary>
    public static DateOnly RefusalDay(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);

    /// <summary>The stored form of a new campaign: id checked, départements upper-cased, sorted and distinct, times rounded to microseconds.</summary>
    public static Campaign Campaign(NewCampaign campaign, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        if (!NewCampaign.IsValidId(campaign.CampaignId))
        {
            throw new ArgumentException($"campaign id '{campaign.CampaignId}' is invalid: 1-48 characters of [a-z0-9-], starting with a letter or digit", nameof(campaign));
        }
        ArgumentException.ThrowIfNullOrWhiteSpace(campaign.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(campaign.CreatedBy);
        string[]? departements = null;
        if (campaign.Departements is not null)
        {
            departements = [.. campaign.Departements.Select(d => (d ?? "").Trim().ToUpperInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            if (departements.Length == 0 || departements.Any(d => d.Length is < 2 or > 3 || !d.All(char.IsAsciiLetterOrDigit)))
            {
                throw new ArgumentException("départements are codes such as 75, 2A or 971 (an empty list is not 'everyone': pass null)", nameof(campaign));
            }
        }
        var window = campaign.OppositionWindow ?? NewCampaign.DefaultOppositionWindow;
        var validity = campaign.CodeValidity ?? NewCampaign.DefaultCodeValidity;
        if (window < TimeSpan.Zero || validity <= TimeSpan.Zero)
        {
            throw new ArgumentException("the opposition window must not be negative and the code validity must be positive", nameof(campaign));
        }
        var created = Micros(createdAt);
        return new Campaign(campaign.CampaignId, campaign.Name.Trim(), departements, created, campaign.CreatedBy, Micros(created + window),
            TimeSpan.FromTicks(validity.Ticks - validity.Ticks % TimeSpan.TicksPerMicrosecond), CampaignStatus.Created);
    }

    /// <summary>Creating a campaign again is idempotent only with the same definition.</summary>
    public static void CheckSameDefinition(Campaign stored, Campaign wanted)
    {
        var same = stored.Name == wanted.Name
            && (stored.Departements ?? []).SequenceEqual(wanted.Departements ?? [])
            && (stored.Departements is null) == (wanted.Departements is null)
            && stored.CodeValidity == wanted.CodeValidity
            && stored.OppositionWindowEndsAt - stored.CreatedAt == wanted.OppositionWindowEndsAt - wanted.CreatedAt;
        if (!same)
        {
            throw new CampaignConflictException($"campaign '{wanted.CampaignId}' already exists with another definition");
        }
    }

    public static void CheckChunk(IssuanceChunk chunk)
    {
        if (chunk.Letters > 0 && chunk.BatchNo is null)
        {
            throw new ArgumentException("an issuance chunk with letters needs its print batch number", nameof(chunk));
        }
        if (chunk.Letters > 0 && chunk.PrintBatch is null)
        {
            throw new ArgumentException("an issuance chunk with letters needs its print batch (written before the commit)", nameof(chunk));
        }
        if (chunk.PrintBatch is { } batch && (batch.BatchNo != chunk.BatchNo || batch.Letters != chunk.Letters || batch.CampaignId != chunk.CampaignId))
        {
            throw new ArgumentException("the chunk's print batch does not match its letters", nameof(chunk));
        }
        if (chunk.Emails > 0 && chunk.EmailBatch is null)
        {
            throw new ArgumentException("an issuance chunk with emails needs its email batch (written before the commit)", nameof(chunk));
        }
        if (chunk.EmailBatch is { } emails && (emails.BatchNo != chunk.BatchNo || emails.Emails != chunk.Emails || emails.CampaignId != chunk.CampaignId))
        {
            throw new ArgumentException("the chunk's email batch does not match its emails", nameof(chunk));
        }
    }

    /// <summary>Checks a router's page before it is stored: lines [From, To) with outcomes adding up to the lines settled.</summary>
    public static void CheckAdvance(EmailBatchAdvance advance)
    {
        ArgumentNullException.ThrowIfNull(advance);
        ArgumentException.ThrowIfNullOrEmpty(advance.CampaignId);
        ArgumentNullException.ThrowIfNull(advance.RequeuedMessages);
        if (advance.From < 0 || advance.To < advance.From || advance.Sent < 0 || advance.Bounced < 0 || advance.Undeliverable < 0
            || advance.Sent + advance.Bounced + advance.Undeliverable + advance.RequeuedMessages.Count != advance.To - advance.From)
        {
            throw new ArgumentException("an email batch advance must settle each line of [from, to) exactly once", nameof(advance));
        }
        if (advance.RequeuedMessages.Any(m => m.Kind != DeliveryCodeCipher.OutboxKind || m.Channel != Outbox.OutboxChannel.Email))
        {
            throw new ArgumentException("requeued lines are activation-code email messages", nameof(advance));
        }
    }

    /// <summary>
    /// Issuance addresses a person's code to their legal representatives when they are under 18 at <paramref name="now"/>:
    /// born after the returned day (UTC). An unknown birth date counts as an adult.
    /// </summary>
    public static DateOnly MinorsBornAfter(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime).AddYears(-18);

    public static bool IsMinorAt(DateOnly? birthDate, DateTimeOffset now) => birthDate is { } born && born > MinorsBornAfter(now);

    /// <summary>The addressee line of a letter to a minor's legal representatives (the child's first given name, never their NIR).</summary>
    public static string RepresentativesAddressee(string? childGivenNames) =>
        FirstGivenName(childGivenNames) is { } first ? $"Aux représentants légaux de {first}" : "Aux représentants légaux de votre enfant";

    /// <summary>The first of the given names, only when it is a plain name (letters, hyphens, apostrophes).</summary>
    public static string? FirstGivenName(string? givenNames)
    {
        var first = givenNames?.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is { Length: > 0 and <= 60 } && first.All(c => char.IsLetter(c) || c is '-' or '\'') ? first : null;
    }

    /// <summary>An opposition receipt: "opp-" + 20 Crockford symbols from a CSPRNG.</summary>
    public static string NewReceiptId() => "opp-" + Ids.NewToken();

    public static DateTimeOffset Micros(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
    }
}
