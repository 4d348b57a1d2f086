using Coffre.Domain.Agenda;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Profile;
using Coffre.Grains;
using Coffre.Grains.Agenda;
using Coffre.Grains.Profile;
using Coffre.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit;

namespace Coffre.IntegrationTests.Postgres;

/// <summary>
/// The medical profile's state (one entry of each section, a hidden one, a tombstone) and the agenda's vaccinations written to
/// and read back from PostgreSQL through the silo's grain storage (the Orleans serializer), each in its own row.
/// </summary>
public sealed class ProfileStateOnPostgresTests
{
    [Fact]
    public async Task Every_section_and_the_agendas_vaccinations_round_trip_through_postgres()
    {
        var cs = await TestServices.NewMigratedDatabaseAsync();
        await using var cluster = await PostgresCluster.StartAsync(cs, "svc");
        var storage = cluster.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainNames.Storage);
        var vaultId = Ids.NewVaultId();
        var at = new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
        var doctor = new Author(AuthorKind.Professional, "10003456789", "750012347");
        ProfileEntry[] entries =
        [
            new("pe-1", ProfileSection.Treatments, doctor, at, "ordonnance", Visibility.Normal,
                Treatment: new TreatmentDetails(new Coding(ProfileRules.Atc, "C09AA05", "ramipril"), TreatmentStatus.Active, "5 mg", new DateOnly(2026, 3, 3))),
            new("pe-2", ProfileSection.Conditions, doctor, at, null, new Visibility(true),
                Condition: new ConditionDetails(new Coding(ProfileRules.Icd10, "E11.9"), ConditionKind.Condition, ConditionStatus.Active, new DateOnly(2019, 4, 1))),
            new("pe-3", ProfileSection.Allergies, new Author(AuthorKind.Person, vaultId), at, null, Visibility.Normal,
                Allergy: new AllergyDetails(new Coding(ProfileRules.Text, "", "Pénicilline"), AllergyCategory.Medication, AllergyCriticality.High, AllergyStatus.Active, "urticaire")),
            new("pe-4", ProfileSection.Vaccinations, doctor, at, "carnet", Visibility.Normal,
                Vaccination: new VaccinationDetails(new Coding(ProfileRules.Atc, "J07AM51"), new DateOnly(2026, 11, 20), ["diphtheria", "tetanus", "poliomyelitis"], 1, "X1")),
            new("pe-5", ProfileSection.Measurements, new Author(AuthorKind.System, "client:his", "750012347"), at, null, Visibility.Normal,
                Measurement: new MeasurementDetails(MeasurementKind.BloodPressure, 132.5m, "mm[Hg]", at, 84m), RemovedAt: at.AddHours(1), Note: "au repos"),
        ];
        var profileId = GrainId.Create("profile", GrainNames.Keys.Profile(vaultId));
        await storage.WriteStateAsync(GrainNames.States.Profile, profileId, new GrainState<ProfileState> { State = new ProfileState { Entries = [.. entries] } });
        var agendaId = GrainId.Create("agenda", GrainNames.Keys.Agenda(vaultId));
        var vaccination = new VaccinationRecord(new DateOnly(2026, 11, 20), ["influenza"]);
        await storage.WriteStateAsync(GrainNames.States.Agenda, agendaId, new GrainState<AgendaState> { State = new AgendaState { Vaccinations = [vaccination] } });

        var profile = new GrainState<ProfileState> { State = new ProfileState() };
        await storage.ReadStateAsync(GrainNames.States.Profile, profileId, profile);
        Assert.Equal(entries.Length, profile.State.Entries.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            var (expected, actual) = (entries[i], profile.State.Entries[i]);
            Assert.Equal(expected with { Vaccination = null }, actual with { Vaccination = null });
            Assert.Equal(expected.Vaccination?.Targets, actual.Vaccination?.Targets);
            Assert.Equal(expected.Vaccination?.AdministeredOn, actual.Vaccination?.AdministeredOn);
        }
        var agenda = new GrainState<AgendaState> { State = new AgendaState() };
        await storage.ReadStateAsync(GrainNames.States.Agenda, agendaId, agenda);
        var read = Assert.Single(agenda.State.Vaccinations);
        Assert.Equal((vaccination.AdministeredOn, "influenza"), (read.AdministeredOn, Assert.Single(read.Targets)));
        Assert.Equal(1L, await TestServices.ScalarAsync<long>(cs, $"SELECT count(*) FROM orleans_storage WHERE graintypestring = '{GrainNames.States.Profile}'"));
    }
}
