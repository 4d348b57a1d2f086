using Coffre.Application.Outbox;
using Coffre.Domain.Access;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>Notifications are typed for the API; the outbox keeps the JSON it always kept, and old rows still read.</summary>
public sealed class NotificationCodecTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private static OutboxMessage Message(string kind, string json, OutboxChannel channel = OutboxChannel.InApp) =>
        new(Guid.NewGuid(), channel, "v-aaaaaaaaaaaaaaaaaaaa", kind, json, At);

    [Fact]
    public void Payloads_written_before_they_were_typed_still_read()
    {
        var firstAccess = NotificationCodec.Decode(Message("first-access", """{"rpps":"10000123454","profession":"10","basis":"Grant","at":"2026-03-02T10:00:00+00:00"}"""));
        Assert.Equal(NotificationKind.FirstAccess, firstAccess!.Kind);
        Assert.Equal(new FirstAccessNotice("10000123454", "10", LegalBasis.Grant, At), firstAccess.Payload);

        var representative = NotificationCodec.Decode(Message("representative-added",
            """{"vaultId":"v-a","representativeVaultId":"v-b","kind":"Tutor","recordedBy":"op-1","since":"2026-03-02T10:00:00+00:00","until":null,"court":"TJ Paris","decisionReference":"RG 1","decisionDate":"2026-01-15"}"""));
        Assert.Equal(new RepresentativeAddedNotice("v-a", "v-b", RepresentationKind.Tutor, "op-1", At, null, "TJ Paris", "RG 1", new DateOnly(2026, 1, 15)), representative!.Payload);

        var mergedOut = NotificationCodec.Decode(Message("vault-merged", """{"from":"v-a","into":"v-b","by":"op-1","reason":"same person","at":"2026-03-02T10:00:00+00:00"}"""));
        Assert.Equal(new VaultMergedNotice("v-a", "v-b", "op-1", "same person", At), mergedOut!.Payload);
    }

    [Fact]
    public void Every_kind_round_trips_through_the_outbox_format()
    {
        NotificationPayload[] payloads =
        [
            new FirstAccessNotice("10000123454", null, LegalBasis.BreakGlass, At),
            new BreakGlassNotice("10000123454", "10", At, At.AddHours(1)),
            new NewDocumentNotice("d-000001-abcdefgh", "11", "11502-2"),
            new NirAttachedNotice("rpps:10000987650", "2 ** ** ** *** *** 72", At),
            new HandOverIssuedNotice("op-1", "HO-ABC123", At, At.AddDays(30)),
            new VaultMergedNotice("v-a", "v-b", "op-1", "same person", At, 3),
            new RepresentativeAddedNotice("v-a", "v-b", RepresentationKind.Parent, "op-1", At, At.AddYears(10), null, null, null),
            new AccompanimentHandedOverNotice("750012347", "Service", "10000123454", "A. Martin", "10000987650", null, "10000123454", At),
            new AccompanimentEndedNotice("750012347", null, "client-750012347", At),
            new MessageReceivedNotice("conv-0123456789abcdefghjk", Coffre.Grains.Messaging.ParticipantKind.Professional, "Dr A. Martin",
                Coffre.Domain.Messaging.MessageType.Convocation, false),
            new AppointmentChangedNotice("a-000001-abcdefgh", "proposed", "10000123454", "Consultation", At.AddDays(3), At),
            new AppointmentReminderNotice("a-000001-abcdefgh", "Consultation", At.AddDays(1), 1440, "Cabinet, 3 rue X"),
            new ShareLinkOpenedNotice("0123456789abcdefghjkmnpqrs", At, 1),
            new ShareLinkLockedNotice("0123456789abcdefghjkmnpqrs", At),
            new CarerDelegationStartedNotice("cd-abc", "v-carer", "Ma fille", CarerActions.Read | CarerActions.Deposit, "10, 52", At.AddMonths(6)),
            new CarerDelegationEndedNotice("cd-abc", "v-carer", null, "v-carer", At),
            new BreakGlassReviewedNotice("bg-abc", "bgr-abc", BreakGlassReviewOutcome.NotJustified, "The establishment was told.", At),
            new MajorityReachedNotice("v-a", 2, At),
            new RepresentationEndedAtMajorityNotice("v-a", At),
            new ExportReadyNotice("x-0123456789abcdefghjk", 123456, At.AddDays(7), "/vaults/v-a/exports/x-0123456789abcdefghjk"),
            new ProfileEntryAddedNotice("pe-0123456789abcdefghjk", Coffre.Domain.Profile.ProfileSection.Allergies, Coffre.Domain.Documents.AuthorKind.Professional, "10000123454", At),
            new AppConnectedNotice("app-0123456789", "Mon suivi", "documents.read:11 agenda.read", At),
            new AppDisconnectedNotice("app-0123456789", "v-a", At),
        ];
        Assert.Equal(Enum.GetValues<NotificationKind>().Length, payloads.Length);
        foreach (var payload in payloads)
        {
            var (kind, json) = NotificationCodec.Encode(payload);
            Assert.DoesNotContain("\"Rpps\"", json, StringComparison.Ordinal);
            var decoded = NotificationCodec.Decode(Message(kind, json));
            Assert.NotNull(decoded);
            Assert.Equal(payload, decoded.Payload);
            Assert.Equal(NotificationCodec.KindOf(payload), decoded.Kind);
        }
        Assert.Contains("\"basis\":\"BreakGlass\"", NotificationCodec.Encode(payloads[0]).PayloadJson, StringComparison.Ordinal);
    }

    [Fact]
    public void What_is_not_an_in_app_notification_of_a_known_kind_is_left_out()
    {
        Assert.Null(NotificationCodec.Decode(Message("activation-code", """{"campaign":"c-1","code":"x"}""", OutboxChannel.Email)));
        Assert.Null(NotificationCodec.Decode(Message("new-document", """{"documentId":"d","classCode":"11","typeCode":"t"}""", OutboxChannel.Email)));
        Assert.Null(NotificationCodec.Decode(Message("some-future-kind", "{}")));
        Assert.Null(NotificationCodec.Decode(Message("first-access", """{"profession":"10"}""")));
        Assert.Null(NotificationCodec.Decode(Message("first-access", "not json")));
    }
}
