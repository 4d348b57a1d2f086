using Coffre.Domain.Access;
using Coffre.Domain.Text;

namespace Coffre.Domain.Messaging;

/// <summary>What a message is: the person's app shows each type its own way.</summary>
[GenerateSerializer, Alias("coffre.message-type")]
public enum MessageType
{
    FreeText = 0,
    /// <summary>A convocation: a date and a place may be given (<see cref="Convocation"/>).</summary>
    Convocation = 1,
    PrescriptionRenewal = 2,
    CarePlan = 3,
}

/// <summary>The structured part of a convocation: when and where (both optional, the body says the rest).</summary>
[GenerateSerializer, Immutable, Alias("coffre.convocation")]
public sealed record Convocation(
    [property: Id(0)] DateTimeOffset? At,
    [property: Id(1)] string? Place);

/// <summary>A message as its sender writes it: type, text, attached vault documents (by id), convocation details.</summary>
[GenerateSerializer, Immutable, Alias("coffre.new-message")]
public sealed record NewMessage(
    [property: Id(0)] MessageType Type,
    [property: Id(1)] string Body,
    [property: Id(2)] IReadOnlyList<string> AttachmentIds,
    [property: Id(3)] Convocation? Convocation = null);

/// <summary>
/// Who takes part in a conversation, as a stable key: the person's side (<c>vault:v-…</c>: the owner and their
/// representatives), a professional (<c>rpps:…</c>) or an establishment's system (<c>finess:…</c>).
/// </summary>
public static class MessagingParty
{
    public static string Person(string vaultId) => "vault:" + vaultId;

    public static string Professional(string rpps) => "rpps:" + rpps;

    public static string Establishment(string finess) => "finess:" + finess;

    /// <summary>The caller's own party when they speak for themselves (professional, establishment's system); null for a patient caller (their side is the vault's).</summary>
    public static string? OfProfessionalSide(Caller caller) => caller.Kind switch
    {
        CallerKind.Professional when caller.Rpps is { } rpps => Professional(rpps),
        CallerKind.Establishment when caller.EstablishmentFiness is { } finess => Establishment(finess),
        _ => null,
    };
}

/// <summary>The input rules of messaging: each failure names its field and rule (VALIDATION).</summary>
public static class MessagingRules
{
    public const int MaxBodyLength = 10_000;
    public const int MaxSubjectLength = 200;
    public const int MaxPlaceLength = 300;
    public const int MaxAttachments = 10;
    public const int MaxPageSize = 50;
    public const int DefaultPageSize = 20;

    /// <summary>Conversations a person's side may start in one (UTC) day: writing to professionals stays bounded.</summary>
    public const int MaxStartsPerDay = 20;

    /// <summary>Checks a message; throws <see cref="ValidationFailedException"/> naming the field.</summary>
    public static void Validate(NewMessage message, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!Enum.IsDefined(message.Type))
        {
            throw new ValidationFailedException(prefix + "type", "is not a message type");
        }
        if (string.IsNullOrWhiteSpace(message.Body))
        {
            throw new ValidationFailedException(prefix + "body", "is required");
        }
        if (message.Body.Length > MaxBodyLength)
        {
            throw new ValidationFailedException(prefix + "body", $"must be at most {MaxBodyLength} characters");
        }
        // Line breaks are the one control a message may hold: every line follows the one text rule.
        foreach (var line in message.Body.Split('\n'))
        {
            if (TextRules.Validate(line.TrimEnd('\r')) is { } rule)
            {
                throw new ValidationFailedException(prefix + "body", rule + " (line breaks are allowed)");
            }
        }
        var attachments = message.AttachmentIds ?? [];
        if (attachments.Count > MaxAttachments)
        {
            throw new ValidationFailedException(prefix + "attachmentIds", $"must hold at most {MaxAttachments} documents");
        }
        if (attachments.Any(string.IsNullOrWhiteSpace) || attachments.Any(a => a.Length > 100))
        {
            throw new ValidationFailedException(prefix + "attachmentIds", "must hold document ids (at most 100 characters each)");
        }
        if (attachments.Distinct(StringComparer.Ordinal).Count() != attachments.Count)
        {
            throw new ValidationFailedException(prefix + "attachmentIds", "must not name a document twice");
        }
        if (message.Convocation is { } convocation)
        {
            if (message.Type != MessageType.Convocation)
            {
                throw new ValidationFailedException(prefix + "convocation", "is only for messages of type CONVOCATION");
            }
            if (convocation.Place is { } place && (place.Length > MaxPlaceLength || TextRules.Validate(place) is not null))
            {
                throw new ValidationFailedException(prefix + "convocation.place", TextRules.Validate(place) ?? $"must be at most {MaxPlaceLength} characters");
            }
        }
    }

    /// <summary>An optional subject: at most 200 characters, the one text rule.</summary>
    public static void ValidateSubject(string? subject)
    {
        if (subject is null)
        {
            return;
        }
        if (subject.Length > MaxSubjectLength || TextRules.Validate(subject) is { })
        {
            throw new ValidationFailedException("subject", TextRules.Validate(subject) ?? $"must be at most {MaxSubjectLength} characters");
        }
    }

    /// <summary>A page size: 1 to <see cref="MaxPageSize"/>.</summary>
    public static void ValidatePageSize(int first)
    {
        if (first is < 1 or > MaxPageSize)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {MaxPageSize}");
        }
    }

    /// <summary>
    /// May a caller list a party's own conversations (a professional theirs, an establishment's system its own)?
    /// A professional's directory standing comes first (suspended or unknown: refused). The person's side is decided by their vault.
    /// </summary>
    public static AccessDecision DecideOwnListing(Caller caller, string party) =>
        caller.Kind == CallerKind.Anonymous ? AccessDecision.Deny(DenialReason.NotAuthenticated, "Sign in first.")
        : AccessEvaluator.ProfessionalStanding(caller) is { } standing ? standing
        : MessagingParty.OfProfessionalSide(caller) == party ? AccessDecision.Allow(LegalBasis.Owner, "These are your own conversations.")
        : AccessDecision.Deny(DenialReason.NotPermitted, "Only a professional lists their own conversations, and an establishment's system its own.");

    /// <summary>The one sentence for a person's reply in a no-reply conversation.</summary>
    public static AccessDecision NoReplyDenied { get; } = AccessDecision.Deny(DenialReason.NoReply,
        "This conversation carries institutional messages that cannot be answered: contact the establishment another way.");

    /// <summary>A participant who left the conversation writes and reads no more.</summary>
    public static AccessDecision LeftDenied { get; } = AccessDecision.Deny(DenialReason.NotPermitted,
        "You left this conversation: you can no longer read or write in it.");

    /// <summary>Someone who is not a participant.</summary>
    public static AccessDecision NotParticipantDenied { get; } = AccessDecision.Deny(DenialReason.NotPermitted,
        "You do not take part in this conversation.");

    /// <summary>The person writes to a professional who left.</summary>
    public static AccessDecision CounterpartLeftDenied { get; } = AccessDecision.Deny(DenialReason.NotPermitted,
        "The professional left this conversation: start a new one if they still have a basis to reach you.");
}
