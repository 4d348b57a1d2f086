using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Agenda;
using Coffre.Domain.Auditing;
using Coffre.Domain.Documents;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Profile;
using Coffre.Grains.Agenda;
using Coffre.Grains.Vaults;
using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Profile;

[GenerateSerializer, Alias("coffre.profile-state")]
public sealed class ProfileState
{
    /// <summary>Every entry, live and removed (tombstones, bounded per section), in the order recorded.</summary>
    [Id(0)] public List<ProfileEntry> Entries { get; set; } = [];

    /// <summary>The vaccinations changed and the agenda has not yet been told (retried at the start of the next change).</summary>
    [Id(1)] public bool AgendaPending { get; set; }
}

/// <summary>
/// A person's medical profile (see <see cref="IProfileGrain"/>). Access: every call first asks the vault grain
/// (<see cref="IVaultGrain.DecideProfileAsync"/>: the one evaluator, each entry as a document of its section's type, one line
/// of the access history), which never calls back. A vaccination added or removed is told to the person's agenda
/// (<see cref="IAgendaGrain.RecordVaccinationsAsync"/>, awaited: the prevention items are current when the call returns;
/// the agenda calls nothing back). The person is told (<see cref="PersonNotifier"/>) when someone else adds an entry.
/// Not reentrant: one call at a time per profile.
/// </summary>
[GrainType("profile")]
public sealed class ProfileGrain(
    [PersistentState(GrainNames.States.Profile, GrainNames.Storage)] IPersistentState<ProfileState> profile,
    PersonNotifier notifier,
    TimeProvider clock,
    ILogger<ProfileGrain> logger) : Grain, IProfileGrain
{
    private const string AllSections = "all";

    /// <summary>Who tells the agenda the person's vaccinations.</summary>
    public static readonly Caller System = Caller.Operator(AgendaGrain.ProfileSystemSubject);

    private string VaultId => this.GetPrimaryKeyString()["profile-".Length..];
    private IVaultGrain Vault => GrainFactory.GetGrain<IVaultGrain>(GrainNames.Keys.Vault(VaultId));
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!this.GetPrimaryKeyString().StartsWith("profile-", StringComparison.Ordinal) || !Ids.IsVaultId(VaultId))
        {
            throw new ValidationFailedException("vaultId", "is not a vault id", ErrorCodes.NotFound);
        }
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task<ProfileEntry> AddAsync(Caller caller, NewProfileEntry input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Enum.IsDefined(input.Section))
        {
            throw new ValidationFailedException("section", "is not a profile section");
        }
        var now = Now;
        // Access first: a caller who may not add to the section learns nothing of the input's faults or of a full section.
        var pending = new ProfileEntry("pe-" + Ids.NewToken(), input.Section, new Author(AuthorKind.System, "pending"), now, "",
            input.MinorSecret ? new Visibility(InvisibleToRepresentatives: true) : Visibility.Normal,
            null, null, null, null, null, null, null);
        var verdict = await Vault.DecideProfileAsync(caller, Check(ProfileOperation.Add, pending));
        var entry = ProfileRules.Check(input, now);
        if (Live(entry.Section).Count() >= ProfileRules.MaxLiveEntriesPerSection)
        {
            throw new ValidationFailedException("section",
                $"holds {ProfileRules.MaxLiveEntriesPerSection} entries in {ProfileSections.Name(entry.Section)}, the most a section keeps: remove some first");
        }
        await FlushAgendaAsync();
        var recorded = pending with
        {
            Author = verdict.Author ?? throw new InvalidOperationException("the vault named no author"),
            Source = entry.Source, Treatment = entry.Treatment, Condition = entry.Condition, Allergy = entry.Allergy,
            Vaccination = entry.Vaccination, Measurement = entry.Measurement, Note = entry.Note,
        };
        profile.State.Entries.Add(recorded);
        await SaveAsync(recorded.Section);
        ProfileLog.EntryAdded(logger, recorded.Section);
        // A minor's secret is never announced: representatives read the person's notices.
        if (verdict.Basis != LegalBasis.Owner && !recorded.Visibility.InvisibleToRepresentatives)
        {
            // Under an id derived from the entry: a notice sent again for the same entry is ignored by the outbox.
            await notifier.NotifyAsync(VaultId, new ProfileEntryAddedNotice(recorded.Id, recorded.Section, recorded.Author.Kind, AuditEvents.ActorId(caller), now),
                Ids.NameBasedGuid("coffre-profile-entry-added/" + VaultId + "/" + recorded.Id));
        }
        return recorded;
    }

    public async Task<ProfileEntryPage> ListAsync(Caller caller, ProfileSection? section, int first, string? after)
    {
        if (first is < 1 or > ProfileRules.MaxPageSize)
        {
            throw new ValidationFailedException("first", $"must be between 1 and {ProfileRules.MaxPageSize}");
        }
        var entries = Live(section).OrderByDescending(e => e.RecordedAt).ThenByDescending(e => e.Id, StringComparer.Ordinal).ToList();
        var verdict = await Vault.DecideProfileAsync(caller, new ProfileCheck(ProfileOperation.List, SectionName(section),
            entries.Select(e => e.Facts).ToList(), first, after));
        return new ProfileEntryPage(Pick(entries, verdict.Shown), verdict.HasNextPage, verdict.TotalCount);
    }

    public async Task<IReadOnlyList<ProfileEntry>> ReadForFhirAsync(Caller caller, ProfileSection? section)
    {
        var entries = Live(section).OrderBy(e => e.RecordedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        var verdict = await Vault.DecideProfileAsync(caller, new ProfileCheck(ProfileOperation.ReadAll, SectionName(section),
            entries.Select(e => e.Facts).ToList()));
        return Pick(entries, verdict.Shown);
    }

    public async Task<ProfileEntry> GetAsync(Caller caller, string entryId)
    {
        var entry = await FindForAsync(caller, entryId, ProfileOperation.ReadEntry);
        await Vault.DecideProfileAsync(caller, Check(ProfileOperation.ReadEntry, entry));
        return entry;
    }

    public async Task<ProfileEntry> HideAsync(Caller caller, string entryId, bool hidden)
    {
        var operation = hidden ? ProfileOperation.Hide : ProfileOperation.Unhide;
        var entry = await FindForAsync(caller, entryId, operation);
        await Vault.DecideProfileAsync(caller, Check(operation, entry));
        await FlushAgendaAsync();
        if (entry.Visibility.MaskedFromProfessionals == hidden)
        {
            return entry;
        }
        var changed = entry with { Visibility = entry.Visibility with { MaskedFromProfessionals = hidden } };
        Replace(changed);
        await SaveAsync(changed.Section);
        return changed;
    }

    public async Task RemoveAsync(Caller caller, string entryId)
    {
        var entry = await FindForAsync(caller, entryId, ProfileOperation.Remove);
        await Vault.DecideProfileAsync(caller, Check(ProfileOperation.Remove, entry));
        await FlushAgendaAsync();
        Replace(entry.AsTombstone(Now));
        PruneTombstones(entry.Section);
        await SaveAsync(entry.Section);
    }

    /// <summary>
    /// Writes the state; a change to the vaccinations marks the agenda pending in that same write, then tells it (so a
    /// failure to tell it after the write is retried by <see cref="FlushAgendaAsync"/> at the start of the next change).
    /// </summary>
    private async Task SaveAsync(ProfileSection changed)
    {
        profile.State.AgendaPending |= changed == ProfileSection.Vaccinations;
        await profile.WriteStateAsync();
        await FlushAgendaAsync();
    }

    private async Task FlushAgendaAsync()
    {
        if (!profile.State.AgendaPending)
        {
            return;
        }
        await TellAgendaAsync();
        profile.State.AgendaPending = false;
        await profile.WriteStateAsync();
    }

    // ---------------------------------------------------------------- helpers

    private IEnumerable<ProfileEntry> Live(ProfileSection? section) =>
        profile.State.Entries.Where(e => e.RemovedAt is null && (section is null || e.Section == section));

    private static string SectionName(ProfileSection? section) => section is { } s ? ProfileSections.Name(s) : AllSections;

    private static ProfileCheck Check(ProfileOperation operation, ProfileEntry entry) =>
        new(operation, ProfileSections.Name(entry.Section), [entry.Facts], EntryId: entry.Id);

    private static List<ProfileEntry> Pick(List<ProfileEntry> entries, IReadOnlyList<string> ids)
    {
        var byId = entries.ToDictionary(e => e.Id, StringComparer.Ordinal);
        return [.. ids.Select(id => byId[id])];
    }

    /// <summary>
    /// The live entry; for an id that names none, the vault decides the caller's standing on the profile as a whole
    /// (recorded) and the answer is NOT_FOUND only to one who may list it.
    /// </summary>
    private async Task<ProfileEntry> FindForAsync(Caller caller, string entryId, ProfileOperation operation)
    {
        if (profile.State.Entries.FirstOrDefault(e => e.Id == entryId && e.RemovedAt is null) is { } entry)
        {
            return entry;
        }
        var safeId = entryId is { Length: <= 40 } && entryId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? entryId : "invalid";
        await Vault.DecideProfileAsync(caller, new ProfileCheck(operation, AllSections, [], EntryId: safeId));
        throw new ValidationFailedException("entryId", "names no entry of this profile", ErrorCodes.NotFound);
    }

    private void Replace(ProfileEntry entry) =>
        profile.State.Entries[profile.State.Entries.FindIndex(e => e.Id == entry.Id)] = entry;

    /// <summary>Beyond <see cref="ProfileRules.MaxTombstonesPerSection"/> removed entries in a section, the oldest removed are forgotten.</summary>
    private void PruneTombstones(ProfileSection section)
    {
        var removed = profile.State.Entries.Where(e => e.Section == section && e.RemovedAt is not null).OrderBy(e => e.RemovedAt).ToList();
        var excess = removed.Count - ProfileRules.MaxTombstonesPerSection;
        if (excess > 0)
        {
            var forget = removed.Take(excess).Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
            profile.State.Entries.RemoveAll(e => forget.Contains(e.Id));
        }
    }

    /// <summary>The agenda learns every vaccination held now (awaited: its prevention items are current when this call returns).</summary>
    private Task TellAgendaAsync()
    {
        var vaccinations = Live(ProfileSection.Vaccinations)
            .Select(e => new VaccinationRecord(e.Vaccination!.AdministeredOn, e.Vaccination.Targets, e.Visibility))
            .ToList();
        return GrainFactory.GetGrain<IAgendaGrain>(GrainNames.Keys.Agenda(VaultId)).RecordVaccinationsAsync(System, vaccinations);
    }
}

internal static partial class ProfileLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "profile: an entry was added to section {Section}")]
    public static partial void EntryAdded(ILogger logger, ProfileSection section);
}
