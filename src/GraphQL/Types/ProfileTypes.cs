using Coffre.Domain.Profile;
using Coffre.Grains;
using Coffre.Grains.Profile;
using Coffre.Grains.Vaults;
using Coffre.GraphQL.Schema;
using GraphQL;
using GraphQL.Types;

namespace Coffre.GraphQL.Types;

/// <summary>
/// The person's medical profile on the vault (<c>Vault.profile</c>): every field goes to the person's profile grain, which
/// asks the vault to decide (each entry as a document of its section's type) and record the read first.
/// </summary>
public static class ProfileFields
{
    public const int DefaultPageSize = 20;

    public static IProfileGrain Profile(this IResolveFieldContext ctx, string vaultId) =>
        ctx.Grains().GetGrain<IProfileGrain>(GrainNames.Keys.Profile(vaultId));

    public static void AddTo(ObjectGraphType<VaultView> vault)
    {
        vault.Field<NonNullGraphType<ProfileEntryConnectionType>>("profile")
            .Description("The medical profile's entries you may read, newest first (in one section, or all). Each section is a document type for " +
                "the access rules (PROFILE-TREATMENTS…): the habilitation matrix, grants, referents, care team, carers, masking and break-glass " +
                $"apply as to documents. first: 1 to {ProfileRules.MaxPageSize}. Recorded in the access history (profile.list: the section and how many were shown).")
            .Argument<ProfileSectionType>("section")
            .Argument<IntGraphType>("first", a => a.DefaultValue = DefaultPageSize)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async ctx =>
            {
                var vaultId = ctx.Source.VaultId;
                var page = await ctx.Profile(vaultId).ListAsync(ctx.SignedInCaller(), ctx.GetArgument<ProfileSection?>("section"),
                    ctx.GetArgument("first", DefaultPageSize), ctx.GetArgument<string?>("after"));
                return new ProfileEntryConnection(page.Items.Select(e => new ProfileEntryNode(vaultId, e)).ToList(), page.HasNextPage, page.TotalCount);
            });
    }
}

/// <summary>A profile entry with the vault it belongs to (for its global id).</summary>
public sealed record ProfileEntryNode(string VaultId, ProfileEntry Entry);

public sealed record ProfileEntryConnection(IReadOnlyList<ProfileEntryNode> Items, bool HasNextPage, int TotalCount);

public sealed class ProfileSectionType : EnumerationGraphType<ProfileSection>
{
    public ProfileSectionType()
    {
        Name = "ProfileSection";
        Description = "The medical profile's sections: TREATMENTS, CONDITIONS (illnesses and history), ALLERGIES, VACCINATIONS, MEASUREMENTS.";
    }
}

public sealed class TreatmentStatusType : EnumerationGraphType<TreatmentStatus>
{
    public TreatmentStatusType() => Name = "TreatmentStatus";
}

public sealed class ConditionKindType : EnumerationGraphType<ConditionKind>
{
    public ConditionKindType()
    {
        Name = "ConditionKind";
        Description = "CONDITION (an illness), PAST_HISTORY, SURGERY, FAMILY_HISTORY.";
    }
}

public sealed class ConditionStatusType : EnumerationGraphType<ConditionStatus>
{
    public ConditionStatusType() => Name = "ConditionStatus";
}

public sealed class AllergyCategoryType : EnumerationGraphType<AllergyCategory>
{
    public AllergyCategoryType() => Name = "AllergyCategory";
}

public sealed class AllergyCriticalityType : EnumerationGraphType<AllergyCriticality>
{
    public AllergyCriticalityType() => Name = "AllergyCriticality";
}

public sealed class AllergyStatusType : EnumerationGraphType<AllergyStatus>
{
    public AllergyStatusType() => Name = "AllergyStatus";
}

public sealed class MeasurementKindType : EnumerationGraphType<MeasurementKind>
{
    public MeasurementKindType()
    {
        Name = "MeasurementKind";
        Description = "Each kind has one UCUM unit: WEIGHT kg, HEIGHT cm, BLOOD_PRESSURE mm[Hg] (systolic in value, diastolic in secondValue), " +
            "GLUCOSE g/L, HEART_RATE /min, TEMPERATURE Cel, HBA1C %.";
    }

    /// <summary>HbA1c reads HBA1C, not the split the default constant case would give it.</summary>
    protected override string ChangeEnumCase(string val) => val == nameof(MeasurementKind.HbA1c) ? "HBA1C" : base.ChangeEnumCase(val);
}

public sealed class CodingType : ObjectGraphType<Coding>
{
    public CodingType()
    {
        Name = "Coding";
        Description = "A coded concept: system (http://www.whocc.no/atc, http://hl7.org/fhir/sid/icd-10, http://snomed.info/sct, http://loinc.org, or text), code (\"\" for text), display.";
        Field(c => c.System);
        Field(c => c.Code);
        Field(c => c.Display, nullable: true);
    }
}

public sealed class TreatmentDetailsType : ObjectGraphType<TreatmentDetails>
{
    public TreatmentDetailsType()
    {
        Name = "Treatment";
        Field<NonNullGraphType<CodingType>>("medication").Resolve(ctx => ctx.Source.Medication);
        Field<NonNullGraphType<TreatmentStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field(t => t.Dosage, nullable: true);
        Field<DateOnlyGraphType>("startedOn").Resolve(ctx => ctx.Source.StartedOn);
        Field<DateOnlyGraphType>("endedOn").Resolve(ctx => ctx.Source.EndedOn);
        Field(t => t.Reason, nullable: true);
    }
}

public sealed class ConditionDetailsType : ObjectGraphType<ConditionDetails>
{
    public ConditionDetailsType()
    {
        Name = "Condition";
        Field<NonNullGraphType<CodingType>>("code").Resolve(ctx => ctx.Source.Code);
        Field<NonNullGraphType<ConditionKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field<NonNullGraphType<ConditionStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field<DateOnlyGraphType>("onsetOn").Resolve(ctx => ctx.Source.OnsetOn);
        Field<DateOnlyGraphType>("resolvedOn").Resolve(ctx => ctx.Source.ResolvedOn);
    }
}

public sealed class AllergyDetailsType : ObjectGraphType<AllergyDetails>
{
    public AllergyDetailsType()
    {
        Name = "Allergy";
        Field<NonNullGraphType<CodingType>>("substance").Resolve(ctx => ctx.Source.Substance);
        Field<NonNullGraphType<AllergyCategoryType>>("category").Resolve(ctx => ctx.Source.Category);
        Field<NonNullGraphType<AllergyCriticalityType>>("criticality").Resolve(ctx => ctx.Source.Criticality);
        Field<NonNullGraphType<AllergyStatusType>>("status").Resolve(ctx => ctx.Source.Status);
        Field(a => a.Reaction, nullable: true);
        Field<DateOnlyGraphType>("onsetOn").Resolve(ctx => ctx.Source.OnsetOn);
    }
}

public sealed class VaccinationDetailsType : ObjectGraphType<VaccinationDetails>
{
    public VaccinationDetailsType()
    {
        Name = "Vaccination";
        Field<NonNullGraphType<CodingType>>("vaccine").Resolve(ctx => ctx.Source.Vaccine);
        Field<NonNullGraphType<DateOnlyGraphType>>("administeredOn").Resolve(ctx => ctx.Source.AdministeredOn);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("targets")
            .Description("The diseases it protects against (see the guide for the closed list); the agenda's prevention items match them.")
            .Resolve(ctx => ctx.Source.Targets);
        Field<IntGraphType>("doseNumber").Resolve(ctx => ctx.Source.DoseNumber);
        Field(v => v.LotNumber, nullable: true);
    }
}

public sealed class MeasurementDetailsType : ObjectGraphType<MeasurementDetails>
{
    public MeasurementDetailsType()
    {
        Name = "Measurement";
        Field<NonNullGraphType<MeasurementKindType>>("kind").Resolve(ctx => ctx.Source.Kind);
        Field<NonNullGraphType<FloatGraphType>>("value").Resolve(ctx => (double)ctx.Source.Value);
        Field(m => m.Unit).Description("UCUM, fixed by the kind.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("measuredAt").Resolve(ctx => ctx.Source.MeasuredAt);
        Field<FloatGraphType>("secondValue").Description("BLOOD_PRESSURE: the diastolic pressure.")
            .Resolve(ctx => ctx.Source.SecondValue is { } v ? (double)v : null);
    }
}

public sealed class ProfileEntryType : ObjectGraphType<ProfileEntryNode>
{
    public ProfileEntryType()
    {
        Name = "ProfileEntry";
        Description = "One entry of the person's medical profile: exactly one of treatment, condition, allergy, vaccination, measurement is set (its section's).";
        Interface<NodeInterface>();
        IsTypeOf = o => o is ProfileEntryNode;
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(ctx => GlobalId.Encode("ProfileEntry", ctx.Source.VaultId + "/" + ctx.Source.Entry.Id));
        Field<NonNullGraphType<StringGraphType>>("entryId").Description("Pass it to hideProfileEntry and removeProfileEntry.").Resolve(ctx => ctx.Source.Entry.Id);
        Field<NonNullGraphType<ProfileSectionType>>("section").Resolve(ctx => ctx.Source.Entry.Section);
        Field<NonNullGraphType<AuthorType>>("author").Description("Who recorded it: the person, a representative, a carer, a professional (RPPS), an establishment's system (SYSTEM, its FINESS).")
            .Resolve(ctx => ctx.Source.Entry.Author);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("recordedAt").Resolve(ctx => ctx.Source.Entry.RecordedAt);
        Field<StringGraphType>("source").Description("Where it comes from, in words the person reads (a prescription, a vaccination booklet…).").Resolve(ctx => ctx.Source.Entry.Source);
        Field<StringGraphType>("note").Resolve(ctx => ctx.Source.Entry.Note);
        Field<NonNullGraphType<BooleanGraphType>>("hidden")
            .Description("Hidden from professionals by the person (only its author, and a treating physician the person granted, still see it).")
            .Resolve(ctx => ctx.Source.Entry.Visibility.MaskedFromProfessionals);
        Field<NonNullGraphType<BooleanGraphType>>("minorSecret")
            .Description("A minor's secret: never shown to the person's legal representatives (set when the entry is added).")
            .Resolve(ctx => ctx.Source.Entry.Visibility.InvisibleToRepresentatives);
        Field<TreatmentDetailsType>("treatment").Resolve(ctx => ctx.Source.Entry.Treatment);
        Field<ConditionDetailsType>("condition").Resolve(ctx => ctx.Source.Entry.Condition);
        Field<AllergyDetailsType>("allergy").Resolve(ctx => ctx.Source.Entry.Allergy);
        Field<VaccinationDetailsType>("vaccination").Resolve(ctx => ctx.Source.Entry.Vaccination);
        Field<MeasurementDetailsType>("measurement").Resolve(ctx => ctx.Source.Entry.Measurement);
    }
}

public sealed class ProfileEntryConnectionType : ObjectGraphType<ProfileEntryConnection>
{
    public ProfileEntryConnectionType()
    {
        Name = "ProfileEntryConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProfileEntryEdgeType>>>>("edges").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProfileEntryType>>>>("nodes").Resolve(ctx => ctx.Source.Items);
        Field<NonNullGraphType<PageInfoType>>("pageInfo")
            .Resolve(ctx => new PageInfo(ctx.Source.HasNextPage, ctx.Source.Items.Count > 0 ? ctx.Source.Items[^1].Entry.Id : null));
        Field(p => p.TotalCount).Description("Entries you may read (in the section asked, or all).");
    }
}

public sealed class ProfileEntryEdgeType : ObjectGraphType<ProfileEntryNode>
{
    public ProfileEntryEdgeType()
    {
        Name = "ProfileEntryEdge";
        Field<NonNullGraphType<ProfileEntryType>>("node").Resolve(ctx => ctx.Source);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(ctx => ctx.Source.Entry.Id);
    }
}

// ---------------------------------------------------------------- inputs

public sealed record CodingInput(string System, string? Code, string? Display)
{
    public Coding ToCoding() => new(System, Code ?? "", Display);
}

public sealed record TreatmentInput(CodingInput Medication, TreatmentStatus? Status, string? Dosage, DateOnly? StartedOn, DateOnly? EndedOn, string? Reason)
{
    public TreatmentDetails ToDetails() => new(Medication.ToCoding(), Status ?? TreatmentStatus.Active, Dosage, StartedOn, EndedOn, Reason);
}

public sealed record ConditionInput(CodingInput Code, ConditionKind? Kind, ConditionStatus? Status, DateOnly? OnsetOn, DateOnly? ResolvedOn)
{
    public ConditionDetails ToDetails() => new(Code.ToCoding(), Kind ?? ConditionKind.Condition, Status ?? ConditionStatus.Active, OnsetOn, ResolvedOn);
}

public sealed record AllergyInput(CodingInput Substance, AllergyCategory Category, AllergyCriticality? Criticality, AllergyStatus? Status, string? Reaction, DateOnly? OnsetOn)
{
    public AllergyDetails ToDetails() => new(Substance.ToCoding(), Category, Criticality ?? AllergyCriticality.Unknown, Status ?? AllergyStatus.Active, Reaction, OnsetOn);
}

public sealed record VaccinationInput(CodingInput Vaccine, DateOnly AdministeredOn, List<string> Targets, int? DoseNumber, string? LotNumber)
{
    public VaccinationDetails ToDetails() => new(Vaccine.ToCoding(), AdministeredOn, Targets, DoseNumber, LotNumber);
}

public sealed record MeasurementInput(MeasurementKind Kind, double Value, string? Unit, DateTimeOffset MeasuredAt, double? SecondValue)
{
    public MeasurementDetails ToDetails() => new(Kind, Decimal("measurement.value", Value), Unit ?? "", MeasuredAt,
        SecondValue is { } second ? Decimal("measurement.secondValue", second) : null);

    private static decimal Decimal(string field, double value) =>
        double.IsFinite(value) && Math.Abs(value) < 1e9 ? (decimal)value : throw new Coffre.Domain.Access.ValidationFailedException(field, "must be a finite number");
}

public sealed record AddProfileEntryInput(string VaultId, ProfileSection Section, string? Source, string? Note, TreatmentInput? Treatment,
    ConditionInput? Condition, AllergyInput? Allergy, VaccinationInput? Vaccination, MeasurementInput? Measurement, bool? MinorSecret = null) : IVaultInput
{
    public NewProfileEntry ToNew() => new(Section, Source, Note, Treatment?.ToDetails(), Condition?.ToDetails(), Allergy?.ToDetails(),
        Vaccination?.ToDetails(), Measurement?.ToDetails(), MinorSecret ?? false);
}

public sealed record HideProfileEntryInput(string VaultId, string EntryId, bool Hidden) : IVaultInput;

public sealed record RemoveProfileEntryInput(string VaultId, string EntryId) : IVaultInput;

public sealed class CodingInputType : InputObjectGraphType<CodingInput>
{
    public CodingInputType()
    {
        Name = "CodingInput";
        Field<NonNullGraphType<StringGraphType>>("system").Description("http://www.whocc.no/atc, http://hl7.org/fhir/sid/icd-10, http://snomed.info/sct, http://loinc.org, or text (which systems a field takes: see the guide).");
        Field<StringGraphType>("code").Description("The code in that system; \"\" (or omitted) for text.");
        Field<StringGraphType>("display").Description($"At most {ProfileRules.MaxText} characters; required for text.");
    }
}

public sealed class TreatmentInputType : InputObjectGraphType<TreatmentInput>
{
    public TreatmentInputType()
    {
        Name = "TreatmentInput";
        Field<NonNullGraphType<CodingInputType>>("medication").Description("ATC, SNOMED CT or text.");
        Field<TreatmentStatusType>("status").Description("Default ACTIVE.");
        Field<StringGraphType>("dosage");
        Field<DateOnlyGraphType>("startedOn");
        Field<DateOnlyGraphType>("endedOn");
        Field<StringGraphType>("reason");
    }
}

public sealed class ConditionInputType : InputObjectGraphType<ConditionInput>
{
    public ConditionInputType()
    {
        Name = "ConditionInput";
        Field<NonNullGraphType<CodingInputType>>("code").Description("CIM-10 (ICD-10), SNOMED CT or text.");
        Field<ConditionKindType>("kind").Description("Default CONDITION.");
        Field<ConditionStatusType>("status").Description("Default ACTIVE.");
        Field<DateOnlyGraphType>("onsetOn");
        Field<DateOnlyGraphType>("resolvedOn");
    }
}

public sealed class AllergyInputType : InputObjectGraphType<AllergyInput>
{
    public AllergyInputType()
    {
        Name = "AllergyInput";
        Field<NonNullGraphType<CodingInputType>>("substance").Description("ATC, SNOMED CT or text.");
        Field<NonNullGraphType<AllergyCategoryType>>("category");
        Field<AllergyCriticalityType>("criticality").Description("Default UNKNOWN.");
        Field<AllergyStatusType>("status").Description("Default ACTIVE.");
        Field<StringGraphType>("reaction");
        Field<DateOnlyGraphType>("onsetOn");
    }
}

public sealed class VaccinationInputType : InputObjectGraphType<VaccinationInput>
{
    public VaccinationInputType()
    {
        Name = "VaccinationInput";
        Field<NonNullGraphType<CodingInputType>>("vaccine").Description("ATC (J07…), SNOMED CT or text.");
        Field<NonNullGraphType<DateOnlyGraphType>>("administeredOn");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("targets")
            .Description($"1 to {ProfileRules.MaxTargets} of: {string.Join(", ", ProfileRules.VaccinationTargets)}.");
        Field<IntGraphType>("doseNumber").Description($"1 to {ProfileRules.MaxDoseNumber}.");
        Field<StringGraphType>("lotNumber");
    }
}

public sealed class MeasurementInputType : InputObjectGraphType<MeasurementInput>
{
    public MeasurementInputType()
    {
        Name = "MeasurementInput";
        Field<NonNullGraphType<MeasurementKindType>>("kind");
        Field<NonNullGraphType<FloatGraphType>>("value").Description("In the kind's unit, within plausible bounds (see the guide).");
        Field<StringGraphType>("unit").Description("Omitted: the kind's unit; given: must be it.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("measuredAt");
        Field<FloatGraphType>("secondValue").Description("BLOOD_PRESSURE only, required there: the diastolic pressure.");
    }
}

public sealed class AddProfileEntryInputType : InputObjectGraphType<AddProfileEntryInput>
{
    public AddProfileEntryInputType()
    {
        Name = "AddProfileEntryInput";
        Description = "Exactly one detail input: the section's (treatment for TREATMENTS, condition for CONDITIONS, allergy, vaccination, measurement).";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<ProfileSectionType>>("section");
        Field<StringGraphType>("source").Description($"Where it comes from, at most {ProfileRules.MaxText} characters.");
        Field<StringGraphType>("note").Description($"At most {ProfileRules.MaxNote} characters.");
        Field<TreatmentInputType>("treatment");
        Field<ConditionInputType>("condition");
        Field<AllergyInputType>("allergy");
        Field<VaccinationInputType>("vaccination");
        Field<MeasurementInputType>("measurement");
        Field<BooleanGraphType>("minorSecret").Description(
            "A minor's secret (INVISIBLE_REPRESENTANTS_LEGAUX), as for documents: the entry is never shown to the person's legal representatives and they are not notified of it. Only on a minor's vault (else VALIDATION on minorSecret); never set by a representative.");
    }
}

public sealed class HideProfileEntryInputType : InputObjectGraphType<HideProfileEntryInput>
{
    public HideProfileEntryInputType()
    {
        Name = "HideProfileEntryInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<StringGraphType>>("entryId");
        Field<NonNullGraphType<BooleanGraphType>>("hidden").Description("true: hidden from professionals (its author still sees it); false: shown again.");
    }
}

public sealed class RemoveProfileEntryInputType : InputObjectGraphType<RemoveProfileEntryInput>
{
    public RemoveProfileEntryInputType()
    {
        Name = "RemoveProfileEntryInput";
        Field<NonNullGraphType<IdGraphType>>("vaultId");
        Field<NonNullGraphType<StringGraphType>>("entryId");
    }
}

public sealed class AddProfileEntryPayloadType() : PayloadType<ProfileEntryType>("AddProfileEntryPayload", "entry", withVault: false);
public sealed class HideProfileEntryPayloadType() : PayloadType<ProfileEntryType>("HideProfileEntryPayload", "entry", withVault: false);
public sealed class RemoveProfileEntryPayloadType() : PayloadType<StringGraphType>("RemoveProfileEntryPayload", "removedEntryId", withVault: false);

public sealed class ProfileEntryAddedNoticeType : NoticeType<ProfileEntryAddedNotice>
{
    public ProfileEntryAddedNoticeType() : base("PROFILE_ENTRY_ADDED: someone else added an entry to the person's medical profile (which section, who, when; never its content).")
    {
        Field(n => n.EntryId);
        Field<NonNullGraphType<ProfileSectionType>>("section").Resolve(ctx => ctx.Source.Section);
        Field<NonNullGraphType<AuthorKindType>>("authorKind").Resolve(ctx => ctx.Source.AuthorKind);
        Field(n => n.By).Description("RPPS, establishment system client id, or the vault id of a representative or carer.");
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Resolve(ctx => ctx.Source.At);
    }
}
