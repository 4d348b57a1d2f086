using Coffre.Domain.Access;
using Coffre.Domain.Vaults;
using Coffre.Grains.Vaults;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

public sealed class DocumentScopeType : ObjectGraphType<DocumentScope>
{
    public DocumentScopeType()
    {
        Name = "DocumentScope";
        Description = "Which documents a grant or consent covers; a null list means all.";
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("classCodes").Resolve(ctx => ctx.Source.ClassCodes);
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("typeCodes").Resolve(ctx => ctx.Source.TypeCodes);
    }
}

public sealed class GrantType : ObjectGraphType<Grant>
{
    public GrantType()
    {
        Name = "Grant";
        Field(g => g.Id);
        Field<NonNullGraphType<GranteeKindType>>("granteeKind").Resolve(ctx => ctx.Source.GranteeKind);
        Field(g => g.Grantee).Description("RPPS of a professional or FINESS of an establishment.");
        Field<NonNullGraphType<DocumentScopeType>>("scope").Resolve(ctx => ctx.Source.Scope);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("grantedAt").Resolve(ctx => ctx.Source.GrantedAt);
        Field<DateTimeOffsetGraphType>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
        Field<DateTimeOffsetGraphType>("revokedAt").Resolve(ctx => ctx.Source.RevokedAt);
        Field(g => g.GrantedBy);
        Field(g => g.TreatingPhysician).Description("The treating physician also sees documents masked from professionals.");
    }
}

public sealed class BlockType : ObjectGraphType<Block>
{
    public BlockType()
    {
        Name = "Block";
        Field(b => b.Rpps);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}

public sealed class ConsentType : ObjectGraphType<Consent>
{
    public ConsentType()
    {
        Name = "Consent";
        Description = "The person's consent as recorded: who, when, how, for what, until when.";
        Field(c => c.RecordedBy);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("recordedAt").Resolve(ctx => ctx.Source.RecordedAt);
        Field<NonNullGraphType<ConsentMethodType>>("method").Resolve(ctx => ctx.Source.Method);
        Field<NonNullGraphType<DocumentScopeType>>("scope").Resolve(ctx => ctx.Source.Scope);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
        Field(c => c.Evidence, nullable: true);
    }
}

public sealed class ReferentType : ObjectGraphType<Referent>
{
    public ReferentType()
    {
        Name = "Referent";
        Description = "A trusted third party (a professional and their establishment) acting with the person's recorded consent.";
        Field(r => r.Rpps);
        Field(r => r.EstablishmentFiness, nullable: true);
        Field<NonNullGraphType<ConsentType>>("consent").Resolve(ctx => ctx.Source.Consent);
        Field<DateTimeOffsetGraphType>("revokedAt").Resolve(ctx => ctx.Source.RevokedAt);
        Field<DateTimeOffsetGraphType>("handedOverAt").Description("When the mandate was handed over to this referent (the consent is the person's, unchanged); null otherwise.").Resolve(ctx => ctx.Source.HandedOverAt);
    }
}

public sealed class RepresentativeType : ObjectGraphType<LegalRepresentative>
{
    public RepresentativeType()
    {
        Name = "Representative";
        Field(r => r.RepresentativeVaultId);
        Field<NonNullGraphType<RepresentationKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("since").Resolve(ctx => ctx.Source.Since);
        Field<DateTimeOffsetGraphType>("until").Resolve(ctx => ctx.Source.Until);
        Field<DateTimeOffsetGraphType>("personConsentedAt").Resolve(ctx => ctx.Source.PersonConsentedAt);
        Field<StringGraphType>("court").Description("Tutelle, curatelle: the court that decided it.").Resolve(ctx => ctx.Source.Decision?.Court);
        Field<StringGraphType>("decisionReference").Description("Tutelle, curatelle: the court decision's reference.").Resolve(ctx => ctx.Source.Decision?.Reference);
        Field<DateOnlyGraphType>("decisionDate").Description("Tutelle, curatelle: the court decision's date.").Resolve(ctx => ctx.Source.Decision?.Date);
    }
}

public sealed class BreakGlassSessionType : ObjectGraphType<BreakGlassSession>
{
    public BreakGlassSessionType()
    {
        Name = "BreakGlassSession";
        Description = "Emergency access: time-boxed, emergency documents only, shown to the person.";
        Field(s => s.Rpps);
        Field(s => s.Reason);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("startedAt").Resolve(ctx => ctx.Source.StartedAt);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("expiresAt").Resolve(ctx => ctx.Source.ExpiresAt);
        BreakGlassReviewFields.AddToSession(this);
    }
}

public sealed class AccessEventType : ObjectGraphType<AccessHistoryEntry>
{
    public AccessEventType()
    {
        Name = "AccessEvent";
        Description = "One access to the vault: who, what, when, allowed or not, on which legal basis.";
        Field(e => e.Sequence).Description("Position in the vault's hash chain.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.Event.At);
        Field<NonNullGraphType<CallerKindType>>("actorKind").Resolve(ctx => ctx.Source.Event.ActorKind);
        Field<NonNullGraphType<StringGraphType>>("actorId").Description("RPPS for professionals, vault id for people, subject for operators.").Resolve(ctx => ctx.Source.Event.ActorId);
        Field<StringGraphType>("actorProfession").Description("A professional's profession code (from the directory); null for others.")
            .Resolve(ctx => ctx.Source.Event.ActorKind is CallerKind.Operator or CallerKind.Establishment ? null : ctx.Source.Event.ActorProfession);
        Field<StringGraphType>("actorRole")
            .Description("In what capacity the actor acted: a professional's profession code; an operator's roles (support, rollout, directory-admin; space-separated); an establishment system's establishment (finess: and its FINESS), e.g. the sender of a fed document.")
            .Resolve(ctx => ctx.Source.Event.ActorProfession);
        Field<NonNullGraphType<AuditActionType>>("action").Resolve(ctx => ctx.Source.Event.Action);
        Field<NonNullGraphType<StringGraphType>>("operation").Resolve(ctx => ctx.Source.Event.Operation);
        Field<NonNullGraphType<StringGraphType>>("target").Resolve(ctx => ctx.Source.Event.Target);
        Field<NonNullGraphType<BooleanGraphType>>("allowed").Resolve(ctx => ctx.Source.Event.Allowed);
        Field<NonNullGraphType<LegalBasisType>>("basis").Resolve(ctx => ctx.Source.Event.Basis);
        Field<NonNullGraphType<DenialReasonType>>("reason").Resolve(ctx => ctx.Source.Event.Reason);
        Field<NonNullGraphType<IntGraphType>>("count")
            .Description("How many identical accesses this event stands for: 1, or for repeated denials of one caller the number between firstAt and at.")
            .Resolve(ctx => ctx.Source.Event.Count);
        Field<DateTimeOffsetGraphType>("firstAt").Description("For an event standing for several denials (count > 1): the first of them; at is the last.")
            .Resolve(ctx => ctx.Source.Event.FirstAt);
    }
}

public sealed class AccessEventConnectionType : ObjectGraphType<AccessHistoryPage>
{
    public AccessEventConnectionType()
    {
        Name = "AccessEventConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AccessEventEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AccessEventType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasMore, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
        Field<NonNullGraphType<LongGraphType>>("totalCount").Resolve(ctx => ctx.Source.TotalCount);
    }
}

public sealed class AccessEventEdgeType : ObjectGraphType<AccessHistoryEntry>
{
    public AccessEventEdgeType()
    {
        Name = "AccessEventEdge";
        Field<NonNullGraphType<AccessEventType>>("node").Resolve(ctx => ctx.Source);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class AuditChainReportType : ObjectGraphType<AuditChainReport>
{
    public AuditChainReportType()
    {
        Name = "AuditChainReport";
        Field(r => r.Intact);
        Field<NonNullGraphType<LongGraphType>>("eventsChecked").Resolve(ctx => ctx.Source.EventsChecked);
        Field<LongGraphType>("firstBrokenSequence").Resolve(ctx => ctx.Source.FirstBrokenSequence);
        Field(r => r.Problem, nullable: true);
    }
}
