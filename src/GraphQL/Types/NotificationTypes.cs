using Coffre.Grains.Vaults;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed class NotificationType : ObjectGraphType<VaultNotification>
{
    public NotificationType()
    {
        Name = "Notification";
        Description = "One of the person's notifications: its kind, and that kind's details in payload.";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(ctx => ctx.Source.Id);
        Field<NonNullGraphType<NotificationKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field<NonNullGraphType<NotificationPayloadType>>("payload")
            .Description("The details, one type per kind (select them with `... on FirstAccessNotice { … }`).")
            .Resolve(ctx => ctx.Source.Payload);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("createdAt").Resolve(ctx => ctx.Source.CreatedAt);
        Field<DateTimeOffsetGraphType>("deliveredAt").Resolve(ctx => ctx.Source.DeliveredAt);
    }
}

public sealed class NotificationKindType : EnumerationGraphType<NotificationKind>
{
    public NotificationKindType()
    {
        Name = "NotificationKind";
        Description = "What a notification tells: each kind's payload is the type of the same name (FIRST_ACCESS: FirstAccessNotice, …).";
    }
}

public sealed class NotificationPayloadType : UnionGraphType
{
    public NotificationPayloadType()
    {
        Name = "NotificationPayload";
        Description = "A notification's details, by kind.";
        Type<FirstAccessNoticeType>();
        Type<BreakGlassNoticeType>();
        Type<NewDocumentNoticeType>();
        Type<NirAttachedNoticeType>();
        Type<HandOverIssuedNoticeType>();
        Type<VaultMergedNoticeType>();
        Type<RepresentativeAddedNoticeType>();
        Type<AccompanimentHandedOverNoticeType>();
        Type<AccompanimentEndedNoticeType>();
        Type<MessageReceivedNoticeType>();
        Type<AppointmentChangedNoticeType>();
        Type<AppointmentReminderNoticeType>();
        Type<ShareLinkOpenedNoticeType>();
        Type<ShareLinkLockedNoticeType>();
        Type<CarerDelegationStartedNoticeType>();
        Type<CarerDelegationEndedNoticeType>();
        Type<BreakGlassReviewedNoticeType>();
        Type<MajorityReachedNoticeType>();
        Type<RepresentationEndedAtMajorityNoticeType>();
        Type<ExportReadyNoticeType>();
        Type<ProfileEntryAddedNoticeType>();
        Type<AppConnectedNoticeType>();
        Type<AppDisconnectedNoticeType>();
    }
}

/// <summary>A notification payload's object type: named after its record, and recognised by it inside the union.</summary>
public abstract class NoticeType<T> : ObjectGraphType<T> where T : NotificationPayload
{
    protected NoticeType(string description)
    {
        Name = typeof(T).Name;
        Description = description;
        IsTypeOf = o => o is T;
    }
}

public sealed class FirstAccessNoticeType : NoticeType<FirstAccessNotice>
{
    public FirstAccessNoticeType() : base("FIRST_ACCESS: a professional reached the vault for the first time.")
    {
        Field(n => n.Rpps).Description("The professional's RPPS (or ADELI, or Coffre identifier).");
        Field(n => n.Profession, nullable: true).Description("Their profession code, from the directory.");
        Field<NonNullGraphType<LegalBasisType>>("basis").Description("On which basis they were let in.").Resolve(ctx => ctx.Source.Basis);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class BreakGlassNoticeType : NoticeType<BreakGlassNotice>
{
    public BreakGlassNoticeType() : base("BREAK_GLASS: a professional opened the vault's emergency documents without a grant.")
    {
        Field(n => n.Rpps);
        Field(n => n.Profession, nullable: true);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("startedAt").Resolve(ctx => ctx.Source.StartedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
    }
}

public sealed class NewDocumentNoticeType : NoticeType<NewDocumentNotice>
{
    public NewDocumentNoticeType() : base("NEW_DOCUMENT: someone else deposited a document in the vault.")
    {
        Field(n => n.DocumentId);
        Field(n => n.ClassCode);
        Field(n => n.TypeCode);
        Field(n => n.SenderFiness, nullable: true).Description("The establishment whose system fed the document; null for a deposit by a person or a professional.");
        Field(n => n.SenderName, nullable: true).Description("That establishment's name in the directory.");
    }
}

public sealed class NirAttachedNoticeType : NoticeType<NirAttachedNotice>
{
    public NirAttachedNoticeType() : base("NIR_ATTACHED: the person's NIR was attached to the vault.")
    {
        Field(n => n.By).Description("Who attached it (RPPS, or an operator's subject).");
        Field(n => n.NirMasked).Description("The NIR with only its first digit and key shown.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class HandOverIssuedNoticeType : NoticeType<HandOverIssuedNotice>
{
    public HandOverIssuedNoticeType() : base("HAND_OVER_ISSUED: a hand-over sheet was printed for the vault (it replaces any earlier one).")
    {
        Field(n => n.By).Description("Who issued it (RPPS, or an operator's subject).");
        Field(n => n.Reference).Description("The sheet's short reference.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("issuedAt").Resolve(ctx => ctx.Source.IssuedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
    }
}

public sealed class VaultMergedNoticeType : NoticeType<VaultMergedNotice>
{
    public VaultMergedNoticeType() : base("VAULT_MERGED: an operator merged two vaults of the person (sent on both).")
    {
        Field<NonNullGraphType<StringGraphType>>("sourceVaultId").Description("The vault merged (and closed).").Resolve(ctx => ctx.Source.From);
        Field<NonNullGraphType<StringGraphType>>("targetVaultId").Description("The vault it was merged into.").Resolve(ctx => ctx.Source.Into);
        Field<IntGraphType>("documentsMoved").Description("On the target vault's notice: how many documents moved; null on the source's.").Resolve(ctx => ctx.Source.Documents);
        Field(n => n.By).Description("The operator.");
        Field(n => n.Reason).Description("The operator's stated reason.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class RepresentativeAddedNoticeType : NoticeType<RepresentativeAddedNotice>
{
    public RepresentativeAddedNoticeType() : base("REPRESENTATIVE_ADDED: a legal representative may now act for the person (sent to the person and the other representatives).")
    {
        Field(n => n.VaultId).Description("The represented person's vault.");
        Field(n => n.RepresentativeVaultId);
        Field<NonNullGraphType<RepresentationKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field(n => n.RecordedBy);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("since").Resolve(ctx => ctx.Source.Since);
        Field<DateTimeOffsetGraphType>("until").Resolve(ctx => ctx.Source.Until);
        Field(n => n.Court, nullable: true).Description("Tutelle, curatelle: the court that decided it.");
        Field(n => n.DecisionReference, nullable: true);
        Field<DateOnlyGraphType>("decisionDate").Resolve(ctx => ctx.Source.DecisionDate);
    }
}

public sealed class AccompanimentHandedOverNoticeType : NoticeType<AccompanimentHandedOverNotice>
{
    public AccompanimentHandedOverNoticeType() : base("ACCOMPANIMENT_HANDED_OVER: an establishment that accompanies the person handed the referent's mandate over to another of its members (the person's consent is kept).")
    {
        Field(n => n.Finess).Description("The establishment that holds the mandate.");
        Field(n => n.EstablishmentName, nullable: true).Description("The establishment's name in the directory.");
        Field(n => n.FromRpps).Description("The former referent.");
        Field(n => n.FromName, nullable: true).Description("The former referent's name in the directory; null when it does not know them.");
        Field(n => n.ToRpps).Description("The new referent.");
        Field(n => n.ToName, nullable: true).Description("The new referent's name in the directory.");
        Field(n => n.By).Description("Who handed it over (the former referent or an admin member: RPPS).");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class AccompanimentEndedNoticeType : NoticeType<AccompanimentEndedNotice>
{
    public AccompanimentEndedNoticeType() : base("ACCOMPANIMENT_ENDED: an establishment ended its accompaniment of the person (its referents' mandates).")
    {
        Field(n => n.Finess).Description("The establishment.");
        Field(n => n.EstablishmentName, nullable: true).Description("The establishment's name in the directory.");
        Field(n => n.By).Description("Who ended it (an admin member or referent: RPPS; the establishment's system: its client id).");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class MajorityReachedNoticeType : NoticeType<MajorityReachedNotice>
{
    public MajorityReachedNoticeType() : base("MAJORITY_REACHED: the person turned 18; their parents' representation ended and the vault is theirs alone.")
    {
        Field(n => n.VaultId);
        Field(n => n.ParentsLosingAccess).Description("How many parent representations ended.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class RepresentationEndedAtMajorityNoticeType : NoticeType<RepresentationEndedAtMajorityNotice>
{
    public RepresentationEndedAtMajorityNoticeType() : base("REPRESENTATION_ENDED_AT_MAJORITY: to a parent: the person they represented turned 18; their access ended.")
    {
        Field(n => n.VaultId).Description("The vault of the person who turned 18.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}
