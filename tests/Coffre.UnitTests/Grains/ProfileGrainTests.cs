using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Profile;
using Coffre.Domain.Vaults;
using Coffre.Grains;
using Coffre.Grains.Agenda;
using Coffre.Grains.Profile;
using Coffre.Grains.Vaults;
using Xunit;

namespace Coffre.UnitTests.Grains;

/// <summary>
/// The profile grain in the in-process cluster: every call decided by the person's vault (one access-history line each),
/// add/list/hide/remove, bounds, the notice to the person, and vaccinations marking the agenda's prevention items done.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ProfileGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset NextYear = DateTimeOffset.UtcNow.AddYears(1);
    private static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    private static string NewRpps()
    {
        var body = "1" + Random.Shared.NextInt64(0, 999_999_999).ToString("D9");
        return body + Luhn.CheckDigit(body);
    }

    private sealed record Scene(IVaultGrain Vault, IProfileGrain Profile, IAgendaGrain Agenda, string VaultId, Caller Owner, Caller Doctor,
        Caller Nurse, Caller Social, Caller Stranger);

    /// <summary>A social worker opens the vault (referent); the person grants a doctor and a nurse; a stranger doctor has no basis.</summary>
    private async Task<Scene> OpenAsync(DateOnly? birthDate = null)
    {
        var vaultId = Ids.NewVaultId();
        var social = Caller.Professional(NewRpps(), "SOC-AS");
        var vault = fixture.Grains.GetGrain<IVaultGrain>(vaultId);
        await vault.OpenAsync(social, new OpenVault(new IdentityTraits("Martin", "Paule", birthDate ?? new DateOnly(1974, 3, 2), Sex.Female),
            new ConsentRecord(ConsentMethod.SignedPaper, DocumentScope.All, NextYear, "form 2026-001"),
            IsMinor: birthDate is { } born && born.AddYears(18) > Today));
        var owner = Caller.Patient(vaultId);
        var doctor = Caller.Professional(NewRpps(), "10");
        var nurse = Caller.Professional(NewRpps(), "60");
        await vault.GrantAccessAsync(owner, new GrantRequest(GranteeKind.Professional, doctor.Rpps!, DocumentScope.All, NextYear));
        await vault.GrantAccessAsync(owner, new GrantRequest(GranteeKind.Professional, nurse.Rpps!, DocumentScope.All, NextYear));
        return new Scene(vault, fixture.Grains.GetGrain<IProfileGrain>(GrainNames.Keys.Profile(vaultId)),
            fixture.Grains.GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(vaultId)), vaultId, owner, doctor, nurse, social,
            Caller.Professional(NewRpps(), "10"));
    }

    private static NewProfileEntry Allergy(string text = "Pénicilline") => new(ProfileSection.Allergies, "carnet de santé", null,
        Allergy: new AllergyDetails(new Coding("text", "", text), AllergyCategory.Medication, AllergyCriticality.High, AllergyStatus.Active, "urticaire"));

    private static NewProfileEntry Treatment() => new(ProfileSection.Treatments, "ordonnance",
        Treatment: new TreatmentDetails(new Coding(ProfileRules.Atc, "C09AA05", "ramipril"), TreatmentStatus.Active, "5 mg par jour", Today.AddMonths(-2)));

    private static NewProfileEntry Vaccination(DateOnly on, params string[] targets) => new(ProfileSection.Vaccinations, "carnet de vaccination",
        Vaccination: new VaccinationDetails(new Coding(ProfileRules.Atc, "J07AM51", "dTP"), on, targets, 1, "LOT-42"));

    [Fact]
    public async Task The_person_and_a_granted_doctor_add_and_read_a_stranger_is_denied_and_a_social_worker_sees_nothing()
    {
        var scene = await OpenAsync();
        var own = await scene.Profile.AddAsync(scene.Owner, Allergy("  Arachide  "));
        Assert.StartsWith("pe-", own.Id, StringComparison.Ordinal);
        Assert.Equal(AuthorKind.Person, own.Author.Kind);
        Assert.Equal("Arachide", own.Allergy!.Substance.Display);
        var prescribed = await scene.Profile.AddAsync(scene.Doctor, Treatment());
        Assert.Equal(new Author(AuthorKind.Professional, scene.Doctor.Rpps!), prescribed.Author);

        var person = await scene.Profile.ListAsync(scene.Owner, null, 20, null);
        Assert.Equal([prescribed.Id, own.Id], person.Items.Select(e => e.Id));
        var doctors = await scene.Profile.ListAsync(scene.Doctor, ProfileSection.Allergies, 20, null);
        Assert.Equal(own.Id, Assert.Single(doctors.Items).Id);
        Assert.Equal(prescribed.Id, (await scene.Profile.GetAsync(scene.Doctor, prescribed.Id)).Id);

        // The nurse's profession does not record treatments.
        var nurse = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.AddAsync(scene.Nurse, Treatment()));
        Assert.Equal(DenialReason.ProfessionNotHabilitated, nurse.Code);
        var stranger = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.ListAsync(scene.Stranger, null, 20, null));
        Assert.Equal(DenialReason.NoBasis, stranger.Code);
        // The social worker (the person's referent) reaches the vault but the matrix shows them no section.
        Assert.Equal(0, (await scene.Profile.ListAsync(scene.Social, null, 20, null)).TotalCount);
        var social = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.GetAsync(scene.Social, own.Id));
        Assert.Equal(DenialReason.ProfessionNotHabilitated, social.Code);

        // One line per call, naming the section and how many entries were shown.
        var history = (await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100)).Items.Select(i => i.Event).ToList();
        Assert.Contains(history, e => e.Operation == "profile.list" && e.ActorId == scene.Doctor.Rpps && e.Target == "profile:allergies;shown=1" && e.Allowed);
        Assert.Contains(history, e => e.Operation == "profile.list" && e.ActorId == scene.Owner.Subject && e.Target == "profile:all;shown=2");
        Assert.Contains(history, e => e.Operation == "profile.list" && e.ActorId == scene.Social.Rpps && e.Target == "profile:all;shown=0");
        Assert.Contains(history, e => e.Operation == "profile.add" && e.Target == $"profile:treatments/{prescribed.Id}" && e.Basis == LegalBasis.Grant);
        Assert.Contains(history, e => e.Operation == "profile.add" && e.ActorId == scene.Nurse.Rpps && !e.Allowed);
        Assert.Contains(history, e => e.Operation == "profile.list" && e.ActorId == scene.Stranger.Rpps && !e.Allowed);
        Assert.DoesNotContain(history, e => e.Target.Contains("ramipril", StringComparison.OrdinalIgnoreCase));

        // The person is told of the doctor's entry (no clinical content), not of their own.
        var notices = (await scene.Vault.GetNotificationsAsync(scene.Owner, 50)).Select(n => n.Payload).OfType<ProfileEntryAddedNotice>().ToList();
        var notice = Assert.Single(notices);
        Assert.Equal((prescribed.Id, ProfileSection.Treatments, scene.Doctor.Rpps), (notice.EntryId, notice.Section, notice.By));
    }

    [Fact]
    public async Task A_hidden_entry_is_invisible_to_professionals_but_its_author_and_shown_hidden_to_the_person()
    {
        var scene = await OpenAsync();
        var own = await scene.Profile.AddAsync(scene.Owner, Allergy());
        var byNurse = await scene.Profile.AddAsync(scene.Nurse, Allergy("Latex"));
        await scene.Profile.HideAsync(scene.Owner, own.Id, true);
        var hidden = await scene.Profile.HideAsync(scene.Owner, byNurse.Id, true);
        Assert.True(hidden.Visibility.MaskedFromProfessionals);

        Assert.Equal(0, (await scene.Profile.ListAsync(scene.Doctor, null, 20, null)).TotalCount);
        var masked = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.GetAsync(scene.Doctor, own.Id));
        Assert.Equal(DenialReason.MaskedFromProfessionals, masked.Code);
        Assert.Equal(byNurse.Id, Assert.Single((await scene.Profile.ListAsync(scene.Nurse, null, 20, null)).Items).Id);
        Assert.All((await scene.Profile.ListAsync(scene.Owner, null, 20, null)).Items, e => Assert.True(e.Visibility.MaskedFromProfessionals));

        // Professionals never hide; the person shows it again.
        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.HideAsync(scene.Nurse, byNurse.Id, false));
        Assert.Equal(DenialReason.NotPermitted, refused.Code);
        await scene.Profile.HideAsync(scene.Owner, own.Id, false);
        Assert.Equal(own.Id, Assert.Single((await scene.Profile.ListAsync(scene.Doctor, null, 20, null)).Items).Id);
        var history = (await scene.Vault.GetAccessHistoryAsync(scene.Owner, null, 100)).Items.Select(i => i.Event).ToList();
        Assert.Contains(history, e => e.Operation == "profile.hide" && e.Target == $"profile:allergies/{own.Id}");
        Assert.Contains(history, e => e.Operation == "profile.unhide" && e.Allowed);
    }

    [Fact]
    public async Task An_entry_is_removed_by_its_author_or_the_person_and_kept_as_a_tombstone()
    {
        var scene = await OpenAsync();
        var byDoctor = await scene.Profile.AddAsync(scene.Doctor, Treatment());
        var byNurse = await scene.Profile.AddAsync(scene.Nurse, Allergy());
        var notAuthor = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.RemoveAsync(scene.Nurse, byDoctor.Id));
        Assert.Equal(DenialReason.NotEntryAuthor, notAuthor.Code);
        await scene.Profile.RemoveAsync(scene.Doctor, byDoctor.Id);
        await scene.Profile.RemoveAsync(scene.Owner, byNurse.Id);
        Assert.Equal(0, (await scene.Profile.ListAsync(scene.Owner, null, 20, null)).TotalCount);
        Assert.Empty(await scene.Profile.ReadForFhirAsync(scene.Owner, null));
        var gone = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Profile.RemoveAsync(scene.Owner, byDoctor.Id));
        Assert.Equal((ErrorCodes.NotFound, "entryId"), (gone.Code, gone.Field));
        // An unknown id answers a stranger FORBIDDEN (recorded), not NOT_FOUND.
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.GetAsync(scene.Stranger, "pe-nope"));
    }

    [Fact]
    public async Task Input_rules_name_the_field_and_a_full_section_is_refused()
    {
        var scene = await OpenAsync();
        async Task<string> FieldOf(NewProfileEntry entry) =>
            (await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Profile.AddAsync(scene.Owner, entry))).Field;

        Assert.Equal("allergy", await FieldOf(new NewProfileEntry(ProfileSection.Allergies)));
        Assert.Equal("treatment", await FieldOf(Allergy() with { Treatment = Treatment().Treatment }));
        Assert.Equal("allergy.substance.system", await FieldOf(Allergy() with { Allergy = Allergy().Allergy! with { Substance = new Coding("urn:oid:1.2.3", "X") } }));
        Assert.Equal("treatment.medication.code", await FieldOf(Treatment() with { Treatment = Treatment().Treatment! with { Medication = new Coding(ProfileRules.Atc, "ramipril") } }));
        Assert.Equal("treatment.startedOn", await FieldOf(Treatment() with { Treatment = Treatment().Treatment! with { StartedOn = Today.AddDays(2) } }));
        Assert.Equal("note", await FieldOf(Allergy() with { Note = new string('a', ProfileRules.MaxNote + 1) }));
        Assert.Equal("vaccination.targets", await FieldOf(Vaccination(Today, "smallpox")));
        // A resolution date needs a resolved or remitted condition (so the FHIR Condition never has abatement while active).
        var condition = new ConditionDetails(new Coding("text", "", "Asthme"), ConditionKind.Condition, ConditionStatus.Active, Today.AddYears(-3), Today.AddYears(-1));
        Assert.Equal("condition.status", await FieldOf(new NewProfileEntry(ProfileSection.Conditions, Condition: condition)));
        Assert.Equal(ConditionStatus.Remission, (await scene.Profile.AddAsync(scene.Owner,
            new NewProfileEntry(ProfileSection.Conditions, Condition: condition with { Status = ConditionStatus.Remission }))).Condition!.Status);
        // A caller with no right to add gets FORBIDDEN, never the input's faults.
        Assert.Equal(DenialReason.NoBasis, (await Assert.ThrowsAsync<AccessDeniedException>(() =>
            scene.Profile.AddAsync(scene.Stranger, Vaccination(Today, "smallpox")))).Code);
        Assert.Equal("measurement.unit", await FieldOf(new NewProfileEntry(ProfileSection.Measurements,
            Measurement: new MeasurementDetails(MeasurementKind.Weight, 70, "lb", DateTimeOffset.UtcNow))));
        Assert.Equal("measurement.secondValue", await FieldOf(new NewProfileEntry(ProfileSection.Measurements,
            Measurement: new MeasurementDetails(MeasurementKind.BloodPressure, 130, "", DateTimeOffset.UtcNow))));
        Assert.Equal("measurement.value", await FieldOf(new NewProfileEntry(ProfileSection.Measurements,
            Measurement: new MeasurementDetails(MeasurementKind.Temperature, 52, "Cel", DateTimeOffset.UtcNow))));
        var first = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Profile.ListAsync(scene.Owner, null, 500, null));
        Assert.Equal("first", first.Field);

        var weight = new NewProfileEntry(ProfileSection.Measurements, Measurement: new MeasurementDetails(MeasurementKind.Weight, 70.5m, "", DateTimeOffset.UtcNow));
        var added = await scene.Profile.AddAsync(scene.Owner, weight);
        Assert.Equal("kg", added.Measurement!.Unit);
        for (var i = 1; i < ProfileRules.MaxLiveEntriesPerSection; i++)
        {
            await scene.Profile.AddAsync(scene.Owner, weight);
        }
        var full = await Assert.ThrowsAsync<ValidationFailedException>(() => scene.Profile.AddAsync(scene.Owner, weight));
        Assert.Equal((ErrorCodes.Validation, "section"), (full.Code, full.Field));
        // ... nor whether the section is full.
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.AddAsync(scene.Stranger, weight));
        // Another section still takes entries; paging walks the full one.
        await scene.Profile.AddAsync(scene.Owner, Allergy());
        var page = await scene.Profile.ListAsync(scene.Owner, ProfileSection.Measurements, 50, null);
        Assert.Equal((50, true, ProfileRules.MaxLiveEntriesPerSection), (page.Items.Count, page.HasNextPage, page.TotalCount));
        var next = await scene.Profile.ListAsync(scene.Owner, ProfileSection.Measurements, 50, page.Items[^1].Id);
        Assert.Empty(next.Items.Select(e => e.Id).Intersect(page.Items.Select(e => e.Id)));
        // Removing one makes room.
        await scene.Profile.RemoveAsync(scene.Owner, added.Id);
        await scene.Profile.AddAsync(scene.Owner, weight);
    }

    [Fact]
    public async Task A_recorded_vaccination_marks_the_prevention_item_done_and_removing_it_makes_it_due_again()
    {
        // 65 a month ago: the booster, pneumococcal and shingles vaccinations are due now.
        var scene = await OpenAsync(Today.AddYears(-65).AddMonths(-1));
        var before = await scene.Agenda.PreventionItemsAsync(scene.Owner);
        Assert.All(before.Where(i => i.RuleId is "dtp-adult-boosters" or "pneumococcal-65" or "shingles-65"), i => Assert.Equal(PreventionStatus.Due, i.Status));

        var given = Today.AddDays(-3);
        var dtp = await scene.Profile.AddAsync(scene.Nurse, Vaccination(given, "diphtheria", "tetanus", "poliomyelitis"));
        var pneumo = await scene.Profile.AddAsync(scene.Owner, Vaccination(given, "pneumococcal"));
        // Tetanus alone does not cover the diphtheria–tetanus–polio booster.
        await scene.Profile.AddAsync(scene.Owner, Vaccination(given.AddYears(-30), "tetanus"));

        var after = await scene.Agenda.PreventionItemsAsync(scene.Owner);
        var booster = Assert.Single(after, i => i.RuleId == "dtp-adult-boosters");
        Assert.Equal((PreventionStatus.Done, given), (booster.Status, booster.DoneOn));
        Assert.Equal(PreventionStatus.Done, Assert.Single(after, i => i.RuleId == "pneumococcal-65").Status);
        Assert.Equal(PreventionStatus.Due, Assert.Single(after, i => i.RuleId == "shingles-65").Status);

        await scene.Profile.RemoveAsync(scene.Owner, pneumo.Id);
        Assert.Equal(PreventionStatus.Due, Assert.Single(await scene.Agenda.PreventionItemsAsync(scene.Owner), i => i.RuleId == "pneumococcal-65").Status);
        Assert.Equal(dtp.Id, (await scene.Profile.GetAsync(scene.Owner, dtp.Id)).Id);

        // Only the profile tells the agenda.
        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Agenda.RecordVaccinationsAsync(scene.Owner, []));
        Assert.Equal(DenialReason.NotPermitted, refused.Code);
    }

    [Fact]
    public async Task A_vaccination_marks_the_item_done_only_for_a_caller_who_may_read_it()
    {
        var scene = await OpenAsync(Today.AddYears(-65).AddMonths(-1));
        var pneumo = await scene.Profile.AddAsync(scene.Owner, Vaccination(Today.AddDays(-3), "pneumococcal"));
        await scene.Profile.HideAsync(scene.Owner, pneumo.Id, true);
        PreventionStatus Pneumococcal(IReadOnlyList<PreventionItem> items) => Assert.Single(items, i => i.RuleId == "pneumococcal-65").Status;

        // The person reads her hidden entry: DONE. The referent social worker manages the agenda but reads no profile entry: DUE, as without the profile.
        Assert.Equal(PreventionStatus.Done, Pneumococcal(await scene.Agenda.PreventionItemsAsync(scene.Owner)));
        var referent = await scene.Agenda.PreventionItemsAsync(scene.Social);
        Assert.Equal(PreventionStatus.Due, Pneumococcal(referent));
        Assert.All(referent, i => Assert.Null(i.DoneOn));
        await scene.Profile.HideAsync(scene.Owner, pneumo.Id, false);
        Assert.Equal(PreventionStatus.Due, Pneumococcal(await scene.Agenda.PreventionItemsAsync(scene.Social)));
        Assert.Equal(PreventionStatus.Done, Pneumococcal(await scene.Agenda.PreventionItemsAsync(scene.Owner)));
    }

    [Fact]
    public void A_tombstone_keeps_who_and_when_but_not_the_clinical_content()
    {
        var entry = new ProfileEntry("pe-1", ProfileSection.Vaccinations, new Author(AuthorKind.Person, "v-1"), DateTimeOffset.UtcNow, "carnet",
            Visibility.Normal, Vaccination: Vaccination(Today, "influenza").Vaccination, Note: "bras gauche");
        var removedAt = DateTimeOffset.UtcNow;
        var tombstone = entry.AsTombstone(removedAt);
        Assert.Equal((entry.Id, entry.Section, entry.Author, entry.RecordedAt, (DateTimeOffset?)removedAt),
            (tombstone.Id, tombstone.Section, tombstone.Author, tombstone.RecordedAt, tombstone.RemovedAt));
        Assert.Equal((null, null, null), ((object?)tombstone.Vaccination, tombstone.Note, tombstone.Source));
    }

    [Fact]
    public async Task A_minors_secret_entry_is_hidden_from_representatives_and_refused_on_an_adults_vault()
    {
        var minor = await OpenAsync(Today.AddYears(-15));
        var parent = Caller.Patient(Ids.NewVaultId());
        await minor.Vault.AddRepresentativeAsync(Caller.Operator("op-profile"), new RepresentativeRequest(parent.Subject, RepresentationKind.Parent, null));
        var secret = await minor.Profile.AddAsync(minor.Doctor, Treatment() with { MinorSecret = true });
        Assert.True(secret.Visibility.InvisibleToRepresentatives);
        await minor.Profile.AddAsync(minor.Doctor, Allergy());

        var seenByParent = await minor.Profile.ListAsync(parent, null, 20, null);
        Assert.DoesNotContain(seenByParent.Items, e => e.Id == secret.Id);
        Assert.Single(seenByParent.Items);
        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => minor.Profile.GetAsync(parent, secret.Id));
        Assert.Equal(DenialReason.HiddenFromRepresentatives, refused.Code);
        Assert.Contains((await minor.Profile.ListAsync(minor.Owner, null, 20, null)).Items, e => e.Id == secret.Id);
        Assert.Contains((await minor.Profile.ListAsync(minor.Doctor, null, 20, null)).Items, e => e.Id == secret.Id);
        // A parent never records a secret from themselves.
        var byParent = await Assert.ThrowsAsync<ValidationFailedException>(() => minor.Profile.AddAsync(parent, Allergy("Latex") with { MinorSecret = true }));
        Assert.Equal("minorSecret", byParent.Field);

        var adult = await OpenAsync();
        var invalid = await Assert.ThrowsAsync<ValidationFailedException>(() => adult.Profile.AddAsync(adult.Doctor, Allergy() with { MinorSecret = true }));
        Assert.Equal("minorSecret", invalid.Field);
        Assert.Equal(0, (await adult.Profile.ListAsync(adult.Owner, null, 20, null)).TotalCount);
    }

    [Fact]
    public async Task A_closed_vault_takes_no_profile_call()
    {
        var scene = await OpenAsync();
        await scene.Profile.AddAsync(scene.Owner, Allergy());
        await scene.Vault.CloseAsync(scene.Owner);
        var add = await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.AddAsync(scene.Owner, Allergy()));
        Assert.Equal(DenialReason.VaultNotActive, add.Code);
        await Assert.ThrowsAsync<AccessDeniedException>(() => scene.Profile.ListAsync(scene.Doctor, null, 20, null));
    }
}
